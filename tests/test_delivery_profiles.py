"""Delivery profiles: a municipality's own headers, words and sheet land exports in layouts the
built-in vocabularies do not know; a profile is checked strictly, and changing it checks that
municipality's deliveries again, nothing else."""

import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.contract.profile import PROFILE_FILE, InvalidProfile, read_profile
from pipelines.ingest.deliveries import ingest_kind, slots_to_ingest
from pipelines.ingest.discovery import DropZone
from pipelines.readers.pseudonymise import make_pseudonymiser
from pipelines.settings import Paths
from tests.conftest import FIXTURES
from tests.vendor_layouts import ALL, ASSETS, LEDGER, TRAINING, Layout

PSEUDONYMISE = make_pseudonymiser(b"p" * 32)


def paths_for(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "data_raw", tmp_path / "warehouse")


def ingest(paths: Paths, kind: str):
    return ingest_kind(paths, kind, pseudonymiser=PSEUDONYMISE if kind == "training" else None)


def landed(paths: Paths, kind: str, code: str = "GM0363", year: int = 2024) -> list[dict]:
    table = pq.read_table(paths.landing / kind / f"{code}_{year}_{kind}.parquet")
    return table.sort_by("source_row").to_pylist()


def plain(value):
    return str(value) if isinstance(value, Decimal) else value


def test_six_vendor_layouts_per_kind():
    for layouts in (ASSETS, TRAINING, LEDGER):
        assert len({layout.name for layout in layouts}) >= 6


@pytest.mark.parametrize("layout", ALL, ids=lambda layout: layout.name)
def test_each_vendor_layout_lands_completely_through_its_profile(layout: Layout, tmp_path):
    paths = paths_for(tmp_path)
    layout.write(paths.deliveries)

    [result] = ingest(paths, layout.kind)

    assert (result.status, result.message) == ("accepted", None)
    assert (result.rows_read, result.rows_landed) == (len(layout.rows), len(layout.rows))
    rows = landed(paths, layout.kind)
    for column, values in layout.expected.items():
        assert [plain(row[column]) for row in rows] == values, column
    if layout.kind == "training":
        assert all(len(row["employee_key"]) == 32 for row in rows)


@pytest.mark.parametrize(
    "layout",
    [layout for layout in ALL if layout.profile.get("columns") or layout.profile.get("values")],
    ids=lambda layout: layout.name,
)
def test_without_its_profile_the_layout_does_not_land_as_it_should(layout: Layout, tmp_path):
    paths = paths_for(tmp_path)
    layout.write(paths.deliveries)
    (paths.deliveries / "GM0363" / PROFILE_FILE).unlink()

    [result] = ingest(paths, layout.kind)

    if result.status == "accepted":  # then the profile's words are what it lacks
        rows = landed(paths, layout.kind)
        assert any(
            [plain(row[column]) for row in rows] != values
            for column, values in layout.expected.items()
        )
    else:
        assert result.status in ("rejected", "partially_accepted")


def write_profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / PROFILE_FILE
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "where", "message"),
    [
        ("asets:\n  columns: {asset_id: Naam}\n", 1, "asets", "not a kind of delivery"),
        ("assets:\n  colums: {asset_id: Naam}\n", 2, "assets.colums", "not a key of a profile"),
        (
            "assets:\n  columns:\n    asset_idd: Naam\n",
            3,
            "assets.columns.asset_idd",
            "not a column",
        ),
        (
            "assets:\n  values:\n    asset_class: {Werkplek: werkplek}\n",
            3,
            "assets.values.asset_class.Werkplek",
            "'werkplek' is not a code of asset_class",
        ),
        (
            "assets:\n  values:\n    purchase_date: {x: y}\n",
            3,
            "assets.values.purchase_date",
            "has no vocabulary",
        ),
        ("training:\n  sheet: Blad1\n", 2, "training.sheet", "not a key of a profile"),
        ("account_mapping:\n  columns: {category: Cat}\n", 1, "account_mapping", "no columns"),
        ("assets:\n  columns: {asset_id: Naam}\n  columns: {}\n", 3, "columns", "given twice"),
    ],
)
def test_a_profile_is_checked_strictly_and_says_where(tmp_path, text, line, where, message):
    with pytest.raises(InvalidProfile) as caught:
        read_profile(write_profile(tmp_path, text), label="GM0363/delivery_profile.yml")
    error = caught.value
    assert (error.file, error.row, error.column) == ("GM0363/delivery_profile.yml", line, where)
    assert message in error.message


