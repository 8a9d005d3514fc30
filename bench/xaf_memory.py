"""Throughput and peak memory of the XAF reader on a large synthetic ledger.

Run from the repository root: `.venv/bin/python -m bench.xaf_memory --lines 1000000`.
Writes the auditfile with the demo writer to a temporary folder, reads it back with read_xaf and
prints lines per second and the peak RSS of the process (target: under 500 MB for 1M lines).
Lines per CPU second are printed too: on a shared machine they vary less than the wall clock.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pipelines.contract.delivery import delivery_from_path
from pipelines.demo.xaf_writer import XafLine, XafTransaction, write_xaf
from pipelines.readers.xaf import read_xaf

FISCAL_YEAR = 2024
ACCOUNTS = [
    ("1600", "Crediteuren", "B"),
    ("4300", "Licenties software", "P"),
    ("4310", "SaaS-abonnementen", "P"),
    ("4320", "Laptops en desktops", "P"),
    ("4350", "Uitbesteed ICT-beheer", "P"),
    ("4400", "Huisvesting en energie", "P"),
]
COST_CENTRES = ("7100", "7200", "3100", None)


def transactions(lines: int) -> Iterator[XafTransaction]:
    """Balanced purchase bookings of two lines each: a cost line against creditors (1600)."""
    costs = [account for account, _, kind in ACCOUNTS if kind == "P"]
    first_day = date(FISCAL_YEAR, 1, 1)
    for number in range(lines // 2):
        amount = Decimal(number % 99_991 + 1) / 100 * 7
        account = costs[number % len(costs)]
        yield XafTransaction(
            journal=("INK", "MEM", "BNK")[number % 3],
            nr=f"{FISCAL_YEAR}-{number:07d}",
            date=first_day + timedelta(days=number % 366),
            description=f"Factuur {number}",
            lines=(
                XafLine(account, amount, COST_CENTRES[number % 4], f"Kosten {account}"),
                XafLine("1600", -amount, None, "Crediteuren"),
            ),
        )


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def main(lines: int = 1_000_000, workdir: Path | None = None) -> dict[str, float]:
    """Write and read a `lines`-line auditfile; return and print the figures."""
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        path = Path(folder) / "GM0363" / str(FISCAL_YEAR) / "ledger.xaf"
        started = time.perf_counter()
        write_xaf(
            path,
            header={"fiscal_year": FISCAL_YEAR, "company_name": "Gemeente Benchmark"},
            accounts=ACCOUNTS,
            transactions=transactions(lines),
        )
        written = time.perf_counter()
        size_mb = path.stat().st_size / 1e6
        rss_before_read = peak_rss_mb()
        cpu_started = time.process_time()
        parsed = read_xaf(delivery_from_path(path))
        read = time.perf_counter()
        read_cpu = time.process_time() - cpu_started
    figures = {
        "lines": parsed.rows.num_rows,
        "file_mb": size_mb,
        "write_s": written - started,
        "read_s": read - written,
        "read_lines_per_s": parsed.rows.num_rows / max(read - written, 1e-9),
        "read_cpu_s": read_cpu,
        "read_lines_per_cpu_s": parsed.rows.num_rows / max(read_cpu, 1e-9),
        "peak_rss_mb_after_write": rss_before_read,
        "peak_rss_mb": peak_rss_mb(),
        "arrow_mb": (parsed.rows.nbytes + parsed.raw.nbytes) / 1e6,
    }
    print(
        f"{figures['lines']:,} lines, {size_mb:,.0f} MB XAF: "
        f"written in {figures['write_s']:.1f} s, "
        f"read in {figures['read_s']:.1f} s ({figures['read_lines_per_s']:,.0f} lines/s; "
        f"{read_cpu:.1f} CPU s, {figures['read_lines_per_cpu_s']:,.0f} lines per CPU s); "
        f"peak RSS {figures['peak_rss_mb']:,.0f} MB (after writing: "
        f"{rss_before_read:,.0f} MB); Arrow tables {figures['arrow_mb']:,.0f} MB"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None, help="where the temp file goes")
    arguments = parser.parse_args()
    main(arguments.lines, arguments.workdir)
