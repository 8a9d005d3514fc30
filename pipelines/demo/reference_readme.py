"""data_raw/reference/README.md: where every reference figure comes from, and when it was taken."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipelines.demo.municipalities import Municipality, inhabitants_source

TAKEN = "2026-12-02"
# The hand-kept CPI file (prijsindex.csv, not generated): what was found for each year.
CPI_SOURCES: dict[int, str] = {
    2014: "derived: 2015 = 100 over the published change 0.6 %; the level itself not seen here",
    2015: "reference year (2015 = 100); change 0.6 % published in CBS 83131NED",
    2016: "level consistent with CBS 71905NED (1900 = 100) and the published change 0.3 % "
    "(83131NED); the 83131NED level itself not seen here",
    2017: "as 2016; published change 1.4 % (83131NED)",
    2018: "as 2016; published change 1.7 % (83131NED)",
    2019: "as 2016; published change 2.6 % (83131NED)",
    2020: "unverified level, chosen within the rounding of the published changes 1.3 % (2020) "
    "and 2.7 % (2021) (teltel.nl citing CBS)",
    2021: "unverified level: 2022 / 1.100 (published change 10.0 % in 2022)",
    2022: "published: CBS 83136NED, Consumentenprijsindex 2015=100, year 2022 = 121.43",
    2023: "unverified level: 2022 x 1.038 (published change 3.8 %, teltel.nl citing CBS)",
    2024: "unverified level: 2023 x 1.033 (published change 3.3 %, teltel.nl citing CBS)",
}


def write_reference_readme(
    path: Path, municipalities: Sequence[Municipality], years: Sequence[int]
) -> None:
    rows = [
        f"| {m.code} | {m.name} | {year} | {m.inhabitants_on(year):,} | {source} | {taken} |"
        for m in sorted(municipalities, key=lambda m: m.code)
        for year in years
        for source, taken in [inhabitants_source(m.code, year)]
    ]
    cpi = [f"| {year} | {status} |" for year, status in sorted(CPI_SOURCES.items())]
    Path(path).write_text(
        "\n".join(
            [
                "# Reference data: sources",
                "",
                "Written by `make demo-data` (pipelines/demo/reference_readme.py) beside the files it",
                "describes; prijsindex.csv is kept by hand. A figure that could not be checked",
                "against its published source is marked unverified, never passed off as CBS's.",
                "",
                "## gemeenten.csv",
                "",
                'CBS "gemeenten alfabetisch 2023": codes, names and provinces of the demo',
                "municipalities, checked against ../shared/reference/gemeenten/",
                f"gemeenten-alfabetisch-2023.csv by tests/test_reference_data.py (taken {TAKEN}).",
                "",
                "## bevolking.csv",
                "",
                "Inhabitants on 1 January (CBS StatLine, Bevolking op 1 januari).",
                "",
                "| code | municipality | year | inhabitants | source | taken |",
                "|---|---|---|---|---|---|",
                *rows,
                "",
                "## prijsindex.csv",
                "",
                "CBS consumer price index, all items, 2015 = 100 (StatLine 83131NED), yearly averages,",
                f"with the published yearly change beside each level (taken {TAKEN}). Every level",
                "is consistent with the published yearly changes (tests/test_reference_data.py).",
                "",
                "| year | source of the level |",
                "|---|---|",
                *cpi,
                "",
                "### Which deflator, and why",
                "",
                "Real-terms figures (`<kpi>_real`) deflate with this household CPI. Municipal",
                "budgets are usually deflated with the price of government consumption (the",
                "*prijs overheidsconsumptie* of CBS's national accounts, which the CPB uses for the",
                "gemeentefonds): ICT cost is mostly wages and bought services, whose prices follow",
                "that index more closely than households' shopping. Its published series could not",
                "be found with the search available here, so it is not shipped; a drop zone may",
                "replace prijsindex.csv by it (the same StatLine layout, with an index column",
                "named like `Prijsindex overheidsconsumptie (2015=100)`), and the mart's",
                "real-terms columns then use it.",
                "",
            ]
        ),
        encoding="utf-8",
    )
