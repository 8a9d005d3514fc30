"""The load path without Dagster: idempotency, thresholds, quarantine, last good data kept."""

import csv
import hashlib
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.ingest.check import LoadPolicy
from pipelines.ingest.deliveries import ingest_kind
from pipelines.ingest.load_results import current_results, write_results_table
from pipelines.settings import Paths
from tests.conftest import FIXTURES

LEDGER = Path("deliveries/GM0363/2024/ledger.csv")


@pytest.fixture
def paths(tmp_path) -> Paths:
    data_raw = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    return Paths(data_raw, tmp_path / "warehouse")


def ledger(paths: Paths, key: str = "GM0363_2024_ledger") -> Path:
    return paths.landing / "ledger" / f"{key}.parquet"


def results_by_key(results):
    return {r.delivery_key: r for r in results}


def append_lines(path: Path, lines: list[str]) -> None:
    text = path.read_bytes().decode("cp1252")
    path.write_bytes((text + "".join(line + "\n" for line in lines)).encode("cp1252"))


def padding(count: int = 150) -> list[str]:
    """Lines of vouchers that close, two lines each, as a full general ledger has them."""
    return [
        f"0{1 + i // 2 % 9}-09-2024;MEM;{100 + i // 2};"
        + (f"4500;;Groen {i};10,00" if i % 2 == 0 else "1600;;Crediteuren;10,00-")
        for i in range(count)
    ]


def test_same_bytes_again_is_a_no_op(paths):
    first = results_by_key(ingest_kind(paths, "ledger"))
    assert first["GM0363_2024_ledger"].status == "accepted"
    landed_at = ledger(paths).stat().st_mtime_ns
    second = results_by_key(ingest_kind(paths, "ledger"))
    assert second["GM0363_2024_ledger"].status == "unchanged"
    assert ledger(paths).stat().st_mtime_ns == landed_at


def test_a_changed_file_replaces_its_predecessor(paths):
    ingest_kind(paths, "ledger")
    append_lines(
        paths.data_raw / LEDGER,
        [
            "01-09-2024;INK;8;4301;;Extra licentie;100,00",
            "01-09-2024;INK;8;1600;;Crediteuren;100,00-",
        ],
    )
    result = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]
    assert result.status == "accepted"
    assert pq.read_table(ledger(paths)).num_rows == 16


def test_a_few_bad_rows_are_quarantined_and_the_rest_lands(paths):
    lines = padding()
    lines.append("02-09-2024;INK;9;4301;;Licentie;12,3,4")
    append_lines(paths.data_raw / LEDGER, lines)
    result = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]
    assert result.status == "partially_accepted"
    assert result.rows_read == result.rows_landed + result.rows_quarantined == 165
    assert result.rows_quarantined == 1
    quarantine = pq.read_table(paths.quarantine / "ledger" / "GM0363_2024_ledger.parquet")
    [row] = quarantine.to_pylist()
    assert row["source_row"] == 166
    assert row["reasons"] == [
        "column `bedrag`: '12,3,4' is not an amount (expected e.g. 1.234,56 or 1.234,56-)"
    ]
    assert '"bedrag": "12,3,4"' in row["original"]


def test_too_many_bad_rows_reject_the_file_and_keep_the_last_good_version(paths):
    ingest_kind(paths, "ledger")
    good = pq.read_table(ledger(paths))
    append_lines(paths.data_raw / LEDGER, ["02-09-2024;INK;9;4301;;Licentie;veel"])
    result = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]
    assert result.status == "rejected"
    assert "1 of 15 rows" in result.message and "more than 1% is not accepted" in result.message
    assert "Most common: amount_format" in result.message
    assert result.rows_read == result.rows_landed + result.rows_quarantined
    assert pq.read_table(ledger(paths)).equals(good)


def test_the_threshold_is_configurable(paths):
    append_lines(paths.data_raw / LEDGER, ["02-09-2024;INK;9;4301;;Licentie;veel"])
    policy = LoadPolicy(max_quarantined_row_share=0.10, max_quarantined_amount_share=0.10)
    result = results_by_key(ingest_kind(paths, "ledger", policy=policy))["GM0363_2024_ledger"]
    assert result.status == "partially_accepted"


def test_dates_outside_the_fiscal_year_are_named(paths):
    append_lines(
        paths.data_raw / LEDGER,
        ["15-01-2025;INK;9;4301;;Licentie;10,00", "15-12-2024;INK;9;1600;;Crediteuren;10,00-"],
    )
    result = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]
    problem = next(p for p in result.problems if p["rule"] == "booking_date_in_fiscal_year")
    assert problem["row"] == 16 and problem["column"] == "booking_date"
    assert problem["message"] == "'2025-01-15' is not in the fiscal year of the delivery"


