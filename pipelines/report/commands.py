"""What `ictbench report` does; the command line only wraps it in a typer command."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from pipelines.report.labels import LANGUAGES
from pipelines.report.site import write_page, write_site


class ReportError(Exception):
    """A report cannot be made (no mart, unknown municipality, bad option)."""


def report(
    published_db: Path,
    code: str | None,
    year: int | None,
    out: Path | None,
    out_dir: Path | None,
    lang: str,
    console: Console,
) -> list[Path]:
    """One page (with a municipality code) or the whole site (without one)."""
    if lang not in LANGUAGES:
        raise ReportError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if not published_db.exists():
        raise ReportError(f"No published mart at {published_db}: run `ictbench run` first.")
    try:
        if code:
            code = code.upper()
            target = out or (out_dir or Path.cwd()) / f"{code}-{year or 'latest'}.html"
            written = [write_page(published_db, code, year, target, lang)]
        else:
            if out is not None:
                raise ReportError("-o writes one page: give a municipality code, or use --out.")
            target_dir = out_dir or published_db.parent / "report"
            with console.status(f"Writing the report site to {target_dir}"):
                written = write_site(published_db, target_dir, lang)
    except LookupError as error:
        raise ReportError(str(error.args[0])) from error
    console.print(f"Wrote {written[0]}" + (f" and {len(written) - 1} pages" if not code else ""))
    return written
