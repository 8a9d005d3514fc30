"""Named moments of a run at which a test stops it dead (`kill -9`), to show that the next run
recovers and leaves nothing behind.

With ICTBENCH_STOP_AT=<moment> in its environment, a run that reaches the moment writes the
moment's name to the file ICTBENCH_STOP_SIGNAL names and waits there to be killed. Without it,
passing a moment costs one look-up in the environment.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

STOP_AT = "ICTBENCH_STOP_AT"
STOP_SIGNAL = "ICTBENCH_STOP_SIGNAL"
MOMENTS = ("ingest", "dbt", "publish", "export")


def moment(name: str) -> None:
    if os.environ.get(STOP_AT) != name:
        return
    Path(os.environ[STOP_SIGNAL]).write_text(name, encoding="utf-8")
    while True:
        time.sleep(60)
