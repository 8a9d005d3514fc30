"""Ingest every delivery of one kind from the drop zone into the landing zone."""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract.delivery import Delivery, fingerprint, unchanged_file
from pipelines.contract.kinds import KINDS, yearly_kinds
from pipelines.contract.kinds import kind as delivery_kind
from pipelines.ingest.check import (
    ACCEPTED,
    DEFAULT_POLICY,
    REJECTED,
    UNCHANGED,
    CheckOptions,
    LoadPolicy,
    LoadResult,
)
from pipelines.ingest.discovery import DropZone
from pipelines.ingest.load_results import kept_results
from pipelines.ingest.profiles import Profiles, ProfileUse
from pipelines.ingest.store import LandingStore
from pipelines.ingest.workers import check_and_store_all
from pipelines.settings import MUNICIPALITY_SUCCESSORS_SEED, Paths, available_cores
from pipelines.storage import stop_points
from pipelines.storage.files import read_json, write_json_atomic, write_parquet_atomic

# what the last look at each delivery saw: [size, mtime_ns, sha256], under load_results/
FINGERPRINTS = "fingerprints.json"


def ensure_landing_schema(paths: Paths, kind: str) -> None:
    """An empty file with the schema, so that models over a kind nobody delivered yet still run;
    written again when the kind's schema has changed (a column added), or the models would miss
    the new column until a delivery of the kind lands."""
    schema = delivery_kind(kind).schema
    target = paths.landing / kind / "_schema.parquet"
    if target.exists():
        try:
            if pq.read_schema(target).equals(schema, check_metadata=False):
                return
        except (OSError, pa.ArrowInvalid):
            pass  # damaged: written again
    write_parquet_atomic(schema.empty_table(), target)


def ingest_kind(
    paths: Paths,
    kind: str,
    *,
    drop_zone: DropZone | None = None,
    policy: LoadPolicy = DEFAULT_POLICY,
    pseudonymiser: Callable[[str], str] | None = None,
    log: Callable[[str], None] = lambda message: None,
    only: set[tuple[str, int]] | None = None,
    workers: int = 1,
) -> list[LoadResult]:
    """Load new or changed deliveries of `kind`, drop what is no longer delivered.

    drop_zone: the run's listing of the drop zone (listed here when not given).
    only: the (municipality, fiscal year) slots to look at, e.g. the partitions of a run; the
    landed files of other slots are not touched.
    workers: processes that read and check deliveries side by side.
    """
    store = LandingStore(paths)
    ensure_landing_schema(paths, kind)
    listed = drop_zone or DropZone.listed(paths.deliveries)
    if only is not None:
        listed = listed.in_slots(only)
    results = load_deliveries(
        listed.of_kind(kind),
        store,
        policy=policy,
        pseudonymiser=pseudonymiser,
        known_municipalities=known_municipalities(paths.reference),
        workers=workers,
        profiles=Profiles(listed),
    )
    stop_points.moment("ingest")
    # one event per delivery would cost the event log more than the check itself at national scale
    for result in results:
        if result.status not in (ACCEPTED, UNCHANGED):
            log(f"{result.source_file}: {result.status} {result.message or ''}".rstrip())
    counts = ", ".join(f"{n} {status}" for status, n in status_counts(results).items())
    log(f"{kind}: {len(results)} deliveries, {counts or 'none'}")
    delivered = {d.key for d in listed.of_kind(kind)}
    kept = keep_held_slots(store, kind, listed, delivered, only)
    for result in kept:
        log(f"{result.delivery_key}: {result.message}")
    prune(paths, kind, delivered | {r.delivery_key for r in kept}, only)
    return sorted(results + kept, key=lambda r: r.delivery_key)


def warehouse_slots(paths: Paths, kind: str) -> dict[str, tuple[str, int | None]]:
    """delivery key -> (municipality, fiscal year) of every slot of `kind` the warehouse holds
    something of: a landed file or a load result."""
    keys = {
        name.removesuffix(suffix)
        for folder, suffix in (
            (paths.landing / kind, ".parquet"),
            (paths.load_results / kind, ".json"),
        )
        for name in (os.listdir(folder) if folder.is_dir() else [])
        if name.endswith(f"_{kind}{suffix}") and not name.startswith("_")
    }
    slots = {}
    for key in keys:
        code, _, year = key.removesuffix(f"_{kind}").partition("_")
        slots[key] = (code, int(year) if year.isdigit() else None)
    return slots


