"""The Dagster instance: its folder, its dagster.yaml and the batched sqlite event log."""
