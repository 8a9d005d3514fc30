"""The national benchmark runs end to end at a tiny scale, so that it cannot rot (no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from bench.run_bench import LABELS, TARGETS, run_bench, tree_memory
from pipelines.demo.history import REJECTED_EXPORT, municipalities_by_year, write_history
from pipelines.demo.ledgers import write_gemeenten_csv
from pipelines.demo.national import FORMATS, national_municipalities


def smallest_of_each_format() -> list[str]:
    """One municipality per ledger format (XAF, Windows-1252 CSV, UTF-8 CSV), the smallest."""
    chosen = []
    for family in FORMATS:
        candidates = [
            m
            for m in national_municipalities()
            if (m.ledger_format == "xaf") == (family == "xaf")
            and (family == "xaf" or m.csv_dialect.startswith("cp1252") == (family == "cp1252"))
        ]
        chosen.append(min(candidates, key=lambda m: m.inhabitants_on(2024)).code)
    return chosen


FORKED_TREE = """
import multiprocessing, sys, time
import pandas  # pages the forked children share with this process
children = [multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,)) for _ in range(2)]
for child in children:
    child.start()
print("ready", flush=True)
sys.stdin.read()
for child in children:
    child.kill()  # in the suite, children sent SIGTERM lived on and the test waited out their sleep
