"""National-scale benchmark: the hardware floor, a naive pandas peer and this project, side by side.

`python -m bench.run_bench --scale 1` (or `make bench SF=1`) generates (or reuses) the national drop
zone outside the repository and measures, each in its own child process, on the same files:

  (a) floor     one DuckDB SQL script: cp1252 files transcoded with iconv and XAF flattened with the
                standard library's expat parser (2 processes), then read_csv, classification, totals;
  (b) naive     pandas.read_csv / read_xml per file, the GX ledger suite on each whole frame,
                insert into DuckDB, the same SQL;
  (c) project   `ictbench run` from an empty warehouse: Dagster, ingest, GX, dbt build, publish;
  (d0) unchanged `ictbench run` again with nothing re-delivered: what the orchestration costs;
  (d) redeliver one municipality delivers a changed ledger, `ictbench run` again;
  (e) peer      a peer-comparison query on the published mart, repeated, p50 and p95.

Wall time, CPU time (user + system of the child and everything it waited for), peak RSS (the
largest single process, from wait4) and the peak RSS and PSS of the whole process tree (sampled
from /proc) are recorded. The memory targets judge the PSS, which counts a page that forked
workers share with their parent once instead of once per process. (a), (b) and (c) must agree
on the ICT total of every municipality to the cent.
Results go to bench/results/<date>-sf<SF>.md and .json.
"""

from __future__ import annotations

import argparse
import codecs
import cProfile
import csv
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import pstats
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

from pipelines.cli.exit_codes import ExitCode

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
DATA_FORMAT = 1  # bump when write_national writes different bytes for the same arguments
FISCAL_YEAR = 2024
PEER_QUERY_RUNS = 200
REDELIVERY_DELTA = Decimal("100.00")
MB = 1024 * 1024

TARGETS = {
    "project_vs_floor": ("(c)/(a) wall time", "<=", 3.0),
    "naive_vs_project": ("(b)/(c) wall time", ">=", 5.0),
    "redelivery_wall_s": ("(d) re-delivery wall time, s", "<=", 15.0),
    "project_peak_rss_mb": ("(c) peak memory, MB (process tree, PSS)", "<=", 2048.0),
    "rss_growth_sf2": ("(c) peak memory at SF 2 / SF 1", "<=", 1.25),
    "peer_query_p50_ms": ("(e) peer query p50, ms", "<=", 50.0),
}


# --- measuring a child process ------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # largest single process (wait4 ru_maxrss)
    tree_peak_rss_mb: float | None  # sum over the process tree, sampled every 0.1 s
    exit_code: int
    # the same with pages shared between processes (forked workers) counted once: the tree's
    # real footprint, which the memory targets judge
    tree_peak_pss_mb: float | None = None
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute load before and after
    rows: int = 0
    log: str = ""
    details: dict = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s else 0.0


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident bytes) for every process /proc shows."""
    page = os.sysconf("SC_PAGE_SIZE")
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[21]) * page)
    return table


def _pss(pid: int) -> int:
    """Proportional set size: resident bytes, a page shared by n processes counting 1/n
    (0 for a process that has just ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(root: int, *, with_pss: bool = True) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) over root and its descendants."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    rss, pss, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            rss += table[pid][1]
            pss += _pss(pid) if with_pss else 0
        stack.extend(children.get(pid, []))
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the resident memory (RSS and PSS) of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss, self.peak_pss = 0, 0
        self.available = Path("/proc/self/stat").exists()
        self.pss_available = Path("/proc/self/smaps_rollup").exists()
        self._halt = threading.Event()

    def run(self) -> None:
        while self.available and not self._halt.wait(self.interval):
            rss, pss = tree_memory(self.pid, with_pss=self.pss_available)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)

    def stop(self) -> tuple[int | None, int | None]:
        self._halt.set()
        self.join()
        if not self.available:
            return None, None
        return self.peak_rss, self.peak_pss if self.pss_available else None


def measure(name: str, argv: Sequence[str], log: Path, env: dict[str, str]) -> Measurement:
    """Run argv as a child, wait for it with wait4 and record what it cost."""
    log.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], list(argv), env, file_actions=actions)
    sampler = TreeSampler(pid)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    tree_rss, tree_pss = sampler.stop()
    return Measurement(
        name=name,
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        tree_peak_rss_mb=None if tree_rss is None else round(tree_rss / MB, 1),
        tree_peak_pss_mb=None if tree_pss is None else round(tree_pss / MB, 1),
        exit_code=os.waitstatus_to_exitcode(status),
        load_average=(round(load_before, 2), round(os.getloadavg()[0], 2)),
        log=str(log),
    )


# --- the data -------------------------------------------------------------------------------------


def data_key(scale: float, seed: int, codes: Sequence[str] | None, assets_training: bool) -> dict:
    table = REPO_ROOT / "pipelines" / "demo" / "national_municipalities.csv"
    return {
        "scale": scale,
        "seed": seed,
        "fiscal_year": FISCAL_YEAR,
        "codes": sorted(codes) if codes else None,
        "assets_training": assets_training,
        "data_format": DATA_FORMAT,
        "table_sha256": hashlib.sha256(table.read_bytes()).hexdigest(),
    }


