"""The report: pages render from the published mart, charts draw, and a browser shows them."""

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from pipelines.cli import status as status_command
from pipelines.contract import categories
from pipelines.report import labels, queries
from pipelines.report.numbers import money, number, percent
from pipelines.report.site import write_page, write_site
from pipelines.settings import Paths
from tests.conftest import FIXTURES, run_benchmark

CHROMIUM = Path("/usr/bin/chromium")
DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
# department labels of fct_training, not reasons
NOT_REASONS = {"(no department)", "(small departments combined)"}


@pytest.fixture(scope="module")
def published(tmp_path_factory, dbt_manifest) -> Path:
    root = tmp_path_factory.mktemp("report")
    data_raw = root / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    result = run_benchmark(data_raw, root / "warehouse")
    assert result.success
    return root / "warehouse" / "benchmark.duckdb"


@pytest.fixture(scope="module")
def page(published: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page") / "GM0363-2024.html"
    return write_page(published, "GM0363", 2024, out, "nl")


def test_dutch_and_english_numbers():
    assert money(1234.56, "nl", 2) == "€ 1.234,56"
    assert money(104, "nl") == "€ 104"
    assert money(1234.56, "en", 2) == "€1,234.56"
    assert number(241542, "nl") == "241.542"
    assert percent(0.125, "nl", 1) == "12,5%"
    assert money(None, "nl") == "–"


def test_charts_draw_with_titles_and_axis_labels(page: Path):
    html = page.read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(svgs) >= 3
    for svg in svgs:
        texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
        assert texts, "a chart without any text"
        assert re.search(r'<path[^>]* d="M', svg), "a chart without marks"
    all_text = " ".join(re.findall(r"<text[^>]*>([^<]+)</text>", html))
    for label in ("ICT-kosten per inwoner", "Kosten per categorie", "€ per inwoner", "Jaar"):
        assert label in all_text
    assert re.search(r"€\s?\d+", all_text), "euro axis labels"


def test_page_is_self_contained_and_dutch(page: Path):
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)
    assert "@import" not in html and "url(http" not in html
    assert '<html lang="nl">' in html
    for heading in ("Kosten per categorie", "Ontwikkeling door de jaren", "Datakwaliteit"):
        assert heading in html
    assert "@media print" in html and "break-before: page" in html
    assert "ledger.csv" in html, "the quality panel names the delivery"


def test_small_peer_groups_are_suppressed_with_a_reason(page: Path):
    html = page.read_text(encoding="utf-8")
    # two municipalities in the fixture: no peer median may be shown
    assert "Geen vergelijking" in html


def test_categories_and_their_labels_are_the_seeds(published: Path, page: Path):
    mart = queries.open_mart(published)
    row = queries.benchmark_row(mart, "GM0363", 2024)
    shown = [(r["category"], r["label_nl"], r["label_en"]) for r in queries.categories(mart, row)]
    mart.connection.close()
    seed = categories.categories()
    assert shown == [(c.code, c.label_nl, c.label_en) for c in seed]
    html = page.read_text(encoding="utf-8")
    assert all(c.label_nl in html for c in seed)


def test_english_page(published: Path, tmp_path: Path):
    html = write_page(published, "GM0363", None, tmp_path / "en.html", "en").read_text()
    assert '<html lang="en">' in html and "Cost by category" in html
    assert "no HR training records delivered for this year" in html


def sql_phrases() -> set[str]:
    """Every quoted phrase in the dbt SQL, with `{}` where a value is formatted in."""
    phrases = set()
    for path in [
        *(DBT_PROJECT / "models").rglob("*.sql"),
        *(DBT_PROJECT / "macros").rglob("*.sql"),
    ]:
        sql = re.sub(r"\{#.*?#\}|--[^\n]*", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        sql = re.sub(r"\{\{.*?\}\}", "{}", sql)
        sql = re.sub(r"'\s*\|\|\s*'", "", sql)  # 'a ' || 'b' is one text
        found = re.findall(r"'([^'\n]*)'", sql)
        phrases |= {text for text in found if re.search(r"[A-Za-z]+ [A-Za-z]+", text)}
    return phrases - NOT_REASONS


def test_every_reason_the_dbt_models_write_has_a_dutch_text():
    phrases = sql_phrases()
    assert "the HR records give no FTE" in phrases
    assert "no CBS price index for the base year {}" in phrases
    assert phrases <= set(labels.REASONS), sorted(phrases - set(labels.REASONS))
    for phrase in phrases:
        sample = phrase.replace("{}", "7")
        assert labels.reason(sample, "nl") != sample, phrase


def test_reasons_are_translated_with_their_values_and_unknown_ones_kept():
    assert (
        labels.reason(
            "12.5% of the spend in ICT cost centres is unclassified (more than 5.0%)", "nl"
        )
        == "12,5% van de uitgaven op ICT-kostenplaatsen is niet geclassificeerd (meer dan 5,0%)"
    )
    assert (
        labels.reason(
            "2 of 3 municipalities within the current boundaries delivered an asset register", "nl"
        )
        == "2 van de 3 gemeenten binnen de huidige grenzen leverden een hardwareregister"
    )
    assert labels.reason(
        "GM0001: ledger partially accepted: 3 rows quarantined; "
        "GM0002: HR training records partially accepted: 1 rows quarantined",
        "nl",
    ) == (
        "GM0001: grootboek deels geaccepteerd: 3 regels in quarantaine; "
        "GM0002: HR-opleidingsgegevens deels geaccepteerd: 1 regels in quarantaine"
    )
    assert labels.reason("no CBS price index for the base year 2024", "nl") == (
        "geen CBS-prijsindex voor het basisjaar 2024"
    )
    assert labels.reason("a reason nobody wrote down", "nl") == "a reason nobody wrote down"
    assert labels.reason("the HR records give no FTE", "en") == "the HR records give no FTE"
    assert labels.reason(None, "nl") == ""


def test_dutch_page_gives_the_reasons_in_dutch(page: Path):
    html = page.read_text(encoding="utf-8")
    assert "Geen vergelijking: minder dan 5 gemeenten met een volledig cijfer (n = 2)" in html
    assert "geen HR-opleidingsgegevens geleverd voor dit jaar" in html
    assert "geen CBS-prijsindex voor 2024" in html
    assert "fewer than" not in html and "for this year" not in html


def test_fallback_peer_statistics_without_peer_tables(tmp_path: Path):
    path = tmp_path / "mart.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table ict_benchmark as select 'GM' || lpad(i::varchar, 4, '0') as "
            "municipality_code, 2024 as fiscal_year, '<60k' as size_band, "
            "(100 + 10 * i)::double as ict_cost_per_inhabitant from range(1, 7) t(i)"
        )
    mart = queries.open_mart(path)
    stats = queries.peer_statistics(mart, "ict_cost_per_inhabitant", 2024, "<60k")
    assert (stats["n"], stats["median"], stats["p25"], stats["p75"]) == (6, 135, 122.5, 147.5)
    assert stats["source"] == "fallback" and not stats["is_suppressed"]
    mart.connection.close()
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from ict_benchmark where municipality_code > 'GM0004'")
    mart = queries.open_mart(path)
    stats = queries.peer_statistics(mart, "ict_cost_per_inhabitant", 2024, "<60k")
    assert stats["is_suppressed"] and stats["median"] is None and stats["n"] == 4