"""


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_tree_memory_counts_pages_forked_workers_share_once():
    parent = subprocess.Popen(
        [sys.executable, "-c", FORKED_TREE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        rss, pss = tree_memory(parent.pid)
        without_pss, _ = tree_memory(parent.pid, with_pss=False)
    finally:
        parent.communicate("")
    assert abs(without_pss - rss) < 0.05 * rss
    # three interpreters with pandas: the RSS sum counts the shared pages three times
    assert 0 < pss < 0.8 * rss


def test_national_table_has_every_municipality_of_2023():
    municipalities = national_municipalities()
    assert len(municipalities) == 342
    assert len({m.code for m in municipalities}) == 342
    formats = {m.ledger_format for m in municipalities}
    assert formats == {"csv", "xaf"}


@pytest.mark.slow
def test_bench_over_two_years_writes_every_measurement_and_the_totals_agree(tmp_path):
    report = run_bench(
        0.001,
        years=[2],
        data=tmp_path / "data",
        codes=smallest_of_each_format(),
        results_dir=tmp_path / "results",
        repeats=2,
        log=lambda message: None,
    )

    written = sorted(p.name for p in (tmp_path / "results").iterdir())
    stem = f"{report['date']}-sf0.001-2y"
    assert written == [f"{stem}.json", f"{stem}.md"]
    stored = json.loads((tmp_path / "results" / written[0]).read_text())
    measurements = stored["series"]["2"]["measurements"]
    assert set(measurements) == set(LABELS)
    for name, measurement in measurements.items():
        # a tenth of the deliveries is rejected: `ictbench run` exits 3, published with refusals
        assert measurement["exit_code"] in (0, 3), name
        assert measurement["wall_s"] > 0
        assert measurement["peak_rss_mb"] > 0
    assert stored["data"]["years"] == [2023, 2024]
    assert stored["agreement"]["agree"], stored["agreement"]["differences"]
    assert stored["agreement"]["municipality_years"] >= 4
    redeliveries = stored["series"]["2"]["redeliveries"]
    assert set(redeliveries) == {"project_redelivery", "project_redelivery_back"}
    assert all(check["mart_correct"] for check in redeliveries.values())
    # each re-delivery measured twice, both moving the mart by exactly its change; the median
    # (of two: the faster) stands for the measurement, the other's memory counts in the peak
    for name, check in redeliveries.items():
        assert [repeat["mart_correct"] for repeat in check["repeats"]] == [True, True], name
        walls = measurements[name]["details"]["repeats_wall_s"]
        assert len(walls) == 2 and measurements[name]["wall_s"] == min(walls)
    assert [check["fiscal_year"] for check in redeliveries.values()] == [2024, 2023]
    assert stored["series"]["2"]["peer"]["runs"] == 200
    assert set(stored["targets"]) == set(TARGETS)
    assert {row["label"].split(",")[0] for row in stored["series_targets"]} >= {
        "(d0) nothing new",
        "(d) re-delivery",
        "(d') re-delivery",
    }
    stages = measurements["project_full"]["details"]["stages"]
    assert stages["dbt build"] > 0 and stages["reading, checking, landing"] > 0
    markdown = (tmp_path / "results" / written[1]).read_text()
    assert all(label in markdown for label in LABELS.values())
    assert "| (c) full build |" in markdown


def test_history_follows_the_real_municipal_mergers():
    """As many municipalities deliver each year as CBS counted on 1 January."""
    by_year = municipalities_by_year(range(2015, 2025), seed=2024)
    counts = {year: len(municipalities) for year, municipalities in by_year.items()}
    assert counts == {
        2015: 393, 2016: 390, 2017: 388, 2018: 380, 2019: 355,
        2020: 355, 2021: 352, 2022: 345, 2023: 342, 2024: 342,
    }  # fmt: skip
    codes_2022 = {m.code for m in by_year[2022]}
    assert "GM0457" in codes_2022  # Weesp, absorbed by Amsterdam on 24 March 2022
    assert "GM1992" not in codes_2022 and "GM1992" in {m.code for m in by_year[2023]}


def test_a_predecessor_may_deliver_its_years_before_the_merger(tmp_path):
    from pipelines.ingest.deliveries import known_municipalities

    reference = tmp_path / "reference"
    reference.mkdir()
    write_gemeenten_csv(reference / "gemeenten.csv", national_municipalities())
    known = known_municipalities(reference)
    assert {"GM0363", "GM0457", "GM0501"} <= known
    assert "GM9999" not in known


def test_the_xaf_floor_reads_what_the_project_reader_reads(tmp_path):
    from bench.floor import xaf_to_parquet
    from pipelines.contract.delivery import Delivery
    from pipelines.readers.xaf import read_xaf

    write_history(tmp_path, scale=0.001, years=1, codes=[smallest_of_each_format()[0]])
    path = next((tmp_path / "deliveries").glob("GM*/2024/ledger.xaf"))
    if path.read_bytes().startswith(REJECTED_EXPORT):
        pytest.skip("this seed rejects the one audit file")
    lines, _ = xaf_to_parquet(path, tmp_path / "floor.parquet")
    parsed = read_xaf(Delivery(path, path.parent.parent.name, 2024, "ledger", "x/2024/ledger.xaf"))
    floor = pq.read_table(tmp_path / "floor.parquet")
    assert lines == parsed.rows.num_rows == floor.num_rows
    assert pc.sum(floor["amount"]).as_py() == 0  # the audit file closes
    assert floor["account_code"].to_pylist() == parsed.rows["account_code"].to_pylist()


def test_the_xaf_floor_reads_lines_laid_out_otherwise_than_the_generator_writes(tmp_path):
    """Other exporters: elements between amntTp and costID, no costID (the next line's is not
    taken), no docRef/effDate/desc, an entity, CRLF line ends, blanks between elements."""
    from bench.floor import xaf_to_parquet

    lines = (
        "<trLine>\r\n <nr>1</nr>\r\n <accID>4310</accID>\r\n <docRef>F1</docRef>\r\n"
        " <amnt>10.50</amnt> <amntTp>D</amntTp>\r\n <recRef>R</recRef><custSupID>C9</custSupID>"
        "\r\n <costID>I&amp;A</costID>\r\n <prodID>P</prodID>\r\n</trLine>\r\n",
        "<trLine><accID>1600</accID><amnt>4.25</amnt><amntTp>C</amntTp>"
        "<vat><vatID>1</vatID></vat></trLine>\r\n",
        "<trLine><nr>3</nr><accID>4320</accID><effDate>2024-01-02</effDate><desc>d</desc>"
        "<amnt>6.25</amnt><amntTp>C</amntTp><costID>ICT</costID></trLine>",
    )
    path = tmp_path / "ledger.xaf"
    path.write_bytes(
        ("<auditfile><transactions><journal><transaction>" + "".join(lines)).encode()
        + b"</transaction></journal></transactions></auditfile>"
    )
    assert xaf_to_parquet(path, tmp_path / "floor.parquet")[0] == 3
    assert pq.read_table(tmp_path / "floor.parquet").to_pylist() == [
        {"account_code": "4310", "cost_centre": "I&A", "amount": Decimal("10.50")},
        {"account_code": "1600", "cost_centre": None, "amount": Decimal("-4.25")},
        {"account_code": "4320", "cost_centre": "ICT", "amount": Decimal("-6.25")},
    ]


def test_the_xaf_floor_reads_the_official_test_file(tmp_path, shared_reference):
    """Every optional element of a trLine, in the schema's order."""
    from bench.floor import xaf_to_parquet

    official = shared_reference / "xaf" / "XmlAuditfileFinancieel3.2_test.xml"
    assert xaf_to_parquet(official, tmp_path / "floor.parquet")[0] == 1
    assert pq.read_table(tmp_path / "floor.parquet").to_pylist() == [
        {"account_code": "String", "cost_centre": "String", "amount": Decimal("-3.14")}
    ]


def test_national_demo_data_is_written_outside_the_repository_only(tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli.app import app
    from pipelines.settings import REPO_ROOT

    inside = CliRunner().invoke(app, ["demo-data", "--scale", "1", "--out", str(REPO_ROOT / "x")])
    assert inside.exit_code == 2
    assert "inside the repository" in inside.stderr
    nothing = CliRunner().invoke(app, ["demo-data", "--scale", "0", "--out", str(tmp_path)])
    assert nothing.exit_code == 2
    assert not (REPO_ROOT / "x").exists()
