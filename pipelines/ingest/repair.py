"""A landed file that cannot be read is removed with its load result, so the run lands its slot
again from data_raw instead of failing on it every night. A landed file with the columns of an
earlier version of its kind's schema is brought to this version's (a column added is null, one
taken out is dropped), so that every landed file of a kind has the same columns and dbt reads the
ledger's ten thousand files without reading every footer to unite them
(models/staging/landing/_landing__sources.yml).

Landed files are written atomically, so damage comes from outside: a disk that filled up under
another program, a restore cut short, a hand that edited a file. The footer check reads a few
kilobytes per file; a file whose size, inode and modification time are as when its footer was
last read whole, under the same schema, is not read again (ten years kept are ten thousand files:
two seconds a run).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract.kinds import KINDS
from pipelines.contract.kinds import kind as delivery_kind
from pipelines.ingest.deliveries import ensure_landing_schema
from pipelines.settings import Paths
from pipelines.storage.files import read_json, write_json_atomic, write_parquet_atomic


def read_footer(path: Path) -> pa.Schema | str:
    """The columns of a Parquet file, or why it cannot be read (its footer is not whole)."""
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        return str(error).splitlines()[0][:200]


def conform(path: Path, found: pa.Schema, schema: pa.Schema) -> str | None:
    """Bring a landed file with the columns `found` to `schema`'s, in place; what changed, or None
    when its columns are already those (their names and types)."""
    if _types(found) == _types(schema):
        return None
    rows = pq.read_table(path)
    columns = [
        rows.column(field.name).cast(field.type)
        if field.name in found.names
        else pa.nulls(rows.num_rows, field.type)
        for field in schema
    ]
    # a column the file had keeps whether it is declared required (ingest/store.landed_rows)
    fields = [
        found.field(field.name).with_type(field.type) if field.name in found.names else field
        for field in schema
    ]
    write_parquet_atomic(pa.table(columns, schema=pa.schema(fields, schema.metadata)), path)
    added = [name for name in schema.names if name not in found.names]
    dropped = [name for name in found.names if name not in schema.names]
    return "; ".join(
        part
        for part in (
            added and "added (empty): " + ", ".join(added),
            dropped and "dropped: " + ", ".join(dropped),
            not added and not dropped and "types changed",
        )
        if part
    )


def _types(schema: pa.Schema) -> dict[str, pa.DataType]:
    # compared as types, not as text: Parquet names a list's element `element` where pyarrow
    # says `item`, the same type written differently
    return {field.name: field.type for field in schema}


def _columns(schema: pa.Schema) -> set[tuple[str, str]]:
    return {(field.name, str(field.type)) for field in schema}


def schema_tag(schema: pa.Schema) -> str:
    return hashlib.sha256(repr(sorted(_columns(schema))).encode()).hexdigest()[:16]


def repair_landing(paths: Paths) -> list[str]:
    """Remove every landed file of a delivery kind that cannot be read, with its load result,
    and bring those in an earlier schema to this one; returns a sentence for each, saying what
    happens next."""
    said = []
    record = paths.landing / CHECKED
    checked = read_json(record) or {}
    whole = {}
    for kind in KINDS:
        folder = paths.landing / kind
        schema = delivery_kind(kind).schema
        tag = schema_tag(schema)
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            stat = path.stat()
            seen = [stat.st_size, stat.st_ino, stat.st_mtime_ns, tag]
            name = f"{kind}/{path.name}"
            if checked.get(name) == seen:
                whole[name] = seen
                continue
            where = path.relative_to(paths.warehouse)
            problem = None
            if isinstance(footer := read_footer(path), str):
                problem = f"was damaged ({footer})"
            else:
                try:
                    changed = conform(path, footer, schema)
                except (OSError, pa.ArrowException) as error:
                    first_line = str(error).splitlines()[0][:200]
                    problem = f"cannot be brought to this version's columns ({first_line})"
                else:
                    if changed:
                        said.append(f"{where} had the columns of an earlier version; {changed}")
                        stat = path.stat()
                        seen = [stat.st_size, stat.st_ino, stat.st_mtime_ns, tag]
                    whole[name] = seen
                    continue
            path.unlink()
            (paths.load_results / kind / f"{path.stem}.json").unlink(missing_ok=True)
            if path.name.startswith("_"):
                ensure_landing_schema(paths, kind)
                said.append(f"{where} {problem}; made again")
            else:
                said.append(
                    f"{where} {problem}; removed, and {path.stem} is landed again from data_raw"
                )
    if whole != checked:
        write_json_atomic(whole, record)
    return said


CHECKED = ".footers_checked.json"