def test_quarantine_csv_neutralises_formulas(paths):
    lines = padding()
    lines.append('02-09-2024;INK;9;4301;;=HYPERLINK("http://x");abc')
    append_lines(paths.data_raw / LEDGER, lines)
    ingest_kind(paths, "ledger")
    path = paths.quarantine / "ledger" / "GM0363_2024_ledger.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["source_file", "source_row", "outcome", "reasons", "original"]
    assert rows[1][1:3] == ["166", "not landed"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_unknown_municipality_is_rejected_with_its_code(paths):
    target = paths.data_raw / "deliveries" / "GM9999" / "2024" / "ledger.csv"
    target.parent.mkdir(parents=True)
    shutil.copy(paths.data_raw / LEDGER, target)
    result = results_by_key(ingest_kind(paths, "ledger"))["GM9999_2024_ledger"]
    assert result.status == "rejected"
    assert "unknown municipality code GM9999" in result.message
    assert not ledger(paths, "GM9999_2024_ledger").exists()


def test_header_drift_rejects_a_file_that_lost_a_column(paths):
    ingest_kind(paths, "ledger")
    source = paths.data_raw / LEDGER
    text = source.read_bytes().decode("cp1252").splitlines()
    without_cost_centre = [
        ";".join(f for i, f in enumerate(line.split(";")) if i != 4) for line in text
    ]
    source.write_bytes(("\n".join(without_cost_centre) + "\n").encode("cp1252"))
    result = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]
    assert result.status == "rejected"
    assert "header drift: column(s) `cost_centre`" in result.message


def test_a_removed_delivery_disappears_from_the_warehouse(paths):
    ingest_kind(paths, "ledger")
    (paths.data_raw / LEDGER).unlink()
    ingest_kind(paths, "ledger")
    assert not ledger(paths).exists()
    assert ledger(paths, "GM0088_2024_ledger").exists()


def test_symlinks_and_stray_files_are_refused_visibly(paths, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("boekdatum;rekening;bedrag\n")
    link = paths.data_raw / "deliveries" / "GM0088" / "2023" / "ledger.csv"
    link.parent.mkdir()
    os.symlink(outside, link)
    (paths.data_raw / "deliveries" / "GM0088" / "2024" / "notes.txt").write_text("hi")
    ingest_kind(paths, "ledger")
    results = {
        r["source_file"]: r for r in write_results_table(paths, current_results(paths)).to_pylist()
    }
    assert "symbolic links are not accepted" in results["GM0088/2023/ledger.csv"]["message"]
    assert "'notes.txt' is not a known delivery file" in results["GM0088/2024/notes.txt"]["message"]
    assert not ledger(paths, "GM0088_2023_ledger").exists()


def test_two_files_for_one_delivery_are_refused_and_the_last_good_one_stays(paths):
    ingest_kind(paths, "ledger")
    good = pq.read_table(ledger(paths))
    shutil.copy(paths.data_raw / LEDGER, paths.data_raw / LEDGER.with_suffix(".xaf"))
    kept = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]
    assert kept.status == "rejected" and kept.delivery_id is None
    assert "more than one file for the same delivery" in kept.message
    assert "the last good version stays in place" in kept.message
    refused = [
        r
        for r in write_results_table(paths, current_results(paths)).to_pylist()
        if r["kind"] == "unknown"
    ]
    assert sum("more than one file for the same delivery" in r["message"] for r in refused) == 2
    assert pq.read_table(ledger(paths)).equals(good)


def test_nothing_under_data_raw_is_written(paths):
    before = {p: p.stat().st_mtime_ns for p in paths.data_raw.rglob("*")}
    ingest_kind(paths, "ledger")
    ingest_kind(paths, "account_mapping")
    assert {p: p.stat().st_mtime_ns for p in paths.data_raw.rglob("*")} == before


def hashes_counted(monkeypatch) -> list[str]:
    import pipelines.contract.delivery as delivery_module

    hashed: list[str] = []
    original = delivery_module.file_sha256

    def counting(path, *args):
        hashed.append(str(path))
        return original(path, *args)

    monkeypatch.setattr(delivery_module, "file_sha256", counting)
    return hashed


def test_a_new_file_is_hashed_once_from_planning_to_landing(paths, monkeypatch):
    from pipelines.ingest.deliveries import slots_to_ingest, standing_kinds_unchanged

    hashed = hashes_counted(monkeypatch)
    slots_to_ingest(paths)
    assert "account_mapping" not in standing_kinds_unchanged(paths)  # nothing landed yet
    mappings = ingest_kind(paths, "account_mapping")
    results = ingest_kind(paths, "ledger")
    result = results_by_key(results)["GM0363_2024_ledger"]

    assert len(hashed) == len(set(hashed)) >= len(results) + len(mappings) > 2
    assert hashed.count(str(paths.data_raw / LEDGER)) == 1
    # the next run's planning finds the mappings as they were without reading them
    hashed.clear()
    slots_to_ingest(paths)
    assert "account_mapping" in standing_kinds_unchanged(paths)
    assert hashed == []
    assert result.delivery_id == hashlib.sha256((paths.data_raw / LEDGER).read_bytes()).hexdigest()


def test_a_file_changed_after_planning_is_hashed_again(paths, monkeypatch):
    from pipelines.ingest.deliveries import slots_to_ingest

    slots_to_ingest(paths)
    append_lines(
        paths.data_raw / LEDGER,
        [
            "01-09-2024;INK;8;4301;;Extra licentie;100,00",
            "01-09-2024;INK;8;1600;;Crediteuren;100,00-",
        ],
    )
    result = results_by_key(ingest_kind(paths, "ledger"))["GM0363_2024_ledger"]

    assert result.delivery_id == hashlib.sha256((paths.data_raw / LEDGER).read_bytes()).hexdigest()
    assert pq.read_table(ledger(paths)).num_rows == 16
