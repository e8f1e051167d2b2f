"""Reading input documents (YAML or JSON) so that hostile input is refused with a clear problem.

Every input format (case, SIRT plan, and the formats to come) is read through
:func:`load_document`, which

* caps the file size (an input document is kilobytes; :data:`MAX_DOCUMENT_BYTES`) and the nesting
  depth (:data:`MAX_DEPTH`),
* requires UTF-8 text,
* refuses YAML anchors and aliases (no input format needs them, and an alias bomb expands a few
  kilobytes into gigabytes) and duplicate keys (a second value would silently win),
* leaves dates and times as text, so that the models parse them and an impossible date
  (``2021-02-30``) is reported with its field path instead of failing inside the YAML reader,
* turns every reader failure (syntax, integers beyond Python's digit limit, recursion) into an
  :class:`~nenliver.errors.InputError` that names the line where it can.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node

from nenliver.errors import InputError, Problem

__all__ = ["MAX_DEPTH", "MAX_DOCUMENT_BYTES", "excerpt", "load_document", "parse_document"]

#: Largest input document read, bytes. A case or plan is a few kilobytes; this leaves room for
#: long lesion lists and free text while keeping a hostile file from filling memory.
MAX_DOCUMENT_BYTES = 1_000_000
#: Deepest nesting of mappings and lists accepted (the formats nest four levels at most).
MAX_DEPTH = 32
#: Longest excerpt of a bad value echoed in a message, characters.
MAX_EXCERPT = 60


def excerpt(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_EXCERPT` characters (a message never echoes a whole file).

    Examples
    --------
    >>> excerpt("x" * 100).endswith("… (102 chars)")
    True
    """
    text = repr(value)
    if len(text) <= MAX_EXCERPT:
        return text
    return f"{text[:MAX_EXCERPT]}… ({len(text)} chars)"


class _Refused(Exception):
    """A document construct the reader refuses; carries the message and the line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _InputLoader(yaml.SafeLoader):
    """Safe YAML loader without anchors, aliases, duplicate keys or date conversion."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("YAML anchors and aliases (& and *) are not accepted in input files", line)
        depth = getattr(self, "_depth", 0)
        if isinstance(event, CollectionStartEvent):
            if depth >= MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", line)
            self._depth = depth + 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth = depth
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                break
            if duplicate:
                raise _Refused(f"duplicate key {excerpt(key)}: each key may appear once", key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates and times stay text: the models parse them (with field paths and range checks).
def _as_text(loader: _InputLoader, node: Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_InputLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {excerpt(key)}: each key may appear once", None)
        out[key] = value
    return out


def _json_depth_ok(text: str) -> bool:
    """Cheap bound on JSON nesting before parsing (brackets outside strings are not told apart)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest <= MAX_DEPTH


def parse_document(text: str, source: str, error: type[InputError], what: str) -> Any:
    """Parse YAML (JSON for a ``.json`` source) under the rules of this module.

    Parameters
    ----------
    text : str
        The document.
    source : str
        File name shown in messages; ``.json`` selects the JSON reader.
    error : type of InputError
        The error class of the format (``CaseValidationError``, ``DosimetryInputError`` …).
    what : str
        What the document should be, for messages (``"a nenliver/case@1 case"``).

    Raises
    ------
    InputError
        Of class ``error``, naming the line where the reader knows it.
    """
    try:
        if source.endswith(".json"):
            if not _json_depth_ok(text):
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", None)
            return json.loads(text, object_pairs_hook=_reject_duplicates)
        return yaml.load(text, Loader=_InputLoader)
    except _Refused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise error(source, [Problem("", f"{where}{exc}", what)]) from None
    except (yaml.MarkedYAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}"
        elif isinstance(exc, json.JSONDecodeError):
            where = f"line {exc.lineno}, column {exc.colno}"
        else:
            where = "an unknown position"
        raise error(source, [Problem("", f"not valid YAML/JSON at {where}", what)]) from None
    except (ValueError, RecursionError, yaml.YAMLError, ConstructorError) as exc:
        # e.g. an integer with more digits than Python converts (4300), or nesting that exhausts
        # the parser's recursion.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(source, [Problem("", f"cannot be read: {message[:200]}", what)]) from None


def load_document(path: str | Path, error: type[InputError], what: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read a YAML or JSON input file under the size, encoding and structure limits.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    error : type of InputError
        Error class of the format.
    what : str
        What the document should be, for messages.
    max_bytes : int
        Largest file read (:data:`MAX_DOCUMENT_BYTES` unless a format needs more, as an EHR export).

    Returns
    -------
    Any
        The parsed document (a mapping for every format; the caller checks).

    Raises
    ------
    InputError
        Of class ``error``: unreadable, too large, not UTF-8, or not valid YAML/JSON.
    """
    source = str(path)
    path = Path(path)
    try:
        if path.is_dir():
            raise error(source, [Problem("", "is a folder", f"a file holding {what}")])
        size = path.stat().st_size
        if size > max_bytes:
            raise error(
                source,
                [Problem("", f"file is {size:,} bytes, above the {max_bytes:,}-byte limit for input files", what)],
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise error(
            source, [Problem("", f"cannot read file ({exc.strerror or exc})", f"a readable file: {what}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            source, [Problem("", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", what)]
        ) from None
    return parse_document(text.removeprefix("\ufeff"), source, error, what)
