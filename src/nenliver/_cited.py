"""One format for cited data, one loader, one bibliography.

Every clinical threshold, device size and physical constant in nenliver's data files is a *cited
entry*: a mapping with

* ``tag`` — how sure it is: ``S`` seen verbatim in a stored copy of the source, ``V`` verified
  secondary, ``K`` background knowledge still to be checked, ``D`` derived, ``R`` reproduced by
  running code;
* ``source`` — either a bibliography reference ``{key, locator}`` (``key`` defined in
  ``nenliver/data/bibliography.yaml``) or a free-text citation, then with a separate ``locator``;
* for numbers, ``value`` and ``unit``; any further keys of the entry (``note``, ``severity``, …) are
  kept.

:func:`cited` validates one entry and names the file and entry path in its error;
:func:`cited_entries` finds every cited entry of a loaded data file (for the data lint);
:func:`bibliography` is the one bibliography.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from nenliver._data import parse_yaml
from nenliver.errors import KnowledgeDataError

__all__ = ["Cited", "CitedNumber", "Reference", "Tag", "bibliography", "cited", "cited_entries"]

Tag = Literal["S", "V", "K", "D", "R"]


class Reference(BaseModel):
    """A bibliography key and where in that source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    locator: str


class Cited(BaseModel):
    """A cited datum: its evidence tag and its source (a reference, or text with a locator)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    tag: Tag
    source: Reference | str
    locator: str | None = None

    @model_validator(mode="after")
    def _locatable(self) -> Cited:
        if isinstance(self.source, str):
            if not self.source.strip():
                raise ValueError("source is empty")
            if not (self.locator or "").strip():
                raise ValueError("a free-text source needs a locator (section, table or page)")
        return self

    @property
    def key(self) -> str | None:
        """The bibliography key, when the source is a reference."""
        return self.source.key if isinstance(self.source, Reference) else None

    @property
    def citation(self) -> str:
        """Source and locator in one line."""
        if isinstance(self.source, Reference):
            return f"{self.source.key}: {self.source.locator}"
        return f"{' '.join(self.source.split())} [{self.locator}]"


class CitedNumber(Cited):
    """A cited value with its unit (a number, a list of numbers, or text)."""

    value: float | list[float] | str
    unit: str


_Model = TypeVar("_Model", bound=Cited)


def cited(data: Any, where: str, model: type[_Model]) -> _Model:
    """Validate one cited entry.

    Parameters
    ----------
    data : Any
        The entry as loaded from YAML.
    where : str
        ``file: entry path`` for the error message.
    model : type
        :class:`Cited`, :class:`CitedNumber` or a subclass.

    Raises
    ------
    nenliver.errors.KnowledgeDataError
        Naming the file, the entry and every field that is wrong.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(entry)'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise KnowledgeDataError(f"{where}: {details}") from None


def cited_entries(node: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every mapping of a loaded data file that is a cited entry (has ``tag`` and ``source``)."""
    if isinstance(node, Mapping):
        if "tag" in node and "source" in node:
            yield path, node
            return
        for key, value in node.items():
            yield from cited_entries(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from cited_entries(value, f"{path}[{i}]")


@cache
def bibliography() -> dict[str, dict[str, Any]]:
    """The one bibliography (``nenliver/data/bibliography.yaml``): key → reference and identifier."""
    text = resources.files("nenliver").joinpath("data", "bibliography.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = parse_yaml(text)
    for key, entry in data.items():
        if not isinstance(entry, Mapping) or not str(entry.get("ref", "")).strip():
            raise KnowledgeDataError(f"bibliography.yaml: {key} has no 'ref'")
    return data
