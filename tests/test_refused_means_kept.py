"""A file refused before it is read keeps the last good version of every slot it could be; only a
delivery that is really gone (nothing in its place) withdraws its slot. Through the ingest only:
tests/test_last_good_data.py runs the same damages through the real pipeline and the mart."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from pipelines.cli.runner import plan_run
from pipelines.contract.delivery import fingerprint_files
from pipelines.ingest import discovery
from pipelines.ingest.deliveries import ingest_kind, slots_to_ingest
from pipelines.ingest.discovery import DropZone
from pipelines.ingest.load_results import current_results, write_results_table
from pipelines.settings import Paths
from tests.damages import DROP_ZONE_DAMAGES, Damage, drop_zone_of_good_ledgers


@pytest.fixture
def zone(tmp_path: Path) -> tuple[Paths, Path, Path]:
    """Two slots of good ledgers, ingested; (paths, the first slot's ledger, the second's)."""
    ledgers = list(drop_zone_of_good_ledgers(tmp_path / "data_raw", 2).values())
    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")
    run(paths)
    return paths, ledgers[0], ledgers[1]


def run(paths: Paths) -> dict[str, dict]:
    """The ingest of a run: the slots that changed, then every load result by delivery key."""
    listed = DropZone.listed(paths.deliveries)
    only = set(slots_to_ingest(paths, listed))
    ingest_kind(paths, "ledger", drop_zone=listed, only=only)
    ingest_kind(paths, "account_mapping", drop_zone=listed)
    return {
        r["delivery_key"]: r
        for r in write_results_table(paths, current_results(paths, listed)).to_pylist()
    }


def landed(paths: Paths, ledger: Path) -> Path:
    code, year = ledger.parts[-3], ledger.parts[-2]
    return paths.landing / "ledger" / f"{code}_{year}_ledger.parquet"


def key(ledger: Path) -> str:
    return f"{ledger.parts[-3]}_{ledger.parts[-2]}_ledger"


@pytest.mark.parametrize("damage", DROP_ZONE_DAMAGES, ids=lambda damage: damage.name)
def test_a_refused_file_keeps_the_last_good_version(zone, damage: Damage):
    paths, ledger, other = zone
    good = pq.read_table(landed(paths, ledger))

    damage.apply(ledger)
    results = run(paths)

    kept = results[key(ledger)]
    assert (kept["status"], kept["delivery_id"]) == ("rejected", None)
    assert damage.says in kept["message"] and "the last good version stays" in kept["message"]
    assert pq.read_table(landed(paths, ledger)).equals(good)
    refused = [r for r in results.values() if r["kind"] == "unknown"]
    assert refused and all(damage.says in r["message"] for r in refused)
    assert {r["municipality_code"] for r in refused} == {ledger.parts[-3]}
    assert results[key(other)]["status"] in ("accepted", "unchanged")


def test_a_removed_delivery_is_withdrawn_whatever_litter_or_other_refusals_are_left(zone):
    paths, ledger, other = zone
    ledger.unlink()
    for litter in (".DS_Store", "._ledger.csv", "Thumbs.db", "~$ledger.xlsx"):
        (ledger.parent / litter).write_text("x")
    (ledger.parent / "training.txt").write_text("a name that says another kind")
    (other.parent / "grootboek.csv").write_text("refused in another slot")

    results = run(paths)

    assert key(ledger) not in results
    assert not landed(paths, ledger).exists()
    assert {r["source_file"] for r in results.values() if r["kind"] == "unknown"} == {
        f"{ledger.parts[-3]}/{ledger.parts[-2]}/training.txt",
        f"{other.parts[-3]}/{other.parts[-2]}/grootboek.csv",
    }
    assert results[key(other)]["status"] == "accepted"


def test_the_file_back_in_its_place_is_read_again(zone):
    paths, ledger, _ = zone
    content = ledger.read_bytes()
    ledger.unlink()
    ledger.symlink_to("/etc/passwd")
    assert run(paths)[key(ledger)]["status"] == "rejected"

    ledger.unlink()
    ledger.write_bytes(content)
    assert run(paths)[key(ledger)]["status"] == "accepted"


def test_an_unreadable_file_is_refused_and_kept(zone, monkeypatch):
    """Root reads any file, so the permission is taken away in the probe itself."""
    paths, ledger, _ = zone
    good = pq.read_table(landed(paths, ledger))
    real = discovery.readable
    monkeypatch.setattr(discovery, "readable", lambda path: Path(path) != ledger and real(path))

    kept = run(paths)[key(ledger)]

    assert kept["status"] == "rejected"
    assert "the file cannot be opened by the pipeline (no read permission)" in kept["message"]
    assert pq.read_table(landed(paths, ledger)).equals(good)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file without read permission")
def test_a_file_without_read_permission_is_refused(zone):
    paths, ledger, _ = zone
    ledger.chmod(0)
    [refused] = DropZone.listed(paths.deliveries).refused
    assert "no read permission" in refused.error.message


def test_a_new_dagster_instance_plans_the_slot_of_a_removed_or_refused_delivery(zone):
    paths, ledger, other = zone
    ledger.unlink()
    other.rename(other.with_name("grootboek.csv"))

    plan = plan_run(paths, dg.DagsterInstance.ephemeral())

    assert {"-".join(ledger.parts[-3:-1]), "-".join(other.parts[-3:-1])} <= set(plan.partition_keys)


def test_the_sensor_never_reads_through_a_link(tmp_path: Path):
    deliveries = tmp_path / "deliveries" / "GM0363" / "2024"
    deliveries.mkdir(parents=True)
    (deliveries / "ledger.csv").symlink_to("/dev/zero")  # read, it would never end
    (deliveries / "assets.csv").write_text("x")
    assert list(fingerprint_files(tmp_path / "deliveries", {})) == ["GM0363/2024/assets.csv"]