def keep_held_slots(
    store: LandingStore,
    kind: str,
    listed: DropZone,
    delivered: set[str],
    only: set[tuple[str, int]] | None = None,
) -> list[LoadResult]:
    """Slots of `kind` without a delivery now that a refused file could be (a link, a folder, an
    unreadable or hidden file, an unknown name, a second file in its place): the last good
    version stays landed, and the slot's load result says why it was not replaced."""
    kept = []
    for key, (code, year) in sorted(warehouse_slots(store.paths, kind).items()):
        if key in delivered or (only is not None and (code, year) not in only):
            continue
        refused = listed.holder(code, year, kind)
        if refused is None:
            continue
        stays = (
            "the last good version stays in place"
            if (store.paths.landing / kind / f"{key}.parquet").exists()
            else "nothing of this delivery had landed before"
        )
        result = LoadResult(
            delivery_key=key,
            kind=kind,
            municipality_code=code,
            fiscal_year=year,
            source_file=refused.relative_path,
            delivery_id=None,  # so that the file is read again as soon as it is back
            status=REJECTED,
            message=f"{refused.relative_path} was refused ({refused.error.message}); {stays}",
            problems=[refused.error.as_dict()],
        )
        write_json_atomic(result.as_dict(), store.paths.load_results / kind / f"{key}.json")
        kept.append(result)
    return kept


def slots_to_ingest(
    paths: Paths, drop_zone: DropZone | None = None
) -> dict[tuple[str, int], set[str]]:
    """The (municipality, fiscal year) slots whose delivered files differ from what the warehouse
    holds, with the kinds that differ: new or changed bytes, a contract version that moved, or a
    delivery that is no longer there (removed, or refused: a link, a second file, ...). The others
    would load as `unchanged`.

    Account mappings have no fiscal year; they are checked on every run. A file whose size and
    modification time are what they were at the last look is not read again (`ictbench run
    --full` reads everything).
    """
    store = LandingStore(paths)
    listed = drop_zone or DropZone.listed(paths.deliveries)
    yearly = [d for d in listed.deliveries if d.fiscal_year is not None]
    seen = paths.load_results / FINGERPRINTS
    previous = read_json(seen) or {}
    # every delivery, the account mappings too, so that the run does not hash them again
    # (looked_at); hashlib and file reads release the GIL: new files are hashed on every core,
    # while the files as they were (ten thousand after ten years) cost a stat in this thread
    fingerprints = {}
    to_hash = []
    for delivery in listed.deliveries:
        known = previous.get(delivery.relative_path)
        if unchanged_file(delivery.path, known):
            fingerprints[delivery.relative_path] = known
        else:
            to_hash.append(delivery)
    with ThreadPoolExecutor(available_cores()) as pool:
        hashed = pool.map(lambda d: fingerprint(d.path, None), to_hash)
        fingerprints.update({d.relative_path: f for d, f in zip(to_hash, hashed, strict=True)})
    if fingerprints != previous:  # ten thousand files as they were: nothing to write
        seen.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(fingerprints, seen)
    slots: dict[tuple[str, int], set[str]] = {}

    def changed(code: str, year: int, kind: str) -> None:
        slots.setdefault((code, year), set()).add(kind)

    profiles = Profiles(listed)
    verdicts = kept_results(paths).by_file("delivery_id", "profile", "contract_version", "status")
    landed = {kind.name: store.landed_names(kind.name) for kind in yearly_kinds()}
    for d in yearly:
        profile = profiles.digest(d.municipality_code)
        verdict = verdicts.get(store.result_name(d))
        delivery_id = fingerprints[d.relative_path][2]
        if not store.verdict_stands(verdict, d, delivery_id, profile, landed[d.kind]):
            changed(d.municipality_code, d.fiscal_year, d.kind)
    # a slot no longer delivered: withdrawn, or kept while a refused file could be its delivery
    delivered = {(d.kind, d.key) for d in yearly}
    for kind in (k.name for k in yearly_kinds()):
        for key, (code, year) in warehouse_slots(paths, kind).items():
            if (kind, key) not in delivered and year is not None:
                changed(code, year, kind)
    return slots


