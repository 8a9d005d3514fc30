"""The load results as read for a run (load_results.kept_results): a result file is read again
exactly when it changed, and what was read before is never trusted over the files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.contract.delivery import Delivery
from pipelines.contract.suites import contract_version
from pipelines.ingest.check import ACCEPTED, REJECTED, LoadResult
from pipelines.ingest.load_results import RESULTS_READ, kept_results, write_results_table
from pipelines.ingest.store import LandingStore
from pipelines.settings import Paths
from pipelines.storage.files import write_json_atomic


def result(code: str, year: int, status: str = ACCEPTED, **fields) -> dict:
    given = {
        "rows_read": 10,
        "rows_landed": 10 if status == ACCEPTED else 0,
        "failed_expectations": [] if status == ACCEPTED else ["balanced"],
        "message": "ok",
        "contract_version": contract_version("ledger"),
        "profile": "p1",
        **fields,
    }
    return LoadResult(
        delivery_key=f"{code}_{year}_ledger",
        kind="ledger",
        municipality_code=code,
        fiscal_year=year,
        source_file=f"{code}/{year}/ledger.csv",
        delivery_id=f"sha-{code}-{year}",
        status=status,
        **given,
    ).as_dict()


def store(paths: Paths, record: dict) -> Path:
    path = paths.load_results / record["kind"] / f"{record['delivery_key']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(record, path)
    return path


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "data_raw", tmp_path / "warehouse")


def test_every_result_is_read_in_file_order_with_its_fields_and_whole_text(paths: Paths):
    store(paths, result("GM0363", 2024))
    store(paths, result("GM0014", 2024, REJECTED, notes=["a note"]))
    kept = kept_results(paths)
    assert kept.column("delivery_key") == ["GM0014_2024_ledger", "GM0363_2024_ledger"]
    assert kept.records()[0]["notes"] == ["a note"]
    assert kept.by_file("status", "profile")["ledger/GM0014_2024_ledger.json"] == {
        "status": REJECTED,
        "profile": "p1",
    }
    table = write_results_table(paths, kept).to_pylist()
    assert [r["failed_expectations"] for r in table] == [["balanced"], []]
    assert (paths.load_results / RESULTS_READ).exists()


def test_a_result_is_read_again_when_its_file_changed_and_forgotten_when_it_went(paths: Paths):
    store(paths, result("GM0363", 2023))
    second = store(paths, result("GM0363", 2024))
    kept_results(paths)
    reading = (paths.load_results / RESULTS_READ).stat().st_mtime_ns

    # nothing changed: the reading is not written again
    assert kept_results(paths).column("rows_read") == [10, 10]
    assert (paths.load_results / RESULTS_READ).stat().st_mtime_ns == reading

    # rewritten in place, with the same size and modification time: the inode tells
    replaced = result("GM0363", 2024, rows_read=99)
    stat = second.stat()
    store(paths, replaced)
    os.utime(second, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert kept_results(paths).column("rows_read") == [10, 99]

    (paths.load_results / "ledger" / "GM0363_2023_ledger.json").unlink()
    assert kept_results(paths).column("delivery_key") == ["GM0363_2024_ledger"]


@pytest.mark.parametrize("damage", [b"", b"not parquet at all", b"PAR1\x00\x00PAR1"])
def test_a_damaged_reading_is_read_again_from_the_files(paths: Paths, damage: bytes):
    store(paths, result("GM0363", 2024))
    kept_results(paths)
    (paths.load_results / RESULTS_READ).write_bytes(damage)
    assert kept_results(paths).column("delivery_key") == ["GM0363_2024_ledger"]


def test_a_damaged_result_file_is_left_out_as_before(paths: Paths):
    store(paths, result("GM0363", 2024))
    broken = paths.load_results / "ledger" / "GM0014_2024_ledger.json"
    broken.write_text('{"delivery_key": ', encoding="utf-8")
    assert kept_results(paths).column("delivery_key") == ["GM0363_2024_ledger"]


def test_a_verdict_stands_only_for_the_same_bytes_profile_contract_and_a_landed_file(
    paths: Paths,
):
    record = result("GM0363", 2024)
    delivery = Delivery(Path("x"), "GM0363", 2024, "ledger", "GM0363/2024/ledger.csv")
    landing = LandingStore(paths)
    landed = {f"{delivery.key}.parquet"}
    assert landing.verdict_stands(record, delivery, record["delivery_id"], "p1", landed)
    assert not landing.verdict_stands(record, delivery, "other bytes", "p1", landed)
    assert not landing.verdict_stands(record, delivery, record["delivery_id"], "p2", landed)
    assert not landing.verdict_stands(record, delivery, record["delivery_id"], "p1", set())
    assert not landing.verdict_stands(None, delivery, record["delivery_id"], "p1", landed)
    old_contract = {**record, "contract_version": "0"}
    assert not landing.verdict_stands(old_contract, delivery, record["delivery_id"], "p1", landed)
    # listed or looked for: the same answer
    assert not landing.verdict_stands(record, delivery, record["delivery_id"], "p1")
    rejected = {**record, "status": REJECTED}
    assert landing.verdict_stands(rejected, delivery, record["delivery_id"], "p1", set())


def test_the_load_quality_table_is_the_same_file_whether_read_before_or_afresh(paths: Paths):
    """dbt builds nothing when no landed file changed: the same results must give the same bytes."""
    store(paths, result("GM0363", 2023, REJECTED))
    store(paths, result("GM0363", 2024))
    kept_results(paths)
    store(paths, result("GM0014", 2024, notes=["late"]))  # read now, beside what was read before
    written = paths.landing / "load_results.parquet"
    write_results_table(paths, kept_results(paths))
    again = written.read_bytes()
    (paths.load_results / RESULTS_READ).unlink()
    write_results_table(paths, kept_results(paths))
    assert written.read_bytes() == again
