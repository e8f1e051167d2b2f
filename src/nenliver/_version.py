"""Software version of nenliver (semantic versioning)."""

__version__ = "0.1.0"
