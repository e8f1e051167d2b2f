"""The ablation data file (``ablation/data/devices.yaml``), validated once at load.

Every cited entry (zones, margins, heat sink, zone shapes, optimiser) follows the one cited-data
format of :mod:`nenliver._cited`; a malformed entry stops the load naming its path.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from nenliver._cited import Cited, CitedNumber, cited, cited_entries
from nenliver._data import load_yaml

__all__ = ["devices"]

_FILE = "ablation/data/devices.yaml"


@cache
def devices() -> dict[str, Any]:
    """The validated content of ``devices.yaml``."""
    data: dict[str, Any] = load_yaml("nenliver.ablation", "data/devices.yaml")
    for path, entry in cited_entries(data):
        cited(entry, f"{_FILE}: {path}", CitedNumber if "value" in entry else Cited)
    return data