def test_a_profile_that_is_not_yaml_says_so(tmp_path):
    with pytest.raises(InvalidProfile, match="cannot be read"):
        read_profile(write_profile(tmp_path, "assets:\n  columns: [unclosed\n"))


def test_an_empty_profile_changes_nothing(tmp_path):
    assert read_profile(write_profile(tmp_path, "# nothing yet\n")).kinds == {}


@pytest.fixture
def two_municipalities(tmp_path) -> Paths:
    """The hand-computed drop zone, with GM0363's ledger in a layout that needs its profile."""
    paths = paths_for(tmp_path)
    shutil.copytree(FIXTURES / "handcomputed", paths.data_raw)
    twinfield = next(layout for layout in LEDGER if layout.name.startswith("Twinfield"))
    twinfield.write(paths.deliveries)
    return paths


def test_an_invalid_profile_rejects_its_deliveries_and_keeps_what_landed(two_municipalities):
    paths = two_municipalities
    ingest(paths, "ledger")
    before = landed(paths, "ledger")
    profile = paths.deliveries / "GM0363" / PROFILE_FILE
    profile.write_text("ledger:\n  columns: {amount: Value, bedrag: Value}\n", encoding="utf-8")

    results = {r.municipality_code: r for r in ingest(paths, "ledger")}

    assert results["GM0363"].status == "rejected"
    assert "GM0363/delivery_profile.yml, row 2" in results["GM0363"].message
    assert "'bedrag' is not a column of a ledger delivery" in results["GM0363"].message
    assert results["GM0088"].status == "unchanged"
    assert landed(paths, "ledger") == before  # the last good version stays


def test_a_changed_profile_checks_that_municipality_again_and_nothing_else(two_municipalities):
    paths = two_municipalities
    ingest(paths, "ledger")
    assert slots_to_ingest(paths, DropZone.listed(paths.deliveries)) == {}

    profile = paths.deliveries / "GM0363" / PROFILE_FILE
    profile.write_text(profile.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")

    assert slots_to_ingest(paths, DropZone.listed(paths.deliveries)) == {
        ("GM0363", 2024): {"ledger"}
    }
    statuses = {r.municipality_code: r.status for r in ingest(paths, "ledger")}
    assert statuses == {"GM0363": "accepted", "GM0088": "unchanged"}


def test_a_rejected_delivery_is_remembered_while_nothing_changes(two_municipalities, monkeypatch):
    paths = two_municipalities
    ledger = paths.deliveries / "GM0088" / "2024" / "ledger.csv"
    ledger.write_bytes(b"not;a;ledger\n1;2;3\n")
    [rejected] = [r for r in ingest(paths, "ledger") if r.municipality_code == "GM0088"]
    assert rejected.status == "rejected" and rejected.delivery_id

    # while its bytes, its profile and the contract stay the same, nobody reads it again
    from pipelines.readers import ledger_csv

    def unread(*args, **kwargs):
        raise AssertionError("a remembered verdict was read again")

    monkeypatch.setattr(ledger_csv, "read_ledger_csv", unread)
    assert slots_to_ingest(paths, DropZone.listed(paths.deliveries)) == {}
    [again] = [r for r in ingest(paths, "ledger") if r.municipality_code == "GM0088"]
    assert (again.status, again.message) == ("unchanged", rejected.message)
