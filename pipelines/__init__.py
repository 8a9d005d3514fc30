"""Municipal ICT benchmark warehouse: ingest, validate, model and publish."""

from pipelines.settings import disable_telemetry

disable_telemetry()
