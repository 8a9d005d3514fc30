"""(a) The floor: what the hardware allows, with no checks at all, in two parts measured apart.

CSV floor: UTF-8 files straight into DuckDB's read_csv, Windows-1252 ones through iconv first.
XAF floor: the fastest plain parse we could write, one regular expression over the bytes (the C
`re` module finds every trLine's account, amount, D/C and cost centre in one pass, in the schema's
order, stepping over other elements whole; Arrow takes the matches as columns in one call),
written to Parquet in batches; DuckDB reads the Parquet. Both then classify and
total with the same SQL as the naive peer (bench/sql.py). Two processes, as the project uses.
"""

from __future__ import annotations

import codecs
import csv
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.sql import (
    DUTCH_AMOUNT_MACRO,
    FILE_KEYS,
    canonical_column,
    classify_and_total,
    ledger_files,
    load_reference,
)

CHUNK = 32 << 20
_S = rb"[ \t\r\n]*"


def _elements_but(name: bytes) -> bytes:
    """Any run of whole elements other than `name`; a closing tag (`</trLine>`) ends it."""
    return rb"(?:<(?!" + name + rb">|/)[^>]*>[^<]*</[^>]*>" + _S + rb")*"


# The schema's order within a trLine: (nr), accID, (docRef, effDate, desc), amnt, amntTp, (...),
# costID. Only trLines: an opening balance's obLine also has an accID, amnt and amntTp.
TRLINE_FIELDS = re.compile(
    rb"<trLine>"
    + _S
    + _elements_but(rb"accID")
    + rb"<accID>([^<]*)</accID>"
    + _S
    + _elements_but(rb"amnt")
    + rb"<amnt>([^<]*)</amnt>"
    + _S
    + rb"<amntTp>([DC])</amntTp>"
    + _S
    + _elements_but(rb"costID")
    + rb"(?:<costID>([^<]*)</costID>)?"
)
ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


def _chunks(path: Path):
    """The file in pieces cut after a `</trLine>`, so that no trLine is split."""
    rest = b""
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            block = rest + block
            cut = block.rfind(b"</trLine>")
            if cut < 0:
                rest = block
                continue
            cut += len(b"</trLine>")
            yield block[:cut]
            rest = block[cut:]
    if rest:
        yield rest


def _unescape(column):
    import pyarrow.compute as pc

    for entity, character in ENTITIES:
        column = pc.replace_substring(column, entity, character)
    return column


