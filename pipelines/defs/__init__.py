"""Dagster definitions, one folder per area: ingest, transform (dbt), publish."""