def default_data_dir(key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / "ictbench-bench" / f"sf{key['scale']:g}-{digest}"


def ensure_data(data_dir: Path, key: dict) -> tuple[dict, float | None]:
    """Reuse data_dir when its manifest matches key, else generate; (summary, generation seconds)."""
    from pipelines.demo.national import write_national

    manifest = data_dir / "bench_manifest.json"
    if manifest.exists():
        stored = json.loads(manifest.read_text())
        if stored.get("key") == key:
            return stored["summary"], stored.get("generation_s")
    if data_dir.exists():
        shutil.rmtree(data_dir)
    started = time.perf_counter()
    summary = write_national(
        data_dir,
        scale=key["scale"],
        seed=key["seed"],
        fiscal_year=key["fiscal_year"],
        codes=key["codes"],
        assets_training=key["assets_training"],
    )
    seconds = time.perf_counter() - started
    record = {"key": key, "summary": summary, "generation_s": round(seconds, 1)}
    manifest.write_text(json.dumps(record, indent=1))
    return summary, seconds


def working_copy(data_dir: Path, target: Path) -> Path:
    """A drop zone of hard links: the pipeline never writes there, a re-delivery replaces a link."""
    shutil.copytree(data_dir, target, copy_function=os.link)
    return target


@dataclass(frozen=True)
class Redelivery:
    municipality_code: str
    file: str
    source_row: int
    old: str
    new: str
    lines: int


def redeliver(dropzone: Path, seed: int) -> Redelivery:
    """The largest CSV municipality re-delivers its ledger with one ICT salary line 100 euro higher
    and the voucher's counter-entry 100 euro more on the credit side, so the ledger still closes."""
    from pipelines.demo.ledgers import CSV_DIALECTS, account_code, cost_centres
    from pipelines.demo.national import national_municipalities

    delivered = {p.parent.parent.name: p for p in dropzone.glob("deliveries/GM*/*/ledger.csv")}
    candidates = [m for m in national_municipalities(seed) if m.code in delivered]
    municipality = max(candidates, key=lambda m: m.inhabitants_on(FISCAL_YEAR))
    path = delivered[municipality.code]
    dialect = CSV_DIALECTS[municipality.csv_dialect]
    text = path.read_bytes().decode(dialect.encoding)
    lines = text.split(dialect.line_terminator)
    header = next(csv.reader([lines[0]], delimiter=";"))
    columns = {_canonical(name): index for index, name in enumerate(header)}
    account = account_code(municipality, 4100)
    centre = cost_centres(municipality).ict
    amount_column = columns.get("amount", columns.get("debit"))
    for number, line in enumerate(lines[1:], start=2):
        fields = next(csv.reader([line], delimiter=";"))
        if fields[columns["account_code"]] != account or fields[columns["cost_centre"]] != centre:
            continue
        old = fields[amount_column]
        fields[amount_column] = _shift_amount(old, dialect)
        lines[number - 1] = _csv_line(fields)
        _shift_counter_entry(lines, number, columns, dialect)
        break
    else:
        raise RuntimeError(f"{path}: no ICT salary line to change")
    path.unlink()  # a hard link to the generated original: replace it, never write through it
    path.write_bytes(dialect.line_terminator.join(lines).encode(dialect.encoding))
    relative = str(path.relative_to(dropzone / "deliveries"))
    rows = sum(1 for line in lines[1:] if line)
    return Redelivery(municipality.code, relative, number, old, fields[amount_column], rows)


def reject_a_tenth(dropzone: Path, keep: str) -> int:
    """Every tenth delivery (all kinds, not those of `keep`) becomes a file that is rejected:
    a CSV without the expected columns, a workbook or audit file that is not one."""
    files = sorted(p for p in dropzone.glob("deliveries/GM*/*/*.*") if p.parent.parent.name != keep)
    chosen = files[::10]
    for path in chosen:
        path.unlink()  # a hard link to the generated original: replace it, never write through it
        path.write_bytes(b"niet;de;export;die;verwacht;wordt\r\n1;2;3;4;5;6\r\n")
    return len(chosen)


def _shift_counter_entry(lines: list[str], changed: int, columns: dict, dialect) -> None:
    """Credit the voucher's counter-entry (a line of the changed line's voucher without a cost
    centre) REDELIVERY_DELTA more: the changed voucher closes, as the contract asks."""

    def voucher(fields: list[str]) -> tuple[str, ...]:
        return tuple(fields[columns[c]] for c in ("journal", "transaction_id") if c in columns)

    target = voucher(next(csv.reader([lines[changed - 1]], delimiter=";")))
    for index, line in enumerate(lines[1:], start=1):
        fields = next(csv.reader([line], delimiter=";"))
        if index == changed - 1 or not line or voucher(fields) != target:
            continue
        if fields[columns["cost_centre"]].strip():
            continue
        if "amount" in columns:
            fields[columns["amount"]] = _shift_amount(fields[columns["amount"]], dialect, -1)
        elif fields[columns["credit"]].strip():
            fields[columns["credit"]] = _shift_amount(fields[columns["credit"]], dialect)
        else:
            fields[columns["debit"]] = _shift_amount(fields[columns["debit"]], dialect, -1)
        lines[index] = _csv_line(fields)
        return
    raise RuntimeError(f"voucher {target}: no counter-entry to change")


def _shift_amount(text: str, dialect, sign: int = 1) -> str:
    from pipelines.demo.ledgers import format_amount

    value = parse_dutch_amount(text) + sign * REDELIVERY_DELTA
    minus = "trailing" if dialect.amounts == "trailing_minus" else "leading"
    return format_amount(int(value * 100), thousands=dialect.thousands, minus=minus)


def parse_dutch_amount(text: str) -> Decimal:
    clean = text.strip()
    negative = clean.startswith("-") or clean.endswith("-")
    number = Decimal(clean.strip("-").replace(".", "").replace(",", "."))
    return -number if negative else number


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="").writerow(fields)
    return buffer.getvalue()


def _canonical(name: str) -> str | None:
    from pipelines.contract.vocabulary import column_aliases
    from pipelines.readers.ledger_csv import normalise_header

    wanted = normalise_header(name)
    return next((c for c, aliases in column_aliases("ledger").items() if wanted in aliases), None)


# --- the SQL (a) and (b) share: int_ledger_accounts_classified.sql without dbt ------------------------

RULES_SQL = """
create or replace table rules as
select
    municipality_code,
    rule_row,
    nullif(trim(account_from), '') as account_from,
    nullif(trim(account_to), '') as account_to,
    try_cast(nullif(trim(account_from), '') as hugeint) as account_from_number,
    try_cast(nullif(trim(account_to), '') as hugeint) as account_to_number,
    nullif(trim(cost_centre), '') as cost_centre,
    lower(trim(category)) as category
from rules_raw
"""

