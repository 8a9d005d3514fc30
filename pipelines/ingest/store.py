"""The landing zone, quarantine and load results of one warehouse folder: where a checked
delivery is stored, and what the last check of each delivery slot decided."""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Container
from pathlib import Path

import pyarrow as pa

from pipelines.contract.delivery import Delivery
from pipelines.contract.kinds import kind as delivery_kind
from pipelines.contract.suites import contract_version, required_fields
from pipelines.ingest.check import (
    ACCEPTED,
    PARTIAL,
    QUARANTINE_SCHEMA,
    REJECTED,
    CheckedDelivery,
    LoadResult,
)
from pipelines.settings import Paths
from pipelines.storage.files import (
    PendingParquet,
    PendingQuarantineCsv,
    read_json,
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_quarantine_csv,
)


class LandingStore:
    """The landing zone, quarantine and load results of one warehouse folder."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def landed_file(self, delivery: Delivery) -> Path:
        return self.paths.landing / delivery.kind / f"{delivery.key}.parquet"

    def quarantine_file(self, delivery: Delivery) -> Path:
        return self.paths.quarantine / delivery.kind / f"{delivery.key}.parquet"

    def result_file(self, delivery: Delivery) -> Path:
        return self.paths.load_results / self.result_name(delivery)

    @staticmethod
    def result_name(delivery: Delivery) -> str:
        """The load result's file under the load results: `ledger/GM0363_2024_ledger.json`."""
        return f"{delivery.kind}/{delivery.key}.json"

    @property
    def validations_dir(self) -> Path:
        return self.paths.load_results / "validations"

    def keep_validations(self, validations: list) -> None:
        """GX results of a check (validation.RecordedValidation), pickled until the Data Docs
        are built from them; the process that keeps them need not import GX to do so."""
        if validations:
            target = self.validations_dir / f"{uuid.uuid4().hex}.pickle"
            write_bytes_atomic(pickle.dumps(validations), target)

    def kept_validations(self) -> list[Path]:
        return sorted(self.validations_dir.glob("*.pickle"))

    def previous_result(self, delivery: Delivery) -> dict | None:
        return read_json(self.result_file(delivery))

    def is_unchanged(self, delivery: Delivery, delivery_id: str, profile: str | None) -> bool:
        """The last check saw these bytes (delivery_id), under this profile (its digest) and this
        contract: its verdict stands, accepted or rejected."""
        return self.verdict_stands(self.previous_result(delivery), delivery, delivery_id, profile)

    def verdict_stands(
        self,
        previous: dict | None,
        delivery: Delivery,
        delivery_id: str,
        profile: str | None,
        landed: Container[str] | None = None,
    ) -> bool:
        """is_unchanged, with the delivery's previous load result (its delivery_id, profile,
        contract_version and status) read already; landed: the names of the landed files of its
        kind (landed_names), when listed already."""
        if not previous or previous.get("delivery_id") != delivery_id:
            return False
        if previous.get("profile") != profile:
            return False
        if previous.get("contract_version") != contract_version(delivery.kind):
            return False
        if previous["status"] == REJECTED:
            return True
        if landed is None:
            return self.landed_file(delivery).exists()
        return self.landed_file(delivery).name in landed

    def landed_names(self, kind: str) -> set[str]:
        """The names of the landed files of a kind: one listing instead of a stat per delivery."""
        try:
            return set(os.listdir(self.paths.landing / kind))
        except FileNotFoundError:
            return set()

    def previous_columns(self, delivery: Delivery) -> list[str] | None:
        """Columns of the most recent accepted delivery of this municipality and kind."""
        folder = self.paths.load_results / delivery.kind
        candidates = []
        for path in folder.glob(f"{delivery.municipality_code}_*.json") if folder.exists() else []:
            result = read_json(path)
            if result and result["status"] in (ACCEPTED, PARTIAL) and result.get("columns"):
                candidates.append((result.get("fiscal_year") or 0, result["columns"]))
        return max(candidates)[1] if candidates else None

    def store(self, checked: CheckedDelivery, delivery: Delivery) -> None:
        result = checked.result
        if checked.accepted is not None:
            write_parquet_atomic(
                landed_rows(checked.accepted, delivery.kind), self.landed_file(delivery)
            )
        quarantine = self.quarantine_file(delivery)
        readable = quarantine.with_suffix(".csv")
        if checked.quarantine is not None and checked.quarantine.num_rows:
            write_parquet_atomic(checked.quarantine, quarantine)
            write_quarantine_csv(checked.quarantine, readable)
        elif result.landed:
            quarantine.unlink(missing_ok=True)
            readable.unlink(missing_ok=True)
        write_json_atomic(result.as_dict(), self.result_file(delivery))


