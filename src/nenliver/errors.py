"""Exceptions raised by nenliver.

::

    NenliverError
      InputError                 (bad user input: exit code 2 on the command line)
        CaseValidationError      (a case file that does not follow nenliver/case@1)
        DosimetryInputError      (a SIRT plan that does not follow nenliver/sirt@1)
        ImagingInputError        (an image or mask that cannot be read or used)
          GeometryMismatchError  (grids or frames of reference that cannot be combined)
      RuleDefinitionError        (a knowledge-base record that is malformed; has ``.source``)
      DependencyError            (an optional package or system library is missing or broken)
      KnowledgeDataError         (a data file with a missing value, unit or source)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was found, what was expected."""

    path: str
    message: str
    expected: str | None = None

    def __str__(self) -> str:
        text = f"{self.path or '(top level)'}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class NenliverError(Exception):
    """Base class of every error nenliver raises on purpose."""


class InputError(NenliverError):
    """Invalid user input. Carries the file and a list of problems with their field paths."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid input ({len(problems)} problem{'s' if len(problems) != 1 else ''})"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class CaseValidationError(InputError):
    """A case file that does not follow the case format (``nenliver/case@1``)."""


class DosimetryInputError(InputError):
    """A SIRT dosimetry plan that does not follow ``nenliver/sirt@1``."""


class ImagingInputError(InputError):
    """An image or mask that cannot be read, or is not what the command needs."""


class GeometryMismatchError(ImagingInputError):
    """Volumes whose frames of reference or grids cannot be combined."""


class RuleDefinitionError(NenliverError):
    """A malformed knowledge-base record; ``source`` is the file it came from."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class DependencyError(NenliverError):
    """An optional package or system library that a requested output needs is missing or broken.

    The message names the library and how to install it; the command exits 1 without calling it
    an internal error.
    """


class KnowledgeDataError(NenliverError):
    """A data file (constants, device sizes, thresholds) without value, unit or source."""
