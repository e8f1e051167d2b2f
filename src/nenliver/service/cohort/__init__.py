"""Cohort runs: a table of cases → every option's status, pathway and missing inputs, vectorised (polars)."""
