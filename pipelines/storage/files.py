"""Atomic file writes: a reader sees the old version or the new one, never half of one."""

from __future__ import annotations

import csv
import filecmp
import json
import logging
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.storage.litter import owned_prefix

PARQUET_COMPRESSION = "zstd"


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=owned_prefix(f".{path.name}"), suffix=".tmp", dir=path.parent
    )
    os.fchmod(handle, 0o644)  # readable by BI tools and controllers, like any other export
    os.close(handle)
    return Path(name)


def write_parquet_atomic(table: pa.Table, path: Path) -> bool:
    """False when the file already held exactly these bytes: it is left alone, its modification
    time too, which is how the build tells which landed sources changed (transform/build_state.py)."""
    temp = _temp_beside(path)
    try:
        pq.write_table(table, temp, compression=PARQUET_COMPRESSION)
        if path.exists() and filecmp.cmp(temp, path, shallow=False):
            return False
        os.replace(temp, path)
        return True
    finally:
        temp.unlink(missing_ok=True)


class PendingParquet:
    """A Parquet file written a table at a time beside `path`, which it replaces only on commit,
    and leaves alone when it would hold the same bytes (as write_parquet_atomic)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.temp = _temp_beside(path)
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.temp, table.schema, compression=PARQUET_COMPRESSION
            )
        self._writer.write_table(table)
        self.rows += table.num_rows

    def commit(self) -> bool:
        """Replace `path`; False when it held these bytes already."""
        try:
            if self._writer is None:
                pq.write_table(
                    self.schema.empty_table(), self.temp, compression=PARQUET_COMPRESSION
                )
            else:
                self._writer.close()
            if self.path.exists() and filecmp.cmp(self.temp, self.path, shallow=False):
                return False
            os.replace(self.temp, self.path)
            return True
        finally:
            self.temp.unlink(missing_ok=True)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.rows = 0
        self.temp.unlink(missing_ok=True)


def parquet_unchanged(table: pa.Table, path: Path) -> bool:
    """True when write_parquet_atomic(table, path) would leave the file as it is."""
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer, compression=PARQUET_COMPRESSION)
    try:
        return path.read_bytes() == buffer.getvalue().to_pybytes()
    except FileNotFoundError:
        return False


def write_bytes_atomic(data: bytes, path: Path) -> None:
    temp = _temp_beside(path)
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_json_atomic(data: object, path: Path) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    write_bytes_atomic(text.encode("utf-8"), path)


# A spreadsheet runs text starting with these as a formula (CSV injection); a leading quote stops it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


QUARANTINE_CSV_HEADER = ["source_file", "source_row", "outcome", "reasons", "original"]


def write_quarantine_csv(table: pa.Table, path: Path) -> None:
    """The quarantine as a `;`-separated file a controller opens in Excel, formulas neutralised."""
    pending = PendingQuarantineCsv(path)
    try:
        pending.write(table)
        pending.commit()
    finally:
        pending.discard()


class PendingQuarantineCsv:
    """write_quarantine_csv a table at a time, replacing `path` on commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.temp = _temp_beside(path)
        self._handle = self.temp.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle, delimiter=";")
        self._writer.writerow(QUARANTINE_CSV_HEADER)

    def write(self, table: pa.Table) -> None:
        for record in table.select(
            ["source_file", "source_row", "landed", "reasons", "original"]
        ).to_pylist():
            self._writer.writerow(
                [
                    neutralise(record["source_file"]),
                    record["source_row"],
                    "landed without these values" if record["landed"] else "not landed",
                    neutralise(" | ".join(record["reasons"])),
                    neutralise(record["original"]),
                ]
            )

    def commit(self) -> None:
        self._handle.close()
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        self._handle.close()
        self.temp.unlink(missing_ok=True)


def read_json(path: Path) -> dict | None:
    """None when the file is missing, or damaged: every JSON file here is state that a run makes
    again (a load result, a fingerprint, what a build was made from), so a damaged one is treated
    as missing and the run redoes what it recorded."""
    try:
        # bytes straight to json (UTF-8): half the time of read_text over 11,000 load results
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        logging.getLogger(__name__).warning("%s is damaged (%s); made again", path, error)
        return None
