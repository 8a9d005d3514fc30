"""A run killed dead (`kill -9`) at any moment, then run again: the published mart is the same,
table for table, as a clean build's, and nothing the killed run made is left behind. A damaged
build database or landed file is made again by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.contract.kinds import KINDS
from pipelines.storage.duckdb_format import damage as database_damage
from pipelines.storage.litter import dbt_server_leftovers, leftovers
from pipelines.storage.stop_points import MOMENTS, STOP_AT, STOP_SIGNAL
from tests.damages import drop_zone_of_good_ledgers

REPO = Path(__file__).resolve().parents[1]
SLOTS = 4
# columns that say when something happened, not what the figures are
WHEN = {"checked_at", "published_at", "built_at", "loaded_at"}


def ictbench_run(
    data_raw: Path, warehouse: Path, home: Path, *options: str, **env: str
) -> subprocess.Popen:
    folders = ["--data-raw", str(data_raw), "--warehouse", str(warehouse)]
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.app", "run", *options, *folders],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(home), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output
    return output


def published_tables(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse / "benchmark.duckdb"), read_only=True) as connection:
        tables = {}
        for (table,) in connection.execute("SHOW TABLES").fetchall():
            columns = [
                name
                for name, *_ in connection.execute(f'DESCRIBE "{table}"').fetchall()
                if name not in WHEN
            ]
            selected = ", ".join(f'"{name}"' for name in columns)
            tables[table] = sorted(
                connection.execute(f'SELECT {selected} FROM "{table}"').fetchall(), key=repr
            )
        return tables


def processes_with(token: str) -> list[int]:
    """Processes whose environment holds token: what a run started and left running."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if token.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def drop_zone(tmp_path_factory) -> Path:
    data_raw = tmp_path_factory.mktemp("recovery") / "data_raw"
    drop_zone_of_good_ledgers(data_raw, SLOTS)
    return data_raw


@dataclass(frozen=True)
class CleanBuild:
    warehouse: Path
    home: Path
    tables: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def clean_build(drop_zone: Path, tmp_path_factory) -> CleanBuild:
    folder = tmp_path_factory.mktemp("clean")
    warehouse, home = folder / "warehouse", folder / "home"
    finish(ictbench_run(drop_zone, warehouse, home))
    return CleanBuild(warehouse, home, published_tables(warehouse))


@pytest.mark.slow
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_run_killed_at_any_moment_is_made_whole_by_the_next(
    moment: str, drop_zone: Path, clean_build: CleanBuild, tmp_path: Path
):
    warehouse, home, signal_file = tmp_path / "warehouse", tmp_path / "home", tmp_path / "stopped"
    token = uuid.uuid4().hex
    killed = ictbench_run(
        drop_zone,
        warehouse,
        home,
        **{STOP_AT: moment, STOP_SIGNAL: str(signal_file), "ICTBENCH_TEST_RUN": token},
    )
    deadline = time.monotonic() + 300
    while not signal_file.exists():
        assert killed.poll() is None, f"the run ended before {moment}: {killed.stdout.read()}"
        assert time.monotonic() < deadline, f"the run did not reach {moment}"
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)  # the run's process alone, as the OOM killer would
    killed.communicate(timeout=60)
    if moment == "publish":
        assert leftovers(warehouse), "a run killed while publishing leaves its staging file"
    if (warehouse / "benchmark.duckdb").exists():  # never a half-written file: it opens whole
        assert published_tables(warehouse)

    deadline = time.monotonic() + 30  # what the run started notices that it is gone
    while processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(token) == []

    output = finish(ictbench_run(drop_zone, warehouse, home))
    assert "Published" in output
    assert published_tables(warehouse) == clean_build.tables
    assert leftovers(warehouse) == []
    assert [p for p in dbt_server_leftovers() if f".pid{killed.pid}." in p.name] == []