def xaf_to_parquet(path: Path, target: Path) -> tuple[int, float]:
    """trLines of one audit file as Parquet (account_code, cost_centre, amount signed);
    (lines, CPU seconds of this process)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    started = time.process_time()
    schema = pa.schema(
        [
            ("account_code", pa.string()),
            ("cost_centre", pa.string()),
            ("amount", pa.decimal128(18, 2)),
        ]
    )
    # findall's tuples of four groups, taken by Arrow as one struct column without transposing
    matched = pa.struct([(name, pa.binary()) for name in ("account", "amount", "side", "cost")])
    lines = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(target, schema) as writer:
        for chunk in _chunks(path):
            matches = pa.array(TRLINE_FIELDS.findall(chunk), matched)
            account, amount_text, side, cost = (
                matches.field(i).cast(pa.string()) for i in range(4)
            )
            amount = pc.cast(amount_text, pa.decimal128(18, 2))
            signed = pc.if_else(pc.equal(side, "C"), pc.negate(amount), amount)
            cost = pc.if_else(pc.equal(cost, ""), pa.scalar(None, pa.string()), cost)
            writer.write_table(
                pa.table([_unescape(account), _unescape(cost), signed], schema=schema)
            )
            lines += len(matches)
    return lines, time.process_time() - started


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


def _prepare(job: tuple[Path, Path, Path]) -> tuple[str, int, float]:
    """One ledger file made readable by DuckDB, in the drop zone's layout under scratch:
    (path to read, trLines parsed, CPU seconds spent parsing)."""
    path, deliveries, scratch = job
    relative = path.relative_to(deliveries)
    if path.suffix == ".xaf":
        target = (scratch / relative).with_suffix(".parquet")
        lines, cpu = xaf_to_parquet(path, target)
        return str(target), lines, cpu
    if is_utf8(path):
        return str(path), 0, 0.0
    target = scratch / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        subprocess.run(["iconv", "-f", "CP1252", "-t", "UTF-8", str(path)], stdout=out, check=True)
    return str(target), 0, 0.0


def run_floor(data_dir: Path, out: Path, kind: str, skip: frozenset[str]) -> dict:
    """kind: "csv" or "xaf"; skip: ledger files (under deliveries/) the project did not accept."""
    import duckdb
    import pyarrow.compute  # noqa: F401  imported before the fork: no worker parses its import time

    scratch = Path(tempfile.mkdtemp(prefix=f"floor-{kind}-", dir=out.parent))
    started = time.perf_counter()
    deliveries = data_dir / "deliveries"
    jobs = [(path, deliveries, scratch) for path in ledger_files(data_dir, f".{kind}", skip)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        prepared = pool.map(_prepare, jobs, chunksize=1)
        pool.close()  # let the workers finish on their own: terminate() needs a working SIGTERM
        pool.join()
    prepare_s = time.perf_counter() - started
    connection = duckdb.connect()
    connection.execute(DUTCH_AMOUNT_MACRO)
    if kind == "xaf":
        files = [path for path, _, _ in prepared]
        selects = [_xaf_select(files)] if files else []
    else:
        groups: dict[tuple[str, ...], list[str]] = {}
        for path, _, _ in prepared:
            groups.setdefault(_header(path), []).append(path)
        selects = [_csv_select(f, key, canonical_column) for key, f in groups.items()]
    connection.execute(
        "create table ledger (municipality_code varchar, fiscal_year integer, "
        "account_code varchar, cost_centre varchar, amount decimal(18, 2))"
    )
    if selects:
        connection.execute("insert into ledger " + " union all ".join(selects))
    load_reference(connection, data_dir)
    loaded = time.perf_counter()
    totals = classify_and_total(connection)
    rows = connection.execute("select count(*) from ledger").fetchone()[0]
    shutil.rmtree(scratch)
    return {
        "ict_total": totals,
        "rows": rows,
        "files": len(prepared),
        "xaf_lines": sum(lines for _, lines, _ in prepared),
        "xaf_parse_cpu_s": round(sum(cpu for _, _, cpu in prepared), 2),
        "phases": {
            "prepare_s": round(prepare_s, 2),
            "load_s": round(loaded - started - prepare_s, 2),
            "sql_s": round(time.perf_counter() - loaded, 2),
        },
    }


def _header(path: str) -> tuple[str, ...]:
    with open(path, encoding="utf-8-sig") as handle:
        return tuple(next(csv.reader([handle.readline().rstrip("\r\n")], delimiter=";")))


def _csv_select(files: list[str], header: tuple[str, ...], canonical) -> str:
    names = {canonical(name): name for name in header}

    def column(name: str) -> str:
        return f"nullif(trim(\"{names[name]}\"), '')" if name in names else "null"

    if "amount" in names:
        amount = f'dutch_amount("{names["amount"]}")'
    else:
        debit, credit = names["debit"], names["credit"]
        amount = f'coalesce(dutch_amount("{debit}"), 0) - coalesce(dutch_amount("{credit}"), 0)'
    listed = ", ".join(f"'{f}'" for f in files)
    return (
        f"select {FILE_KEYS}, {column('account_code')} as account_code, "
        f"{column('cost_centre')} as cost_centre, cast({amount} as decimal(18, 2)) as amount "
        f"from read_csv([{listed}], delim=';', header=true, all_varchar=true, filename=true)"
    )


def _xaf_select(files: list[str]) -> str:
    listed = ", ".join(f"'{f}'" for f in files)
    return (
        f"select {FILE_KEYS}, account_code, cost_centre, amount "
        f"from read_parquet([{listed}], filename=true)"
    )