def test_site_has_an_index_linking_every_page(published: Path, tmp_path: Path):
    written = write_site(published, tmp_path / "site", "nl")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert len(written) == 3
    for path in written[1:]:
        assert f'href="{path.name}"' in index
        assert path.exists()


def test_status_counts_deliveries(published: Path):
    console = Console(record=True, width=200)
    paths = Paths(published.parents[1] / "data_raw", published.parent)
    counts = status_command.status(paths, None, console)
    assert counts.get("accepted", 0) >= 2
    output = console.export_text()
    assert "Deliveries" in output and "Published" in output
    assert f"Data Docs: {published.parent / 'docs' / 'index.html'}" in output


def test_the_data_quality_table_links_each_delivery_to_its_data_docs_page(page: Path):
    html = page.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*/deliveries/GM0363_2024_ledger\.html)"', html)
    assert links
    assert (page.parent / links[0]).resolve().exists()


def _png_pixel_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    return zlib.decompress(idat)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")
def test_a_browser_shows_a_non_blank_page(page: Path, tmp_path: Path):
    screenshot = tmp_path / "page.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            f"--screenshot={screenshot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pixels = _png_pixel_bytes(screenshot)
    # a blank page filters to long runs of zeros; a drawn one has varied bytes throughout
    assert len(set(pixels)) > 64
    assert sum(1 for byte in pixels if byte) > len(pixels) // 50


def test_a_ledger_without_lines_in_some_months_is_flagged(published: Path, page: Path):
    """The hand-computed GM0363 ledger has lines from March to August only: it is accepted, and
    load_quality and the page say which months have none."""
    with duckdb.connect(str(published), read_only=True) as connection:
        flags = connection.execute(
            "select status, months_without_lines, missing_months, rows_dated_after_check "
            "from load_quality where delivery_key = 'GM0363_2024_ledger'"
        ).fetchone()
    assert flags == ("accepted", 6, "1, 2, 9, 10, 11, 12", 0)
    html = page.read_text(encoding="utf-8")
    assert "Geen boekingsregels in 6 maand(en): jan, feb, sep, okt, nov, dec." in html
    assert "gedateerd na de dag van controle" not in html


def test_lines_dated_after_the_check_are_flagged_on_the_page(published: Path, tmp_path: Path):
    mart = tmp_path / "benchmark.duckdb"
    shutil.copy(published, mart)
    with duckdb.connect(str(mart)) as connection:
        connection.execute(
            "update load_quality set rows_dated_after_check = 1234 "
            "where delivery_key = 'GM0363_2024_ledger'"
        )
    html = write_page(mart, "GM0363", 2024, tmp_path / "page.html", "en").read_text("utf-8")
    assert (
        "1,234 line(s) dated after the day the file was checked: check the booking dates." in html
    )
    assert "No ledger lines in 6 month(s): Jan, Feb, Sep, Oct, Nov, Dec." in html


def test_year_charts_draw_a_line_per_series_and_dash_the_peer_median():
    from pipelines.report import charts

    years = [
        {"fiscal_year": 2023, "nominal": 100.0, "real": 95.0, "peer_median": None},
        {"fiscal_year": 2024, "nominal": 110.0, "real": 101.0, "peer_median": 90.0},
    ]
    spec = charts.trend(years, "en")
    assert len(spec["data"]["values"]) == 5  # the missing peer median of 2023 is no point
    dashes = spec["encoding"]["strokeDash"]["scale"]
    assert dict(zip(dashes["domain"], dashes["range"], strict=True))[
        labels.text("peer_median", "en")
    ] == [4, 3]
    assert spec["encoding"]["y"]["axis"]["title"] == labels.text("euro_per_inhabitant", "en")

    # no peer median in any year: no legend entry for it
    people = charts.people_trend([{"fiscal_year": 2024, "own": 0.8, "peer_median": None}], "en")
    colour = people["encoding"]["color"]["scale"]
    assert colour["domain"] == [labels.text("own_value", "en")]
    assert colour["range"] == [charts.OWN]
    assert people["encoding"]["y"]["title"] == labels.text("people_ratio_axis", "en")
