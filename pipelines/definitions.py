from pathlib import Path

import dagster as dg

from pipelines.run_history.event_log import configure_event_log

configure_event_log()
# Loads every module under pipelines/defs/ (see [tool.dg] in pyproject.toml).
defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
