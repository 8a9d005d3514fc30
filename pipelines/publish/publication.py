"""Which file is published, and which code made it: what the build and the next run compare."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

# the modules that decide what a published file and its export hold
PUBLISHER = ("publish.py", "update.py", "export.py")


def publication(published_db: Path) -> dict | None:
    """Which file is published, and the code and DuckDB version that made it from the build."""
    if not published_db.exists():
        return None
    stat = published_db.stat()
    here = Path(__file__).parent
    code = b"".join((here / module).read_bytes() for module in PUBLISHER)
    return {
        "file": [stat.st_ino, stat.st_size, stat.st_mtime_ns],
        "publisher": hashlib.sha256(code + duckdb.__version__.encode()).hexdigest(),
    }
