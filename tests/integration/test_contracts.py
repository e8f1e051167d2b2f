"""Every command's JSON validates against its published schema, and the schemas are the models'.

* ``docs/formats/schemas/*.schema.json`` equal what the models generate (regenerate with
  ``scripts/schemas``);
* the JSON each command prints validates against its JSON Schema (``jsonschema``, draft 2020-12)
  and round-trips through its model unchanged;
* ``nenliver.__all__`` and ``nenliver.service.__all__`` are sorted, complete and importable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import yaml

import nenliver
import nenliver.service
from nenliver.cli.main import main
from nenliver.service.schemas import SCHEMAS, json_schema, model_of

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "docs" / "formats" / "schemas"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_the_models(name: str) -> None:
    committed = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(name), f"regenerate with scripts/schemas ({name})"
    jsonschema.Draft202012Validator.check_schema(committed)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    data: dict[str, Any] = json.loads(out.out)
    return data


def _conforms(name: str, data: dict[str, Any]) -> None:
    jsonschema.validate(data, json_schema(name), cls=jsonschema.Draft202012Validator)
    model = model_of(name)
    assert model.model_validate(data).model_dump(mode="json") == data  # round trip


@pytest.mark.parametrize(
    "case", sorted(p.name for p in (ROOT / "examples" / "cases").glob("*.yaml") if p.stem != "expected")
)
def test_plan_json_conforms(capsys: pytest.CaptureFixture[str], case: str) -> None:
    _conforms("plan", _run(capsys, "plan", str(ROOT / "examples" / "cases" / case), "--json"))


def test_case_examples_conform_to_the_case_schema() -> None:
    for path in (ROOT / "examples" / "cases").glob("*.yaml"):
        if path.stem != "expected":
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            data = json.loads(json.dumps(data, default=str))
            jsonschema.validate(data, json_schema("case"), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("plan", sorted(p.name for p in (ROOT / "examples" / "sirt").glob("*.yaml")))
def test_sirt_json_conforms(capsys: pytest.CaptureFixture[str], plan: str) -> None:
    path = ROOT / "examples" / "sirt" / plan
    data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
    jsonschema.validate(data, json_schema("sirt"), cls=jsonschema.Draft202012Validator)
    _conforms("sirt-result", _run(capsys, "sirt", str(path), "--json"))


@pytest.mark.parametrize("plan", sorted(p.name for p in (ROOT / "examples" / "prrt").glob("*.yaml")))
def test_prrt_json_conforms(capsys: pytest.CaptureFixture[str], plan: str) -> None:
    path = ROOT / "examples" / "prrt" / plan
    data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
    jsonschema.validate(data, json_schema("prrt"), cls=jsonschema.Draft202012Validator)
    _conforms("prrt-result", _run(capsys, "prrt", str(path), "--json"))


def test_rules_json_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    _conforms("rules", _run(capsys, "rules", "list", "--json"))


def _nifti(path: Path, array: np.ndarray, spacing: float = 1.0) -> str:
    import nibabel as nib

    nib.save(nib.Nifti1Image(array, np.diag([spacing, spacing, spacing, 1.0])), str(path))
    return str(path)


def _ball(shape: tuple[int, int, int], centre: tuple[float, float, float], radius: float) -> np.ndarray:
    grid = np.stack(np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij"), -1)
    return ((grid - np.asarray(centre)) ** 2).sum(-1) <= radius**2


def test_image_outputs_conform(tmp_path: Path, capsys: pytest.CaptureFixture[str], make_case: Any) -> None:
    shape = (48, 48, 48)
    liver = _ball(shape, (24, 24, 24), 18)
    tumour = _ball(shape, (24, 24, 24), 6)
    zone = _ball(shape, (24, 25, 24), 12)
    act = _nifti(tmp_path / "act.nii.gz", (liver + 3.0 * tumour).astype(np.float32), 2.0)
    liv = _nifti(tmp_path / "liver.nii.gz", liver.astype(np.uint8), 2.0)
    tum = _nifti(tmp_path / "tumour.nii.gz", tumour.astype(np.uint8), 2.0)
    dose = _run(
        capsys, "dose", "voxel", "--activity", act, "--liver", liv, "--tumour", tum, "--injected-gbq", "2", "--json"
    )
    _conforms("dose", dose)
    kernel = _run(
        capsys,
        "dose", "voxel", "--activity", act, "--liver", liv, "--injected-gbq", "2", "--method", "kernel",
        "--post-activity", act, "--json",
    )  # fmt: skip
    _conforms("dose", kernel)
    t = _nifti(tmp_path / "t.nii.gz", tumour.astype(np.uint8))
    z = _nifti(tmp_path / "z.nii.gz", zone.astype(np.uint8))
    _conforms("margin", _run(capsys, "ablation", "margin", "--tumour", t, "--ablation", z, "--json"))
    sim = _run(capsys, "ablation", "simulate", "--tumour", t, "--setting", "seed-mwa-1", "--optimise", "1", "--json")
    _conforms("simulation", sim)
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(make_case()), encoding="utf-8")
    _conforms("ablation-plan", _run(capsys, "ablation", "plan", str(case), "--json"))


@pytest.mark.parametrize("module", [nenliver, nenliver.service], ids=["nenliver", "nenliver.service"])
def test_exports_are_sorted_complete_and_importable(module: Any) -> None:
    names = module.__all__
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(module, name) is not None, name
    public = {n for n in dir(module) if not n.startswith("_")}
    undeclared = {
        n
        for n in public - set(names)
        if getattr(getattr(module, n), "__module__", "").startswith(module.__name__ + ".")
    }
    assert not undeclared, f"public names missing from __all__: {sorted(undeclared)}"
