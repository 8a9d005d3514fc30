"""What a killed run leaves behind, and how the next run tells it from work in progress.

Every temporary file or folder the pipeline makes carries the id of the process that made it
(`owned_prefix`). A run sweeps the warehouse (and the temporary folder) for such names whose
process is gone: the leftovers of a run that was killed, crashed or lost its machine. A name
whose process still lives belongs to a run in progress and stays.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

_OWNER = re.compile(r"\.pid(\d+)\.")
# the dbt pre-start server's folder lives in the system's temporary folder, one per run
DBT_SERVER_PREFIX = "ictbench-dbt"


def owned_prefix(stem: str) -> str:
    """`<stem>.pid<this process>.`: the start of a temporary name that sweep can trace back."""
    return f"{stem}.pid{os.getpid()}."


def owner(path: Path) -> int | None:
    found = _OWNER.search(path.name)
    return int(found.group(1)) if found else None


def is_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def leftovers(root: Path) -> list[Path]:
    """Temporary files and folders under root whose process is gone, outermost first."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*.pid*")):
        pid = owner(path)
        if pid is None or is_alive(pid):
            continue
        if any(parent in found for parent in path.parents):
            continue
        found.append(path)
    return found


def dbt_server_leftovers(temporary: Path | None = None) -> list[Path]:
    folder = Path(temporary or tempfile.gettempdir())
    return [
        path
        for path in sorted(folder.glob(f"{DBT_SERVER_PREFIX}.pid*"))
        if (pid := owner(path)) is not None and not is_alive(pid)
    ]


def sweep(warehouse: Path) -> list[Path]:
    """Remove what killed runs left in the warehouse and the temporary folder; returns it."""
    removed = leftovers(warehouse) + dbt_server_leftovers()
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed
