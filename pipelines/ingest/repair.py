"""A landed file that cannot be read is removed with its load result, so the run lands its slot
again from data_raw instead of failing on it every night.

Landed files are written atomically, so damage comes from outside: a disk that filled up under
another program, a restore cut short, a hand that edited a file. The footer check reads a few
kilobytes per file; a file whose size, inode and modification time are as when its footer was
last read whole is not read again (ten years kept are ten thousand files: two seconds a run).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract.kinds import KINDS
from pipelines.ingest.deliveries import ensure_landing_schema
from pipelines.settings import Paths
from pipelines.storage.files import read_json, write_json_atomic


def damage(path: Path) -> str | None:
    """Why a Parquet file cannot be read, or None when its footer is whole."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException) as error:
        return str(error).splitlines()[0][:200]
    return None


def repair_landing(paths: Paths) -> list[str]:
    """Remove every landed file of a delivery kind that cannot be read, with its load result;
    returns a sentence for each, saying what happens next."""
    said = []
    record = paths.landing / CHECKED
    checked = read_json(record) or {}
    whole = {}
    for kind in KINDS:
        folder = paths.landing / kind
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            stat = path.stat()
            seen = [stat.st_size, stat.st_ino, stat.st_mtime_ns]
            name = f"{kind}/{path.name}"
            if checked.get(name) == seen or (reason := damage(path)) is None:
                whole[name] = seen
                continue
            path.unlink()
            (paths.load_results / kind / f"{path.stem}.json").unlink(missing_ok=True)
            where = path.relative_to(paths.warehouse)
            if path.name.startswith("_"):
                ensure_landing_schema(paths, kind)
                said.append(f"{where} was damaged ({reason}); made again")
            else:
                said.append(
                    f"{where} was damaged ({reason}); removed, and {path.stem} is landed again "
                    "from data_raw"
                )
    if whole != checked:
        write_json_atomic(whole, record)
    return said


CHECKED = ".footers_checked.json"