def looked_at(paths: Paths, deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries with what planning saw of their files (slots_to_ingest), so that a file is
    not hashed again, in this process nor in the checking worker, while it stays as it was."""
    recorded = read_json(paths.load_results / FINGERPRINTS) or {}
    return [replace(d, known=recorded.get(d.relative_path)) for d in deliveries]


def standing_kinds_unchanged(paths: Paths, drop_zone: DropZone | None = None) -> set[str]:
    """The kinds without a fiscal year (account mappings) whose deliveries a run will find as
    they were: every one unchanged, none new, none withdrawn. Their landed files stay as they are,
    so what reads only them need not be built again."""
    store = LandingStore(paths)
    listed = drop_zone or DropZone.listed(paths.deliveries)
    profiles = Profiles(listed)
    unchanged = set()
    for kind in (k.name for k in KINDS.values() if not k.per_year):
        deliveries = looked_at(paths, listed.of_kind(kind))
        if set(warehouse_slots(paths, kind)) == {d.key for d in deliveries} and all(
            store.is_unchanged(d, d.content_hash(), profiles.digest(d.municipality_code))
            for d in deliveries
        ):
            unchanged.add(kind)
    return unchanged


def load_deliveries(
    deliveries: list[Delivery],
    store: LandingStore,
    *,
    policy: LoadPolicy = DEFAULT_POLICY,
    pseudonymiser: Callable[[str], str] | None = None,
    known_municipalities: frozenset[str] | None = None,
    workers: int = 1,
    profiles: Profiles | None = None,
) -> list[LoadResult]:
    """Load deliveries idempotently: the same bytes, under the same profile and contract, change
    nothing, whether they were accepted or rejected the last time."""
    results: list[LoadResult] = []
    pending = []
    for delivery in looked_at(store.paths, deliveries):
        delivery_id = delivery.content_hash()
        profile = profiles.for_delivery(delivery) if profiles else ProfileUse()
        if store.is_unchanged(delivery, delivery_id, profile.digest):
            previous = store.previous_result(delivery)
            results.append(LoadResult(**{**previous, "status": UNCHANGED, "problems": []}))
            continue
        options = CheckOptions(
            policy=policy,
            pseudonymiser=pseudonymiser,
            known_municipalities=known_municipalities,
            previous_columns=store.previous_columns(delivery),
            profile=profile.profile,
            profile_error=profile.error,
            profile_digest=profile.digest,
            delivery_id=delivery_id,
        )
        pending.append((delivery, options))
    results.extend(check_and_store_all(pending, store.paths, workers))
    return sorted(results, key=lambda r: r.delivery_key)


def status_counts(results: list[LoadResult]) -> dict[str, int]:
    """Deliveries per load status, e.g. {'accepted': 340, 'rejected': 2}, sorted by status."""
    return dict(sorted(Counter(result.status for result in results).items()))


def known_municipalities(reference: Path) -> frozenset[str] | None:
    """CBS codes from the drop zone's reference list and the predecessors of the mergers seed (a
    merged municipality's earlier years); None when there is no list to check against."""
    from pipelines.readers.cbs import read_municipalities

    source = reference / "gemeenten.csv"
    if not source.exists():
        return None
    listed = read_municipalities(source)["municipality_code"].to_pylist()
    with MUNICIPALITY_SUCCESSORS_SEED.open(encoding="utf-8", newline="") as handle:
        predecessors = [row["predecessor_code"] for row in csv.DictReader(handle)]
    return frozenset(listed + predecessors)


def prune(
    paths: Paths, kind: str, delivered_keys: set[str], only: set[tuple[str, int]] | None = None
) -> None:
    """A delivery removed from data_raw disappears from the warehouse too."""
    in_scope = None if only is None else {f"{code}_{year}_{kind}" for code, year in only}
    for folder, suffix in (
        (paths.landing / kind, ".parquet"),
        (paths.quarantine / kind, ".parquet"),
        (paths.quarantine / kind, ".csv"),
        (paths.load_results / kind, ".json"),
    ):
        if not folder.exists():
            continue
        for path in folder.glob(f"*{suffix}"):
            if path.name.startswith("_"):
                continue
            key = path.name.removesuffix(suffix)
            if in_scope is not None and key not in in_scope:
                continue
            if key not in delivered_keys:
                path.unlink()
