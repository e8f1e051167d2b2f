"""Case-level scenarios: every bundled example case gives the outcome it was written for.

The expectations (examples/cases/expected.yaml) use the keys of the shared acceptance sample.
A second test runs the shared acceptance sample through the installed command when it is present
beside the checkout (as in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nenliver.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "examples" / "cases"
EXPECTED = yaml.safe_load((CASES / "expected.yaml").read_text())
ACCEPTANCE = ROOT.parent / "shared" / "acceptance"


def _option(plan: dict, therapy: str) -> dict:
    return next(o for o in plan["options"] if o["therapy"] == therapy)


def _lesion(plan: dict, lesion_id: str) -> dict:
    return next(les for les in _option(plan, "ablation")["details"]["lesions"] if les["id"] == lesion_id)


def _problems(plan: dict, expect: dict) -> list[str]:
    out = []
    for therapy, allowed in expect.get("status", {}).items():
        if _option(plan, therapy)["status"] not in allowed:
            out.append(f"{therapy}: {_option(plan, therapy)['status']} not in {allowed}")
    for lid, allowed in expect.get("lesion_modality", {}).items():
        if _lesion(plan, lid)["modality"] not in allowed:
            out.append(f"{lid}: {_lesion(plan, lid)['modality']} not in {allowed}")
    for lid, banned in expect.get("lesion_not_modality", {}).items():
        if _lesion(plan, lid)["modality"] in banned:
            out.append(f"{lid}: {_lesion(plan, lid)['modality']} is banned")
    for key in ("workup", "advice"):
        words = expect.get(f"{key}_any", [])
        if words and not any(w in json.dumps(plan[key]) for w in words):
            out.append(f"{key} lacks {words}")
    for therapy, words in expect.get("missing_any", {}).items():
        text = json.dumps(_option(plan, therapy)["missing"]).lower()
        out += [f"{therapy} missing lacks {w}" for w in words if w not in text]
    for therapy, words in expect.get("text_any", {}).items():
        if not any(w in json.dumps(_option(plan, therapy)) for w in words):
            out.append(f"{therapy} text lacks {words}")
    for key in ("in_scope", "provisional"):
        if key in expect and plan[key] is not expect[key]:
            out.append(f"{key} {plan[key]} != {expect[key]}")
    if "grade" in expect and plan["grade"]["value"] != expect["grade"]:
        out.append(f"grade {plan['grade']['value']} != {expect['grade']}")
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_case(name, capsys):
    assert main(["plan", str(CASES / f"{name}.yaml"), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert _problems(plan, EXPECTED[name]) == []
    if "pathway_branch" in EXPECTED[name]:
        assert plan["pathway"]["branch"] == EXPECTED[name]["pathway_branch"]


def test_every_example_has_expectations():
    names = {p.stem for p in CASES.glob("*.yaml")} - {"expected"}
    assert names == set(EXPECTED)


@pytest.mark.skipif(not (ACCEPTANCE / "check.py").exists(), reason="shared acceptance sample not beside the checkout")
def test_shared_acceptance_sample_through_the_cli():
    exe = shutil.which("nenliver", path=str(Path(sys.executable).parent))
    assert exe, "the nenliver command is not installed next to this Python"
    env = {**os.environ, "NENLIVER": exe}
    for kind, arg in (("cases", str(ACCEPTANCE / "cases")), ("sirt", str(ACCEPTANCE / "sirt.yaml"))):
        proc = subprocess.run(
            [sys.executable, str(ACCEPTANCE / "check.py"), kind, arg],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