def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.slow
def test_a_damaged_build_database_and_landed_file_are_made_again(
    drop_zone: Path, clean_build: CleanBuild
):
    # the clean build's own warehouse: its published tables are taken, and a build saved
    warehouse, home = clean_build.warehouse, clean_build.home
    [landed, *_] = sorted((warehouse / "landing" / "ledger").glob("GM*.parquet"))
    for options in ([], ["--full"]):
        cut_in_half(warehouse / "build" / "benchmark.duckdb")
        cut_in_half(landed)
        cut_in_half(warehouse / "landing" / "ledger" / "_schema.parquet")
        (warehouse / "load_results" / "fingerprints.json").write_text("{", encoding="utf-8")

        output = finish(ictbench_run(drop_zone, warehouse, home, *options))
        assert f"landing/ledger/{landed.name} was damaged" in output
        assert f"{landed.stem} is landed again from data_raw" in output
        assert "the build database is damaged" in output
        assert "Published" in output
        assert published_tables(warehouse) == clean_build.tables


@pytest.mark.slow
def test_ctrl_c_stops_a_run_in_one_line_and_leaves_no_process(drop_zone: Path, tmp_path: Path):
    """As a terminal does it: SIGINT to the foreground process group of `ictbench run`, here
    while dbt builds."""
    warehouse, home, signal_file = tmp_path / "warehouse", tmp_path / "home", tmp_path / "stopped"
    token = uuid.uuid4().hex
    folders = ["--data-raw", str(drop_zone), "--warehouse", str(warehouse)]
    run = subprocess.Popen(
        [str(Path(sys.executable).with_name("ictbench")), "run", *folders],
        cwd=REPO,
        env={
            **os.environ,
            "DAGSTER_HOME": str(home),
            STOP_AT: "dbt",
            STOP_SIGNAL: str(signal_file),
            "ICTBENCH_TEST_RUN": token,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,  # the terminal's foreground group
    )
    deadline = time.monotonic() + 300
    while not signal_file.exists():
        assert run.poll() is None, run.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    output, _ = run.communicate(timeout=60)

    assert run.returncode == 130
    assert output.strip().splitlines()[-1] == (
        "Interrupted: nothing was published, the published mart is as it was. "
        "Run `ictbench run` again to continue."
    )
    assert "Traceback" not in output and "terminate called" not in output
    assert processes_with(token) == []
    assert not (warehouse / "benchmark.duckdb").exists()
    assert leftovers(warehouse) == []


def test_a_database_file_cut_short_is_damaged_and_one_with_free_blocks_is_not(tmp_path: Path):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE TABLE kept AS SELECT range AS i FROM range(3000000)")
        connection.execute("CREATE TABLE dropped AS SELECT range AS i FROM range(3000000)")
        connection.execute("CHECKPOINT")
        connection.execute("DROP TABLE dropped")
        connection.execute("CHECKPOINT")
    assert database_damage(database) is None
    healthy = database.read_bytes()
    database.write_bytes(healthy[: len(healthy) // 2])
    assert database_damage(database) is not None
    database.write_bytes(healthy[:-4096])
    assert database_damage(database) is not None
    database.write_bytes(b"not a database")
    assert database_damage(database) is not None


def test_a_landed_file_is_read_again_only_when_it_changed(tmp_path: Path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.contract.kinds import kind
    from pipelines.ingest import repair
    from pipelines.settings import Paths

    paths = Paths(data_raw=tmp_path / "data_raw", warehouse=tmp_path / "warehouse")
    landed = paths.landing / "ledger" / "GM0363_2024.parquet"
    landed.parent.mkdir(parents=True)
    pq.write_table(kind("ledger").schema.empty_table(), landed)
    read: list[str] = []
    checked = repair.read_footer

    def counted(path: Path) -> pa.Schema | str:
        read.append(path.name)
        return checked(path)

    monkeypatch.setattr(repair, "read_footer", counted)
    assert repair.repair_landing(paths) == []
    assert read == ["GM0363_2024.parquet"]
    assert repair.repair_landing(paths) == []
    assert read == ["GM0363_2024.parquet"]  # as it was: its footer is not read again
    data = landed.read_bytes()
    landed.write_bytes(data[: len(data) // 2])
    [said] = repair.repair_landing(paths)
    assert "landing/ledger/GM0363_2024.parquet was damaged" in said
    assert not landed.exists()


def test_a_landed_file_in_an_earlier_schema_gets_this_ones_columns(tmp_path: Path):
    """Every landed file of a kind has its columns, so dbt reads them as one table without
    uniting ten thousand footers: a file landed by an earlier version is brought to them once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.contract.kinds import kind
    from pipelines.ingest import repair
    from pipelines.settings import Paths

    paths = Paths(data_raw=tmp_path / "data_raw", warehouse=tmp_path / "warehouse")
    landed = paths.landing / "ledger" / "GM0363_2024_ledger.parquet"
    landed.parent.mkdir(parents=True)
    schema = kind("ledger").schema
    earlier = {field.name: pa.nulls(1, field.type) for field in schema if field.name != "journal"}
    earlier["description"] = pa.array(["kept"])
    earlier["retired_column"] = pa.array(["gone"])
    pq.write_table(pa.table(earlier), landed)
    [said] = repair.repair_landing(paths)
    assert "landing/ledger/GM0363_2024_ledger.parquet had the columns of an earlier version" in said
    assert "added (empty): journal" in said and "dropped: retired_column" in said
    conformed = pq.read_table(landed)
    assert conformed.schema.names == schema.names
    assert conformed.column("description").to_pylist() == ["kept"]
    assert conformed.column("journal").to_pylist() == [None]
    assert repair.repair_landing(paths) == []  # once


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_a_file_landed_in_this_versions_columns_is_left_as_it_is(tmp_path: Path, kind_name: str):
    """Parquet names a list's element `element` where the declared schema says `item`: the same
    columns, so the asset registers and training records are not written again after landing."""
    import pyarrow.parquet as pq

    from pipelines.contract.kinds import kind
    from pipelines.ingest import repair
    from pipelines.settings import Paths

    paths = Paths(data_raw=tmp_path / "data_raw", warehouse=tmp_path / "warehouse")
    landed = paths.landing / kind_name / f"GM0363_2024_{kind_name}.parquet"
    landed.parent.mkdir(parents=True)
    pq.write_table(kind(kind_name).schema.empty_table(), landed)
    written = landed.stat().st_mtime_ns
    assert repair.repair_landing(paths) == []
    assert landed.stat().st_mtime_ns == written


def test_a_landed_file_whose_values_the_new_columns_cannot_hold_is_landed_again(tmp_path: Path):
    """A column whose type changed and whose old values do not convert: the file goes with its
    load result, and the run lands the delivery again from data_raw instead of stopping."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.contract.kinds import kind
    from pipelines.ingest import repair
    from pipelines.settings import Paths

    paths = Paths(data_raw=tmp_path / "data_raw", warehouse=tmp_path / "warehouse")
    landed = paths.landing / "ledger" / "GM0363_2024_ledger.parquet"
    result = paths.load_results / "ledger" / "GM0363_2024_ledger.json"
    landed.parent.mkdir(parents=True)
    result.parent.mkdir(parents=True)
    result.write_text("{}")
    earlier = {field.name: pa.nulls(1, field.type) for field in kind("ledger").schema}
    earlier["fiscal_year"] = pa.array(["twenty twenty-four"])  # now an integer
    pq.write_table(pa.table(earlier), landed)
    [said] = repair.repair_landing(paths)
    assert "GM0363_2024_ledger.parquet cannot be brought to this version's columns" in said
    assert "landed again from data_raw" in said
    assert not landed.exists() and not result.exists()