COST_SQL = """
create or replace table ict_cost as
with
lines as (
    select rowid as ledger_line_id, municipality_code, account_code, cost_centre, amount
    from ledger
),
classification_rules as (
    select
        *,
        case
            when account_from is not null and cost_centre is not null then 1
            when account_from is not null and account_to is null then 2
            when account_from is not null then 3
            else 4
        end as specificity,
        coalesce(account_to_number - account_from_number, 0) as range_width
    from rules
    where category <> 'ict_cost_centre'
),
matches as (
    select
        lines.ledger_line_id,
        rules.category,
        row_number() over (
            partition by lines.ledger_line_id
            order by rules.specificity, rules.range_width, rules.rule_row
        ) as preference
    from lines
    inner join classification_rules as rules
        on rules.municipality_code = lines.municipality_code
        and (rules.cost_centre is null or rules.cost_centre = lines.cost_centre)
        and (
            rules.account_from is null
            or (rules.account_to is null and lines.account_code = rules.account_from)
            or (
                rules.account_to is not null
                and rules.account_from_number is not null
                and rules.account_to_number is not null
                and try_cast(lines.account_code as hugeint)
                    between rules.account_from_number and rules.account_to_number
            )
            or (
                rules.account_to is not null
                and (rules.account_from_number is null or rules.account_to_number is null)
                and lines.account_code between rules.account_from and rules.account_to
            )
        )
),
best_match as (select * from matches where preference = 1),
ict_cost_centres as (
    select distinct municipality_code, cost_centre
    from rules
    where category = 'ict_cost_centre' and cost_centre is not null
),
classified as (
    select
        lines.municipality_code,
        lines.amount,
        case
            when best_match.category is not null then best_match.category
            when ict_cost_centres.cost_centre is not null then 'unclassified'
        end as category
    from lines
    left join best_match on best_match.ledger_line_id = lines.ledger_line_id
    left join ict_cost_centres
        on ict_cost_centres.municipality_code = lines.municipality_code
        and ict_cost_centres.cost_centre = lines.cost_centre
)
select
    classified.municipality_code,
    classified.category,
    sum(classified.amount) as cost,
    round(sum(classified.amount) / any_value(inhabitants.inhabitants), 2) as cost_per_inhabitant
from classified
left join inhabitants on inhabitants.municipality_code = classified.municipality_code
where classified.category is not null and classified.category <> 'not_ict'
group by all
"""

TOTALS_SQL = """
select municipality_code, cast(sum(cost) as varchar)
from ict_cost group by municipality_code order by municipality_code
"""


def classify_and_total(connection) -> dict[str, str]:
    connection.execute(RULES_SQL)
    connection.execute(COST_SQL)
    return dict(connection.execute(TOTALS_SQL).fetchall())


