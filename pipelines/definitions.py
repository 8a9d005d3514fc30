from pathlib import Path

import dagster as dg

from pipelines.event_log import relax_event_log_durability

relax_event_log_durability()
# Loads every module under pipelines/defs/ (see [tool.dg] in pyproject.toml).
defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
