"""GX Data Docs under warehouse/docs/: rebuilt from the validations of the latest loads."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.ingest.assets import load_results
from pipelines.defs.resources import WarehouseResource, drop_zone_listing
from pipelines.ingest.data_docs import build_kept_data_docs, docs_dir, documented_suite
from pipelines.ingest.deliveries import ingest_kind
from pipelines.ingest.store import LandingStore
from pipelines.settings import Paths
from tests.conftest import FIXTURES

LEDGER = Path("deliveries/GM0363/2024/ledger.csv")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    data_raw = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    return Paths(data_raw, tmp_path / "warehouse")


def ingest(paths: Paths) -> None:
    ingest_kind(paths, "account_mapping")
    ingest_kind(paths, "ledger")


def pages(paths: Paths, folder: str) -> list[str]:
    root = docs_dir(paths) / folder
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.html"))


def test_load_results_asset_builds_the_site_after_an_ingest(paths):
    ingest(paths)
    resource = WarehouseResource(
        data_raw_dir=str(paths.data_raw), warehouse_dir=str(paths.warehouse)
    )
    result = dg.materialize(
        [load_results],
        resources={"warehouse": resource, "drop_zone": drop_zone_listing},
    )
    assert result.success

    index = docs_dir(paths) / "index.html"
    html = index.read_text(encoding="utf-8")
    for suite in ("account_mapping", "assets", "ledger", "training"):
        assert f"expectations/{suite}.html" in html
    validations = pages(paths, "validations")
    assert [page.split("/")[0] for page in validations] == ["account_mapping", "ledger"]
    assert validations[1].endswith("row-rules_2-deliveries-from-GM0088_2024_ledger.csv.html")
    [materialization] = result.asset_materializations_for_node("load_results")
    assert materialization.metadata["data_docs"].value == str(index)


def test_a_rejected_delivery_shows_its_failed_rule(paths):
    target = paths.data_raw / LEDGER
    target.write_bytes(target.read_bytes().splitlines(keepends=True)[0])  # header only
    ingest(paths)
    build_kept_data_docs(paths)

    [page] = [p for p in pages(paths, "validations") if "file-rules" in p]
    assert page.endswith("file-rules_delivery-2-of-2-without-rows.html")
    html = (docs_dir(paths) / "validations" / page).read_text(encoding="utf-8")
    assert "Must have greater than or equal to" in html  # GX's rendering of the row-count rule
    assert "Run Name" in html and "__none__" not in html


def test_recorded_results_keep_counts_but_not_per_row_lists(paths):
    ingest(paths)
    kept = LandingStore(paths).kept_validations()
    recorded = [v for path in kept for v in pickle.loads(path.read_bytes())]
    assert {v.result.suite_name for v in recorded} == {"account_mapping", "ledger"}
    for validation in recorded:
        assert validation.result.meta["deliveries"]
        for outcome in validation.result.results:
            assert "unexpected_index_list" not in outcome.result
            assert "unexpected_list" not in outcome.result


def test_a_run_without_new_validations_keeps_the_site(paths):
    ingest(paths)
    index = build_kept_data_docs(paths)
    built = index.stat().st_mtime_ns
    ingest(paths)  # the same bytes again: nothing is validated
    assert LandingStore(paths).kept_validations() == []
    assert build_kept_data_docs(paths).stat().st_mtime_ns == built


def test_a_new_build_replaces_the_whole_site(paths):
    ingest(paths)
    build_kept_data_docs(paths)
    before = pages(paths, "validations")
    (paths.data_raw / LEDGER).write_bytes((paths.data_raw / LEDGER).read_bytes() + b"\n")
    ingest(paths)
    build_kept_data_docs(paths)
    after = pages(paths, "validations")
    assert len(after) == 1 and after[0] not in before
    assert not list(paths.warehouse.glob(".docs*"))


def test_suite_pages_show_delivery_parameters_as_gx_suite_parameters():
    suite = documented_suite("ledger")
    in_year = next(e for e in suite.expectations if e.meta["rule"] == "booking_date_in_fiscal_year")
    assert in_year.min_value == {"$PARAMETER": "fiscal_year_start"}


def test_the_site_is_offline_with_a_page_per_delivery(paths):
    """Nothing on any page is fetched from elsewhere; each delivery has its own page, named after
    it, with its data asset; the index links them all."""
    import re

    misplaced = paths.data_raw / "deliveries" / "GM0088" / "ledger.csv"
    misplaced.write_bytes(
        (paths.data_raw / "deliveries" / "GM0088" / "2024" / "ledger.csv").read_bytes()
    )
    target = paths.data_raw / LEDGER
    target.write_bytes(target.read_bytes().splitlines(keepends=True)[0])  # header only
    ingest(paths)
    resource = WarehouseResource(
        data_raw_dir=str(paths.data_raw), warehouse_dir=str(paths.warehouse)
    )
    assert dg.materialize(
        [load_results], resources={"warehouse": resource, "drop_zone": drop_zone_listing}
    ).success

    site = docs_dir(paths)
    reference = re.compile(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)
    for page in site.rglob("*.html"):
        targets = reference.findall(page.read_text(encoding="utf-8"))
        assert targets and not [t for t in targets if "http" in t or t.startswith("//")], page
    assert sorted(p.name for p in (site / "deliveries").glob("*.html")) == [
        "GM0088_2024_ledger.html",
        "GM0088_account_mapping.html",
        "GM0363_2024_ledger.html",
        "GM0363_account_mapping.html",
        "refused_GM0088_ledger.csv.html",
    ]
    rejected = (site / "deliveries" / "GM0363_2024_ledger.html").read_text(encoding="utf-8")
    assert "<code>ledger_deliveries</code>, partition GM0363-2024" in rejected
    assert "GM0363/2024/ledger.csv" in rejected and "ledger_has_lines" in rejected
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="deliveries/GM0363_2024_ledger.html"' in index
    assert "5 deliveries: 3 accepted, 0 partially accepted, 2 rejected." in index


def test_a_page_whose_load_result_did_not_change_is_kept_not_rendered_again(tmp_path):
    from pipelines.ingest.delivery_pages import page_name, write_pages
    from pipelines.ingest.load_results import LoadResults

    results = [
        {
            "delivery_key": f"GM0363_{year}_ledger",
            "kind": "ledger",
            "status": "accepted",
            "municipality_code": "GM0363",
            "fiscal_year": year,
            "source_file": f"GM0363/{year}/l.csv",
            "rows_read": 10,
            "checked_at": "2026-12-01T00:00:00",
        }
        for year in (2023, 2024)
    ]
    site = tmp_path / "docs"
    write_pages(site, LoadResults.of(results))
    inodes = {
        r["delivery_key"]: (site / page_name(r["delivery_key"])).stat().st_ino for r in results
    }

    results[1] = {**results[1], "rows_read": 11, "checked_at": "2026-12-02T00:00:00"}
    new_site = tmp_path / "new"
    write_pages(new_site, LoadResults.of(results), previous=site)
    kept = new_site / page_name("GM0363_2023_ledger")
    redone = new_site / page_name("GM0363_2024_ledger")
    assert kept.stat().st_ino == inodes["GM0363_2023_ledger"]  # the same file, linked
    assert redone.stat().st_ino != inodes["GM0363_2024_ledger"]
    assert ">11<" in redone.read_text(encoding="utf-8")

    # in place: an unchanged page is left alone, a withdrawn delivery's page goes
    before = redone.stat().st_ino
    write_pages(new_site, LoadResults.of(results[1:]), previous=new_site)
    assert not kept.exists()
    assert redone.stat().st_ino == before