class PendingDelivery:
    """What LandingStore.store writes for a delivery checked a batch at a time: its landed and its
    quarantined rows are written as they are decided, and stored or dropped with its load result
    once the verdict is known. Until then the last stored version stays as it was."""

    def __init__(self, store: LandingStore, delivery: Delivery) -> None:
        self.store = store
        self.delivery = delivery
        empty = landed_rows(delivery_kind(delivery.kind).schema.empty_table(), delivery.kind)
        self.landing = PendingParquet(store.landed_file(delivery), empty.schema)
        self._start_quarantine()

    def _start_quarantine(self) -> None:
        target = self.store.quarantine_file(self.delivery)
        self.quarantine = PendingParquet(target, QUARANTINE_SCHEMA)
        self.readable = PendingQuarantineCsv(target.with_suffix(".csv"))

    def add(self, accepted: pa.Table | None, quarantine: pa.Table) -> None:
        if accepted is not None:
            self.landing.write(landed_rows(accepted, self.delivery.kind))
        if quarantine.num_rows:
            self.quarantine.write(quarantine)
            self.readable.write(quarantine)

    def quarantine_again(self) -> None:
        """Drop the quarantine written so far: every row is to be quarantined instead."""
        self.quarantine.discard()
        self.readable.discard()
        self._start_quarantine()

    def finish(self, result: LoadResult) -> None:
        """Store what the verdict says, as LandingStore.store would have."""
        if result.landed:
            self.landing.commit()
        else:
            self.landing.discard()
        if self.quarantine.rows:
            self.quarantine.commit()
            self.readable.commit()
        else:
            self.discard_quarantine(keep_last=not result.landed)
        write_json_atomic(result.as_dict(), self.store.result_file(self.delivery))

    def reject(self, result: LoadResult) -> None:
        """Store a rejection that quarantines nothing: drop what was written, keep the last
        stored version of the delivery as it was."""
        self.landing.discard()
        self.discard_quarantine(keep_last=True)
        write_json_atomic(result.as_dict(), self.store.result_file(self.delivery))

    def discard_quarantine(self, *, keep_last: bool) -> None:
        self.quarantine.discard()
        self.readable.discard()
        if not keep_last:
            self.quarantine.path.unlink(missing_ok=True)
            self.readable.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Drop what was written; store nothing."""
        self.landing.discard()
        self.discard_quarantine(keep_last=True)


def landed_rows(rows: pa.Table, kind: str) -> pa.Table:
    """The accepted rows in the kind's schema, its columns in its order (every landed file of a
    kind has the same columns: dbt reads them as one table without uniting their footers), with
    the suite's required fields declared required, as the lineage fields are: a null cannot be
    written there (the cast refuses it), so dbt need not look for one over every line kept
    (models/staging/landing/stg_landing__ledger_lines.yml)."""
    required = required_fields(kind)
    given = {f.name: f for f in rows.schema}

    def nullable(field: pa.Field) -> bool:
        return field.nullable and field.name not in required and given[field.name].nullable

    schema = pa.schema(
        [f.with_nullable(nullable(f)) for f in delivery_kind(kind).schema],
        metadata=rows.schema.metadata,
    )
    if rows.schema.names != schema.names:
        rows = rows.select(schema.names)
    return rows if schema.equals(rows.schema) else rows.cast(schema)
