"""Write report pages: one municipality-year, or the whole static site (index + every page)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from pipelines.report import html, queries
from pipelines.report.page import build_page
from pipelines.report.queries import Mart
from pipelines.storage.litter import owned_prefix


def page_name(code: str, year: int) -> str:
    return f"{code}-{year}.html"


def _stamp(published_db: Path) -> dict[str, str]:
    modified = dt.datetime.fromtimestamp(published_db.stat().st_mtime)
    return {"generated": modified.strftime("%d-%m-%Y %H:%M"), "source": published_db.name}


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(owned_prefix(f".{path.name}") + "tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)


def data_docs_href(published_db: Path, out_dir: Path) -> str | None:
    """The warehouse's Data Docs as seen from a page in out_dir, when they exist: the data-quality
    table links each delivery to its page there."""
    docs = published_db.parent / "docs"
    if not (docs / "index.html").exists():
        return None
    return Path(os.path.relpath(docs, out_dir.resolve())).as_posix()


def render_page(
    mart: Mart,
    published_db: Path,
    code: str,
    year: int,
    lang: str,
    links: dict | None = None,
    data_docs: str | None = None,
) -> str:
    context = build_page(mart, code, year, lang) | _stamp(published_db)
    context |= {"links": links, "data_docs": data_docs}
    return html.render("page.html.j2", context)


def write_page(published_db: Path, code: str, year: int | None, out: Path, lang: str) -> Path:
    """One page; without a year, the municipality's latest."""
    mart = queries.open_mart(published_db)
    try:
        if year is None:
            years = [
                r["fiscal_year"]
                for r in queries.municipality_years(mart)
                if r["municipality_code"] == code
            ]
            if not years:
                raise LookupError(f"{code} is not in the published mart")
            year = max(years)
        docs = data_docs_href(published_db, out.parent)
        _write(out, render_page(mart, published_db, code, year, lang, data_docs=docs))
    finally:
        mart.connection.close()
    return out


def write_site(published_db: Path, out_dir: Path, lang: str) -> list[Path]:
    """index.html plus one page per municipality-year; returns the files written."""
    mart = queries.open_mart(published_db)
    try:
        rows = queries.municipality_years(mart)
        by_code: dict[str, dict] = {}
        for r in rows:
            entry = by_code.setdefault(
                r["municipality_code"],
                {
                    "code": r["municipality_code"],
                    "name": r["municipality_name"] or r["municipality_code"],
                    "province": r["province_name"],
                    "size_band": r["size_band"],
                    "years": {},
                },
            )
            entry["years"][r["fiscal_year"]] = {
                "href": page_name(r["municipality_code"], r["fiscal_year"]),
                "value": r["ict_cost_per_inhabitant"],
            }
        written = []
        docs = data_docs_href(published_db, out_dir)
        for entry in by_code.values():
            for year in entry["years"]:
                links = {
                    "index": "index.html",
                    "years": [(y, v["href"]) for y, v in entry["years"].items() if y != year],
                }
                path = out_dir / page_name(entry["code"], year)
                page = render_page(mart, published_db, entry["code"], year, lang, links, docs)
                _write(path, page)
                written.append(path)
        index = html.render(
            "index.html.j2",
            {
                "lang": lang,
                "municipalities": list(by_code.values()),
                "years": sorted({r["fiscal_year"] for r in rows}),
            }
            | _stamp(published_db),
        )
        _write(out_dir / "index.html", index)
    finally:
        mart.connection.close()
    return [out_dir / "index.html", *written]
