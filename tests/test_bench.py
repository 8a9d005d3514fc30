"""The national benchmark runs end to end at a tiny scale, so that it cannot rot (no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run_bench import LABELS, run_bench, tree_memory
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
    child.terminate()
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
def test_bench_writes_all_five_measurements_and_the_totals_agree(tmp_path):
    report = run_bench(
        0.001,
        data=tmp_path / "data",
        codes=smallest_of_each_format(),
        results_dir=tmp_path / "results",
        log=lambda message: None,
    )

    written = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert written == [f"{report['date']}-sf0.001.json", f"{report['date']}-sf0.001.md"]
    stored = json.loads((tmp_path / "results" / written[0]).read_text())
    assert set(stored["measurements"]) == set(LABELS)
    for name, measurement in stored["measurements"].items():
        # the runs with rejected deliveries publish with refusals: `ictbench run` exits 3 for that
        assert measurement["exit_code"] == (3 if "reject" in name else 0)
        assert measurement["wall_s"] > 0
        assert measurement["peak_rss_mb"] > 0
    assert stored["agreement"]["agree"], stored["agreement"]["differences"]
    assert stored["agreement"]["municipalities"] == 3
    assert stored["redelivery"]["mart_correct"]
    assert stored["peer_query"]["runs"] == 200
    assert set(stored["targets"]) == {
        "project_vs_floor",
        "naive_vs_project",
        "redelivery_wall_s",
        "project_peak_rss_mb",
        "rss_growth_sf2",
        "peer_query_p50_ms",
    }
    markdown = (tmp_path / "results" / written[1]).read_text()
    assert all(label in markdown for label in LABELS.values())


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
