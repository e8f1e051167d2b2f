"""Command line interface: parses arguments, calls the library, formats the result."""
