"""Helpers the tests and benchmarks share (a throwaway PostgreSQL, a running server)."""
