"""Writing output files: all or nothing (a temporary file renamed into place)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from nenliver.errors import InputError, Problem


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` so that readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a report keeps the usual permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(data: Any) -> Any:
    r"""``data`` with control characters in every string shown as ``\xNN`` (for a terminal).

    Ids, file names and free text come from the input: an escape sequence in them must not move
    the cursor, recolour or retitle the terminal of the person reading the plan. Newlines and tabs
    stay. HTML escapes on its own; JSON escapes control characters itself.

    Examples
    --------
    >>> printable("case\x1b[2J") == "case\\x1b[2J"
    True
    """
    if isinstance(data, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", data)
    if isinstance(data, dict):
        return {printable(k): printable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return type(data)(printable(v) for v in data)
    return data


def _jsonable(value: Any) -> str:
    """Dates, times and paths as text; anything else is a bug in the caller."""
    if isinstance(value, dt.date | Path):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(data: Any) -> str:
    """Indented JSON with a final newline; NaN and infinity are a bug, never printed (they are not JSON)."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=_jsonable) + "\n"


def print_json(data: Any) -> None:
    """Write :func:`json_text` of ``data`` to standard output."""
    sys.stdout.write(json_text(data))


def check_output_paths(**targets: Path | None) -> None:
    """Refuse output paths that are folders (or inside a file) before any work is done.

    Parameters
    ----------
    **targets : Path or None
        Option name (``html``, ``dvh_png`` …) → the path given, or ``None`` when not asked for.

    Raises
    ------
    nenliver.errors.InputError
        Naming every option whose path cannot be written as a file.
    """
    problems = []
    for option, target in targets.items():
        if target is None:
            continue
        flag = "--" + option.replace("_", "-")
        path = Path(target)
        if path.is_dir():
            problems.append(Problem(flag, f"{path} is a folder", "a file path to write"))
        elif any(parent.exists() and not parent.is_dir() for parent in path.parents):
            problems.append(Problem(flag, f"{path}: a parent of it is a file", "a file path in a folder"))
    if problems:
        raise InputError("output", problems)