def read_rules(deliveries: Path) -> list[tuple[str, int, str, str, str, str]]:
    """Every account_mapping.csv as (municipality, record number, from, to, centre, category)."""
    rows = []
    for path in sorted(deliveries.glob("GM*/account_mapping.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = csv.DictReader(handle, delimiter=";")
            for number, record in enumerate(records, start=2):
                rows.append(
                    (
                        path.parent.name,
                        number,
                        record.get("rekening_van") or "",
                        record.get("rekening_tot") or "",
                        record.get("kostenplaats") or "",
                        record.get("categorie") or "",
                    )
                )
    return rows


def ledger_files(data_dir: Path) -> list[Path]:
    files = [
        *data_dir.glob("deliveries/GM*/*/ledger.csv"),
        *data_dir.glob("deliveries/GM*/*/ledger.xaf"),
    ]
    return sorted(files, key=lambda p: -p.stat().st_size)


# --- (a) the floor ----------------------------------------------------------------------------------


def is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def flatten_xaf(path: Path, target: Path) -> int:
    """trLines as `account;cost_centre;amount` (signed, dot decimal), streamed with stdlib expat.

    expat is what iterparse runs on; handlers that keep four strings skip building elements.
    """
    wanted = {"accID", "amnt", "amntTp", "costID"}
    line: dict[str, str] = {}
    current: list[str | None] = [None]
    out: list[str] = []

    def start(name: str, _attributes: dict) -> None:
        current[0] = name if name in wanted else None
        if current[0]:
            line[name] = ""

    def text(data: str) -> None:
        if current[0]:  # text split over two Parse calls arrives in two pieces
            line[current[0]] += data

    def end(name: str) -> None:
        current[0] = None
        if name == "trLine":
            sign = "-" if line.get("amntTp") == "C" else ""
            out.append(f"{line['accID']};{line.get('costID', '')};{sign}{line['amnt']}\n")
            line.clear()

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    count = 0
    with path.open("rb") as source, target.open("w", encoding="utf-8") as handle:
        handle.write("account_code;cost_centre;amount\n")
        while chunk := source.read(1 << 20):
            parser.Parse(chunk, False)
            count += len(out)
            handle.write("".join(out))
            out.clear()
        parser.Parse(b"", True)
        count += len(out)
        handle.write("".join(out))
    return count


def floor_prepare(job: tuple[Path, Path]) -> tuple[str, str]:
    """One ledger file made readable by DuckDB: (kind, path to read)."""
    path, scratch = job
    target = scratch / f"{path.parent.parent.name}_{path.stem}.csv"
    if path.suffix == ".xaf":
        flatten_xaf(path, target)
        return "xaf", str(target)
    if is_utf8(path):
        return "csv", str(path)
    with target.open("wb") as out:
        subprocess.run(["iconv", "-f", "CP1252", "-t", "UTF-8", str(path)], stdout=out, check=True)
    return "csv", str(target)


def _header(path: str) -> tuple[str, ...]:
    with open(path, encoding="utf-8-sig") as handle:
        return tuple(next(csv.reader([handle.readline().rstrip("\r\n")], delimiter=";")))


def _csv_select(files: list[str], header: tuple[str, ...]) -> str:
    names = {_canonical(name): name for name in header}

    def column(canonical: str) -> str:
        return f"nullif(trim(\"{names[canonical]}\"), '')" if canonical in names else "null"

    if "amount" in names:
        amount = f'dutch_amount("{names["amount"]}")'
    else:
        debit, credit = names["debit"], names["credit"]
        amount = f'coalesce(dutch_amount("{debit}"), 0) - coalesce(dutch_amount("{credit}"), 0)'
    listed = ", ".join(f"'{f}'" for f in files)
    return (
        "select regexp_extract(filename, '(GM[0-9]{4})', 1) as municipality_code, "
        f"{column('account_code')} as account_code, {column('cost_centre')} as cost_centre, "
        f"cast({amount} as decimal(18, 2)) as amount "
        f"from read_csv([{listed}], delim=';', header=true, all_varchar=true, filename=true)"
    )


DUTCH_AMOUNT_MACRO = """
create or replace macro dutch_amount(t) as
case when t is null or trim(t) = '' then null else
    (case when trim(t) like '-%' or trim(t) like '%-' then -1 else 1 end)
    * cast(replace(replace(trim(trim(t), '-'), '.', ''), ',', '.') as decimal(18, 2))
end
"""

INHABITANTS_SQL = """
create or replace table inhabitants as
select "Gemeentecode" as municipality_code, cast("Bevolking op 1 januari (aantal)" as bigint)
    as inhabitants
from read_csv('{path}', delim=';', skip=2, header=true, all_varchar=true)
where "Gemeentecode" like 'GM%' and "Perioden" = '{year}'
"""


def run_floor(data_dir: Path, out: Path) -> dict:
    import duckdb

    scratch = Path(tempfile.mkdtemp(prefix="floor-", dir=out.parent))
    started = time.perf_counter()
    jobs = [(path, scratch) for path in ledger_files(data_dir)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        prepared = pool.map(floor_prepare, jobs, chunksize=1)
        pool.close()  # let the workers finish on their own: terminate() needs a working SIGTERM
        pool.join()
    prepare_s = time.perf_counter() - started
    groups: dict[tuple[str, ...], list[str]] = {}
    for kind, path in prepared:
        key = ("xaf",) if kind == "xaf" else _header(path)
        groups.setdefault(key, []).append(path)
    connection = duckdb.connect()
    connection.execute(DUTCH_AMOUNT_MACRO)
    selects = [
        _xaf_select(files) if key == ("xaf",) else _csv_select(files, key)
        for key, files in groups.items()
    ]
    connection.execute("create table ledger as " + " union all ".join(selects))
    _load_reference(connection, data_dir)
    loaded = time.perf_counter()
    totals = classify_and_total(connection)
    rows = connection.execute("select count(*) from ledger").fetchone()[0]
    shutil.rmtree(scratch)
    return {
        "ict_total": totals,
        "rows": rows,
        "phases": {
            "prepare_s": round(prepare_s, 2),
            "load_s": round(loaded - started - prepare_s, 2),
            "sql_s": round(time.perf_counter() - loaded, 2),
        },
        "category_rows": connection.execute("select count(*) from ict_cost").fetchone()[0],
    }


def _xaf_select(files: list[str]) -> str:
    listed = ", ".join(f"'{f}'" for f in files)
    return (
        "select regexp_extract(filename, '(GM[0-9]{4})', 1) as municipality_code, "
        "account_code, nullif(trim(cost_centre), '') as cost_centre, amount "
        f"from read_csv([{listed}], delim=';', header=true, filename=true, columns="
        "{'account_code': 'varchar', 'cost_centre': 'varchar', 'amount': 'decimal(18, 2)'})"
    )


def _load_reference(connection, data_dir: Path) -> None:
    connection.execute(
        "create or replace table rules_raw (municipality_code varchar, rule_row bigint, "
        "account_from varchar, account_to varchar, cost_centre varchar, category varchar)"
    )
    connection.executemany(
        "insert into rules_raw values (?, ?, ?, ?, ?, ?)", read_rules(data_dir / "deliveries")
    )
    path = data_dir / "reference" / "bevolking.csv"
    connection.execute(INHABITANTS_SQL.format(path=path, year=FISCAL_YEAR))


# --- (b) the naive peer -------------------------------------------------------------------------------


def _pandas_amount(column):
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    text = column.astype("string").str.strip()
    negative = text.str.endswith("-") | text.str.startswith("-")
    digits = (
        text.str.strip("-").str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    value = pd.to_numeric(digits, errors="coerce")
    return value.where(~negative.fillna(False), -value)


def naive_read_csv(path: Path):
    import pandas as pd

    try:
        header = pd.read_csv(path, sep=";", nrows=0, encoding="utf-8-sig").columns
        encoding = "utf-8-sig"
        frame = _naive_frame(path, header, encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        header = pd.read_csv(path, sep=";", nrows=0, encoding=encoding).columns
        frame = _naive_frame(path, header, encoding)
    return frame


def _naive_frame(path: Path, header, encoding: str):
    import pandas as pd

    names = {_canonical(name): name for name in header}
    text_columns = {names[c]: "string" for c in ("account_code", "cost_centre") if c in names}
    frame = pd.read_csv(
        path, sep=";", decimal=",", thousands=".", encoding=encoding, dtype=text_columns
    )
    if "amount" in names:
        amount = _pandas_amount(frame[names["amount"]])
    else:
        debit = _pandas_amount(frame[names["debit"]]).fillna(0)
        amount = debit - _pandas_amount(frame[names["credit"]]).fillna(0)
    return pd.DataFrame(
        {
            "booking_date": pd.to_datetime(frame[names["booking_date"]], format="%d-%m-%Y").dt.date,
            "account_code": frame[names["account_code"]],
            "cost_centre": frame[names["cost_centre"]] if "cost_centre" in names else None,
            "amount": amount,
        }
    )


def naive_read_xaf(path: Path):
    import pandas as pd

    wanted = ["accID", "amnt", "amntTp", "effDate", "costID"]
    text = {"accID": "string", "costID": "string", "amntTp": "string"}
    raw = pd.read_xml(path, parser="etree", iterparse={"trLine": wanted}, dtype=text)
    sign = raw["amntTp"].map({"D": 1.0, "C": -1.0})
    return pd.DataFrame(
        {
            "booking_date": pd.to_datetime(raw["effDate"], format="%Y-%m-%d").dt.date,
            "account_code": raw["accID"].astype("string"),
            "cost_centre": raw.get("costID"),
            "amount": raw["amnt"].astype("float64") * sign,
        }
    )


def ledger_suite():
    """expectations/ledger.json, every expectation, with the fiscal-year placeholders filled."""
    import great_expectations as gx

    parameters = {
        "fiscal_year": FISCAL_YEAR,
        "fiscal_year_start": dt.date(FISCAL_YEAR, 1, 1),
        "fiscal_year_end": dt.date(FISCAL_YEAR, 12, 31),
    }
    definition = json.loads((REPO_ROOT / "expectations" / "ledger.json").read_text())
    for expectation in definition["expectations"]:
        kwargs = expectation["kwargs"]
        for key, value in kwargs.items():
            if isinstance(value, str) and value.startswith("$"):
                kwargs[key] = parameters[value[1:]]
    return gx.ExpectationSuite(**definition)


def naive_validator() -> Callable:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("naive")
        .add_dataframe_asset("ledger")
        .add_batch_definition_whole_dataframe("whole")
    )

    def validate(frame) -> int:
        suite = ledger_suite()
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["source_row"],
            },
        )
        return sum(1 for outcome in result.results if not outcome.success)

    return validate


def run_naive(data_dir: Path, out: Path) -> dict:
    import logging

    import duckdb

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    started = time.perf_counter()
    validate = naive_validator()
    connection = duckdb.connect()
    connection.execute(
        "create table ledger (municipality_code varchar, account_code varchar, "
        "cost_centre varchar, amount decimal(18, 2))"
    )
    timings = {"read_s": 0.0, "validate_s": 0.0, "insert_s": 0.0}
    failed = 0
    for path in ledger_files(data_dir):
        tick = time.perf_counter()
        frame = naive_read_xaf(path) if path.suffix == ".xaf" else naive_read_csv(path)
        frame["source_row"] = range(2, len(frame) + 2)
        frame["municipality_code"] = path.parent.parent.name
        timings["read_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        failed += validate(frame)
        timings["validate_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        connection.register("frame", frame)
        connection.execute(
            "insert into ledger select municipality_code, nullif(trim(account_code), ''), "
            "nullif(trim(cost_centre), ''), cast(round(amount, 2) as decimal(18, 2)) from frame"
        )
        connection.unregister("frame")
        timings["insert_s"] += time.perf_counter() - tick
    _naive_reference(connection, data_dir)
    tick = time.perf_counter()
    totals = classify_and_total(connection)
    timings["sql_s"] = time.perf_counter() - tick
    rows = connection.execute("select count(*) from ledger").fetchone()[0]
    return {
        "ict_total": totals,
        "rows": rows,
        "failed_expectations": failed,
        "phases": {k: round(v, 2) for k, v in timings.items()},
        "total_s": round(time.perf_counter() - started, 2),
    }


def _naive_reference(connection, data_dir: Path) -> None:
    import pandas as pd

    frames = []
    for path in sorted((data_dir / "deliveries").glob("GM*/account_mapping.csv")):
        rules = pd.read_csv(path, sep=";", dtype="string", keep_default_na=False)
        rules.insert(0, "rule_row", range(2, len(rules) + 2))
        rules.insert(0, "municipality_code", path.parent.name)
        frames.append(rules)
    connection.register("rules_frame", pd.concat(frames))
    connection.execute(
        "create or replace table rules_raw as select municipality_code, rule_row, "
        "rekening_van as account_from, rekening_tot as account_to, kostenplaats as cost_centre, "
        "categorie as category from rules_frame"
    )
    people = pd.read_csv(
        data_dir / "reference" / "bevolking.csv", sep=";", skiprows=2, encoding="utf-8-sig"
    )
    people = people[people["Gemeentecode"].astype("string").str.startswith("GM", na=False)]
    people = people[pd.to_numeric(people["Perioden"], errors="coerce") == FISCAL_YEAR]
    connection.register("people", people)
    connection.execute(
        'create or replace table inhabitants as select "Gemeentecode" as municipality_code, '
        'cast("Bevolking op 1 januari (aantal)" as bigint) as inhabitants from people'
    )


# --- (c)/(d) read back, (e) the peer query -------------------------------------------------------------

PEER_QUERY = """
with benchmark as (
    select municipality_code, municipality_name, size_band, ict_cost_per_inhabitant
    from ict_benchmark
    where fiscal_year = ?
)
select
    municipality_code,
    municipality_name,
    size_band,
    ict_cost_per_inhabitant,
    median(ict_cost_per_inhabitant) over band as peer_median,
    quantile_cont(ict_cost_per_inhabitant, 0.25) over band as peer_p25,
    quantile_cont(ict_cost_per_inhabitant, 0.75) over band as peer_p75,
    round(100 * ict_cost_per_inhabitant / median(ict_cost_per_inhabitant) over band, 1)
        as index_vs_peer_median,
    rank() over (partition by size_band order by ict_cost_per_inhabitant desc) as rank_in_band,
    median(ict_cost_per_inhabitant) over () as national_median
from benchmark
window band as (partition by size_band)
order by size_band, rank_in_band
"""


def published_totals(database: Path) -> dict[str, str]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select municipality_code, cast(ict_cost_total as varchar) from ict_benchmark "
            "where fiscal_year = ? order by municipality_code",
            [FISCAL_YEAR],
        ).fetchall()
    return dict(rows)


def run_peer(database: Path, out: Path, runs: int = PEER_QUERY_RUNS) -> dict:
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect(str(database), read_only=True)
    opened = time.perf_counter() - started
    latencies, rows = [], 0
    for _ in range(runs):
        tick = time.perf_counter()
        rows = len(connection.execute(PEER_QUERY, [FISCAL_YEAR]).fetchall())
        latencies.append((time.perf_counter() - tick) * 1000)
    connection.close()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "runs": runs,
        "rows": rows,
        "open_ms": round(opened * 1000, 2),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(max(latencies), 2),
    }


# --- profiling (c) with cProfile, outside the measurements -----------------------------------------

PROFILE_PARTS = {
    "dbt manifest (dbt parse subprocess)": ("pipelines/transform/manifest.py", "prepare_manifest"),
    "import the Dagster definitions": ("pipelines/definitions.py", "<module>"),
    "Dagster job, in process": (
        "dagster/_core/definitions/job_definition.py",
        "execute_in_process",
    ),
    "  Dagster event log writes (sqlite)": (
        "dagster/_core/storage/event_log/sqlite/sqlite_event_log.py",
        "store_event",
    ),
    "  ingest: reference data": ("pipelines/defs/ingest/assets.py", "reference_data"),
    "  ingest: mappings, ledgers, assets, training": ("pipelines/defs/ingest/assets.py", "ingest"),
    "    hash deliveries (sha256)": ("pipelines/contract/delivery.py", "file_sha256"),
    "    parse (all kinds)": ("pipelines/ingest/check.py", "parse"),
    "      parse CSV ledgers": ("pipelines/readers/ledger_csv.py", "read_ledger_csv"),
    "      parse XAF ledgers": ("pipelines/readers/xaf.py", "read_xaf"),
    "      parse asset registers": ("pipelines/readers/asset_register.py", "read_asset_register"),
    "      parse training records": ("pipelines/readers/training.py", "read_training"),
    "    GX suites (run_suite_batch)": ("pipelines/ingest/validation.py", "run_suite_batch"),
    "      GX validate": ("pipelines/ingest/validation.py", "_validate"),
    "      Arrow to pandas for GX": ("pipelines/ingest/validation.py", "validation_frame"),
    "    write landing Parquet": ("pipelines/storage/files.py", "write_parquet_atomic"),
    "  dbt build (dagster-dbt asset)": ("pipelines/defs/transform/assets.py", "benchmark_models"),
    "    waiting for dbt output": ("dagster_dbt/core/dbt_cli_invocation.py", "_stream_stdout"),
    "  publish": ("pipelines/defs/publish/assets.py", "published_benchmark"),
    "print the benchmark": ("pipelines/report/console.py", "print_benchmark"),
}


def run_profile(dropzone: Path, warehouse: Path, out: Path) -> dict:
    """What `ictbench run` does, with the job in the main thread so cProfile sees all of it.

    `ictbench run` runs the job in a worker thread and polls the event log for progress bars;
    cProfile only follows the thread it was enabled in.
    """
    import dagster as dg

    from pipelines.cli.runner import run_benchmark_job
    from pipelines.report.console import print_benchmark
    from pipelines.run_history.instance import ensure_dagster_home
    from pipelines.settings import Paths
    from pipelines.transform.manifest import prepare_manifest

    paths = Paths(data_raw=dropzone.resolve(), warehouse=warehouse.resolve())
    ensure_dagster_home()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        prepare_manifest()
        with dg.DagsterInstance.get() as instance:
            result = run_benchmark_job(paths, instance)
        print_benchmark(paths.published_db)
    finally:
        profiler.disable()
    wall = time.perf_counter() - started
    profiler.dump_stats(out.with_suffix(".prof"))
    stats = pstats.Stats(profiler).stats
    parts = {label: _cumulative(stats, *where) for label, where in PROFILE_PARTS.items()}
    return {
        "success": result.success,
        "wall_s": round(wall, 2),
        "parts_s": parts,
        "pstats": str(out.with_suffix(".prof")),
    }


def _cumulative(stats: dict, file_part: str, function: str) -> float | None:
    found = [
        value[3]
        for (file, _, name), value in stats.items()
        if name == function and file.endswith(file_part)
    ]
    return round(max(found), 2) if found else None


# --- orchestration -----------------------------------------------------------------------------------


def child_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_HOME": str(work / "dagster_home"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.setdefault("ICTBENCH_PSEUDONYM_KEY", secrets.token_hex(32))
    # `ictbench run` writes the instance's dagster.yaml there, as on a developer's machine (one
    # written by hand would be kept as it is)
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    return env


def python_child(mode: str, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "bench.run_bench", "--measure", mode, "--out", str(out), *options]


def ictbench(dropzone: Path, warehouse: Path) -> list[str]:
    script = Path(sys.executable).with_name("ictbench")
    return [str(script), "run", "--data-raw", str(dropzone), "--warehouse", str(warehouse)]


def _child_result(measurement: Measurement, out: Path | None) -> dict:
    # `ictbench run` exits 3 for "published, with refusals": the rejections step means to refuse
    if measurement.exit_code not in (ExitCode.ACCEPTED, ExitCode.WITH_REFUSALS):
        tail = Path(measurement.log).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{measurement.name} failed ({measurement.exit_code}):\n{tail}")
    return json.loads(out.read_text()) if out else {}


def run_bench(
    scale: float,
    *,
    data: Path | None = None,
    keep: bool = False,
    seed: int = 2024,
    codes: Sequence[str] | None = None,
    assets_training: bool = True,
    results_dir: Path = RESULTS_DIR,
    profile: bool = False,
    log: Callable[[str], None] = print,
) -> dict:
    key = data_key(scale, seed, codes, assets_training)
    data_dir = (data or default_data_dir(key)).resolve()
    log(f"data: {data_dir}")
    summary, generated_s = ensure_data(data_dir, key)
    lines = int(summary["ledger_lines"])
    log(f"data: {lines:,} ledger lines (generation took {generated_s} s)")
    work = Path(tempfile.mkdtemp(prefix="ictbench-bench-run-"))
    env = child_env(work)
    try:
        results = _measure_all(data_dir, work, env, lines, seed, profile, log)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    report = build_report(scale, summary, generated_s, results, results_dir)
    report["work_dir"] = str(work) if keep else None
    report["data_dir"] = str(data_dir)
    paths = write_report(report, results_dir)
    log(f"results: {paths[0]} and {paths[1]}")
    return report


def _measure_all(
    data_dir: Path,
    work: Path,
    env: dict[str, str],
    lines: int,
    seed: int,
    profile: bool,
    log: Callable[[str], None],
) -> dict:
    measurements: dict[str, Measurement] = {}
    outputs: dict[str, dict] = {}

    def step(name: str, argv: list[str], out: Path | None = None, rows: int = 0) -> None:
        log(f"measuring {name} ...")
        measurement = measure(name, argv, work / "logs" / f"{name}.log", env)
        outputs[name] = _child_result(measurement, out)
        measurement.rows = rows
        measurement.details = {k: v for k, v in outputs[name].items() if k != "ict_total"}
        measurements[name] = measurement
        log(
            f"  {name}: {measurement.wall_s} s wall, {measurement.cpu_s} s CPU, "
            f"{measurement.tree_peak_rss_mb or measurement.peak_rss_mb} MB"
        )

    step(
        "floor",
        python_child("floor", work / "floor.json", "--data", str(data_dir)),
        work / "floor.json",
        lines,
    )
    step(
        "naive",
        python_child("naive", work / "naive.json", "--data", str(data_dir)),
        work / "naive.json",
        lines,
    )
    dropzone = working_copy(data_dir, work / "dropzone")
    warehouse = work / "warehouse"
    step("project_full", ictbench(dropzone, warehouse), None, lines)
    outputs["project_full"]["ict_total"] = published_totals(warehouse / "benchmark.duckdb")
    # what a run costs when nothing was re-delivered: the orchestration's own floor under (d)
    step("project_unchanged", ictbench(dropzone, warehouse), None, 0)
    change = redeliver(dropzone, seed)
    step("project_redelivery", ictbench(dropzone, warehouse), None, change.lines)
    after = published_totals(warehouse / "benchmark.duckdb")
    database = warehouse / "benchmark.duckdb"
    step(
        "peer_query",
        python_child("peer", work / "peer.json", "--db", str(database)),
        work / "peer.json",
        0,
    )
    # the same two runs while a tenth of the deliveries stays rejected: a rejected file is
    # remembered, so it must cost nothing once its verdict is known
    rejected = reject_a_tenth(dropzone, keep=change.municipality_code)
    log(f"{rejected} deliveries replaced by files that are rejected")
    step("project_rejections_arrive", ictbench(dropzone, warehouse), None, 0)
    step("project_unchanged_rejected", ictbench(dropzone, warehouse), None, 0)
    again = redeliver(dropzone, seed)
    step("project_redelivery_rejected", ictbench(dropzone, warehouse), None, again.lines)
    results = {
        "measurements": measurements,
        "agreement": agreement(outputs),
        "redelivery": {
            **asdict(change),
            **redelivery_check(outputs["project_full"]["ict_total"], after, change),
        },
        "peer": outputs["peer_query"],
    }
    if profile:
        log("profiling (c) with cProfile (not part of the measurements) ...")
        out = work / "profile.json"
        warehouse = work / "profiled_warehouse"
        argv = python_child("profile", out, "--data", str(dropzone), "--warehouse", str(warehouse))
        run = measure("profile", argv, work / "logs" / "profile.log", env)
        results["profile"] = {**_child_result(run, out), "measured_wall_s": run.wall_s}
    return results


def agreement(outputs: dict[str, dict]) -> dict:
    floor = outputs["floor"]["ict_total"]
    others = {
        "naive": outputs["naive"]["ict_total"],
        "project_full": outputs["project_full"]["ict_total"],
    }
    differences = []
    for name, totals in others.items():
        for code in sorted(set(floor) | set(totals)):
            left, right = floor.get(code), totals.get(code)
            if left is None or right is None or Decimal(left) != Decimal(right):
                differences.append({"municipality": code, "floor": left, name: right})
    return {
        "municipalities": len(floor),
        "ict_total_eur": str(sum(Decimal(v) for v in floor.values())),
        "agree": not differences,
        "differences": differences[:20],
    }


def redelivery_check(before: dict[str, str], after: dict[str, str], change: Redelivery) -> dict:
    expected = dict(before)
    expected[change.municipality_code] = str(
        Decimal(before[change.municipality_code]) + REDELIVERY_DELTA
    )
    wrong = [c for c in expected if Decimal(expected[c]) != Decimal(after.get(c, "NaN"))]
    return {
        "expected_delta_eur": str(REDELIVERY_DELTA),
        "mart_correct": not wrong,
        "wrong": wrong[:20],
    }


# --- the report ----------------------------------------------------------------------------------------


def build_report(
    scale: float, summary: dict, generated_s: float | None, results: dict, results_dir: Path
) -> dict:
    m: dict[str, Measurement] = results["measurements"]
    project_memory = _memory_mb(asdict(m["project_full"]))
    figures = {
        "project_vs_floor": round(m["project_full"].wall_s / m["floor"].wall_s, 2),
        "naive_vs_project": round(m["naive"].wall_s / m["project_full"].wall_s, 2),
        "redelivery_wall_s": m["project_redelivery"].wall_s,
        "project_peak_rss_mb": project_memory,
        "rss_growth_sf2": _memory_growth(scale, m["project_full"], results_dir),
        "peer_query_p50_ms": results["peer"]["p50_ms"],
    }
    return {
        "date": dt.date.today().isoformat(),
        "scale": scale,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": _memory_gb(),
            "python": sys.version.split()[0],
        },
        "data": {k: v for k, v in summary.items() if k != "deliveries"},
        "generation_s": None if generated_s is None else round(generated_s, 1),
        "measurements": {
            name: {**asdict(x), "rows_per_s": round(x.rows_per_s)} for name, x in m.items()
        },
        "ratios": figures,
        "targets": {name: _target(name, figures[name]) for name in TARGETS},
        "agreement": results["agreement"],
        "redelivery": results["redelivery"],
        "peer_query": results["peer"],
        "profile": results.get("profile"),
    }


def _memory_mb(measurement: dict) -> float:
    """The tree's PSS where measured, else its RSS sum, else the largest process."""
    return (
        measurement.get("tree_peak_pss_mb")
        or measurement.get("tree_peak_rss_mb")
        or measurement["peak_rss_mb"]
    )


def _memory_growth(scale: float, project: Measurement, results_dir: Path) -> float | None:
    """SF 2 against the latest SF 1 result, on the same kind of figure (PSS or RSS sum)."""
    if scale != 2:
        return None
    earlier = sorted(results_dir.glob("*-sf1.json"))
    if not earlier:
        return None
    sf1 = json.loads(earlier[-1].read_text())["measurements"]["project_full"]
    current = asdict(project)
    if not sf1.get("tree_peak_pss_mb"):
        current["tree_peak_pss_mb"] = None
    return round(_memory_mb(current) / _memory_mb(sf1), 2)


def _target(name: str, value: float | None) -> dict:
    label, operator, limit = TARGETS[name]
    if value is None:
        return {"label": label, "target": f"{operator} {limit:g}", "value": None, "met": None}
    met = value <= limit if operator == "<=" else value >= limit
    return {"label": label, "target": f"{operator} {limit:g}", "value": value, "met": met}


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (ValueError, OSError):
        return None


def results_stem(report: dict) -> str:
    return f"{report['date']}-sf{report['scale']:g}"


def write_report(report: dict, results_dir: Path) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = results_stem(report)
    json_path, md_path = results_dir / f"{stem}.json", results_dir / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    md_path.write_text(markdown(report))
    return md_path, json_path


LABELS = {
    "floor": "(a) floor: DuckDB SQL script",
    "naive": "(b) naive: pandas + GX + DuckDB",
    "project_full": "(c) project: full build",
    "project_unchanged": "(d0) project: a run with nothing re-delivered",
    "project_redelivery": "(d) project: one re-delivery",
    "project_rejections_arrive": "(d-r) project: the run in which 10% of the deliveries are rejected",
    "project_unchanged_rejected": "(d0) with 10% of the deliveries rejected",
    "project_redelivery_rejected": "(d) with 10% of the deliveries rejected",
    "peer_query": f"(e) peer query x{PEER_QUERY_RUNS}",
}


def markdown(report: dict) -> str:
    data = report["data"]
    lines = [
        f"# National benchmark, scale {report['scale']:g} ({report['date']})",
        "",
        f"Machine: {report['machine']['cpus']} CPUs, {report['machine']['memory_gb']} GB, "
        f"Python {report['machine']['python']}. Data: {data['municipalities']} municipalities, "
        f"{data['ledger_lines']:,} ledger lines, {data['ledger_bytes'] / 1e9:.2f} GB of ledger "
        f"files ({_formats(data)}), {data.get('asset_rows', 0):,} asset rows, "
        f"{data.get('training_rows', 0):,} training rows; generated in "
        f"{report['generation_s'] if report['generation_s'] is not None else 'n/a'} s "
        "(2 processes).",
        "",
        "| measurement | wall s | CPU s | peak RSS MB (largest process) "
        "| peak RSS MB (process tree) | peak PSS MB (process tree) | rows/s "
        "| load avg before/after |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, x in report["measurements"].items():
        tree = "n/a" if x["tree_peak_rss_mb"] is None else f"{x['tree_peak_rss_mb']:,.0f}"
        pss = "n/a" if x.get("tree_peak_pss_mb") is None else f"{x['tree_peak_pss_mb']:,.0f}"
        rate = f"{x['rows_per_s']:,}" if x["rows"] else "n/a"
        load = " / ".join(f"{value:g}" for value in x.get("load_average") or ())
        lines.append(
            f"| {LABELS[name]} | {x['wall_s']:,.2f} | {x['cpu_s']:,.2f} | "
            f"{x['peak_rss_mb']:,.0f} | {tree} | {pss} | {rate} | {load} |"
        )
    lines += ["", cpu_ratios(report["measurements"])]
    if report.get("note"):
        lines += ["", f"Note: {report['note']}"]
    peer = report["peer_query"]
    lines += [
        "",
        f"(e) peer query on the published mart ({peer['rows']} rows, {peer['runs']} runs, one "
        f"read-only connection opened in {peer['open_ms']} ms): p50 {peer['p50_ms']} ms, "
        f"p95 {peer['p95_ms']} ms, max {peer['max_ms']} ms.",
        "",
        "| target | value | target | met |",
        "|---|---:|---:|---|",
    ]
    for target in report["targets"].values():
        met = {True: "met", False: "NOT met", None: "n/a"}[target["met"]]
        value = "n/a" if target["value"] is None else f"{target['value']:g}"
        lines.append(f"| {target['label']} | {value} | {target['target']} | {met} |")
    agreement = report["agreement"]
    redelivery = report["redelivery"]
    lines += [
        "",
        f"Agreement: (a), (b) and (c) give the same ICT total for each of the "
        f"{agreement['municipalities']} municipalities: **{'yes' if agreement['agree'] else 'NO'}** "
        f"(national ICT total EUR {Decimal(agreement['ict_total_eur']):,.2f}).",
        f"Re-delivery: {redelivery['file']} with row {redelivery['source_row']} changed from "
        f"{redelivery['old']} to {redelivery['new']}; the mart moved by exactly "
        f"EUR {redelivery['expected_delta_eur']} for that municipality and nothing else: "
        f"**{'yes' if redelivery['mart_correct'] else 'NO'}**.",
        "",
        "Phases: "
        + "; ".join(
            f"{name} {x['details'].get('phases')}"
            for name, x in report["measurements"].items()
            if x["details"].get("phases")
        ),
    ]
    if report.get("profile"):
        lines += ["", "## Profile of (c) (cProfile, cumulative seconds, separate run)", ""]
        lines += ["| part | s |", "|---|---:|"]
        for part, seconds in report["profile"]["parts_s"].items():
            lines.append(f"| {part} | {'n/a' if seconds is None else seconds} |")
        lines.append(f"| whole run under the profiler | {report['profile']['wall_s']} |")
    return "\n".join(lines) + "\n"


def cpu_ratios(measurements: dict) -> str:
    """The same ratios on CPU time, which other load on the machine disturbs less than wall time."""
    cpu = {name: x["cpu_s"] for name, x in measurements.items()}
    return (
        f"On CPU time: (c)/(a) = {cpu['project_full'] / cpu['floor']:.2f}, "
        f"(b)/(c) = {cpu['naive'] / cpu['project_full']:.2f}, "
        f"(d) = {cpu['project_redelivery']:.1f} s."
    )


def render(json_path: Path) -> Path:
    """Rewrite the markdown of a stored result from its JSON."""
    md_path = json_path.with_name(json_path.name.removesuffix(".json") + ".md")
    md_path.write_text(markdown(json.loads(json_path.read_text())))
    return md_path


def _formats(data: dict) -> str:
    parts = data.get("by_format", {})
    return ", ".join(
        f"{name} {v['files']} files / {v['lines']:,} lines" for name, v in parts.items()
    )


# --- command line ------------------------------------------------------------------------------------


def child_main(arguments: argparse.Namespace) -> None:
    out = Path(arguments.out)
    if arguments.measure == "floor":
        result = run_floor(Path(arguments.data), out)
    elif arguments.measure == "naive":
        result = run_naive(Path(arguments.data), out)
    elif arguments.measure == "peer":
        result = run_peer(Path(arguments.db), out)
    else:
        result = run_profile(Path(arguments.data), Path(arguments.warehouse), out)
    out.write_text(json.dumps(result, default=str))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1 = about 10 million ledger lines"
    )
    parser.add_argument(
        "--data", type=Path, help="drop zone to use or create (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the working copy and warehouse")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--codes", help="only these municipalities deliver, e.g. GM0363,GM0599")
    parser.add_argument(
        "--no-assets-training",
        dest="assets_training",
        action="store_false",
        help="ledgers and mappings only, no asset registers and training records",
    )
    parser.add_argument("--profile", action="store_true", help="also profile (c) with cProfile")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--render", type=Path, help="rewrite the markdown of a results JSON")
    parser.add_argument(
        "--measure", choices=("floor", "naive", "peer", "profile"), help=argparse.SUPPRESS
    )
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.measure:
        child_main(arguments)
        return
    if arguments.render:
        print(render(arguments.render))
        return
    run_bench(
        arguments.scale,
        data=arguments.data,
        keep=arguments.keep,
        seed=arguments.seed,
        codes=arguments.codes.split(",") if arguments.codes else None,
        assets_training=arguments.assets_training,
        results_dir=arguments.results_dir,
        profile=arguments.profile,
    )


if __name__ == "__main__":
    main()
