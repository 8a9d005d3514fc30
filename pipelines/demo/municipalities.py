"""The demo municipalities: real CBS codes, names, provinces and inhabitants, plus demo knobs."""

from __future__ import annotations

from dataclasses import dataclass, field

SMALL_MAX = 20_000
LARGE_MIN = 100_000


@dataclass(frozen=True)
class Municipality:
    """One demo municipality: CBS facts plus how its demo exports look."""

    code: str  # GM + 4 digits
    name: str  # as in the CBS list "gemeenten alfabetisch"
    statline_name: str  # as StatLine writes it, with "(gemeente)" where CBS adds it
    province_code: str  # 2 digits, e.g. "27"
    province_name: str
    inhabitants: dict[int, int] = field(hash=False)  # on 1 January of the year
    ict_eur_per_inhabitant: float  # demo ICT spend level in the first year of the table
    ict_growth: float  # demo yearly growth of that level
    chart_style: str  # account numbering, see ledgers.CHART_STYLES
    cost_centre_style: str  # cost centre codes, see ledgers.COST_CENTRE_STYLES
    csv_dialect: str  # ledger.csv dialect, see ledgers.CSV_DIALECTS
    ledger_format: str = "csv"  # key into the ledger writers of write_demo_data

    @property
    def cbs_number(self) -> str:
        return self.code[2:]

    @property
    def province_pv(self) -> str:
        return f"PV{self.province_code}"

    def inhabitants_on(self, year: int) -> int:
        try:
            return self.inhabitants[year]
        except KeyError:
            known = ", ".join(str(y) for y in sorted(self.inhabitants))
            raise ValueError(
                f"no inhabitants for {self.code} {self.name} on 1 January {year}; "
                f"the demo table has {known}"
            ) from None

    def size_class(self, year: int) -> str:
        inhabitants = self.inhabitants_on(year)
        if inhabitants < SMALL_MAX:
            return "small"
        return "large" if inhabitants > LARGE_MIN else "middle"


TABLE_YEARS = (2022, 2023, 2024)

PROVINCES = {
    "20": "Groningen",
    "21": "Fryslân",
    "22": "Drenthe",
    "23": "Overijssel",
    "24": "Flevoland",
    "25": "Gelderland",
    "26": "Utrecht",
    "27": "Noord-Holland",
    "28": "Zuid-Holland",
    "29": "Zeeland",
    "30": "Noord-Brabant",
    "31": "Limburg",
}

# CBS facts: codes, names and provinces as in CBS "gemeenten alfabetisch 2023" (checked by
# tests/test_reference_data.py). Inhabitants on 1 January: only the figures in INHABITANT_SOURCES
# were checked against a published source; the others were typed from memory and are marked
# unverified in data_raw/reference/README.md until someone checks them in CBS StatLine.
# fmt: off
_CBS_ROWS: tuple[tuple[str, str, str, str, int, int, int], ...] = (
    # code,    name,              StatLine name,          prov,  2022,    2023,    2024
    ("GM0363", "Amsterdam",       "Amsterdam",            "27", 882_633, 918_117, 934_927),
    ("GM0599", "Rotterdam",       "Rotterdam",            "28", 651_446, 664_311, 670_610),
    ("GM0344", "Utrecht",         "Utrecht (gemeente)",   "26", 361_924, 367_984, 374_238),
    ("GM0014", "Groningen",       "Groningen (gemeente)", "20", 234_950, 238_147, 241_542),
    ("GM0855", "Tilburg",         "Tilburg",              "30", 222_601, 224_702, 227_015),
    ("GM0034", "Almere",          "Almere",               "24", 218_096, 222_825, 226_500),
    ("GM0080", "Leeuwarden",      "Leeuwarden",           "21", 124_481, 125_592, 126_435),
    ("GM0193", "Zwolle",          "Zwolle",               "23", 130_592, 131_784, 133_141),
    ("GM0150", "Deventer",        "Deventer",             "23", 101_236, 101_912, 102_810),
    ("GM0074", "Heerenveen",      "Heerenveen",           "21",  51_431,  51_987,  52_458),
    ("GM0687", "Middelburg",      "Middelburg",           "29",  48_892,  49_385,  49_700),
    ("GM0358", "Aalsmeer",        "Aalsmeer",             "27",  32_828,  33_267,  33_866),
    ("GM0197", "Aalten",          "Aalten",               "25",  27_341,  27_500,  27_614),
    ("GM1680", "Aa en Hunze",     "Aa en Hunze",          "22",  25_654,  25_928,  26_123),
    ("GM0072", "Harlingen",       "Harlingen",            "21",  15_906,  16_084,  16_227),
    ("GM0339", "Renswoude",       "Renswoude",            "26",   5_450,   5_544,   5_631),
    ("GM0093", "Terschelling",    "Terschelling",         "21",   4_919,   4_971,   5_010),
    ("GM0060", "Ameland",         "Ameland",              "21",   3_804,   3_826,   3_860),
    ("GM0096", "Vlieland",        "Vlieland",             "21",   1_163,   1_179,   1_196),
    ("GM0088", "Schiermonnikoog", "Schiermonnikoog",      "21",     954,     950,     970),
)

# The inhabitant figures checked against a published source: (code, year) -> source, date taken.
INHABITANT_SOURCES: dict[tuple[str, int], tuple[str, str]] = {
    ("GM0363", 2023): (
        "CBS StatLine, bevolking op 1 januari (918,117), as quoted by the issue and by "
        "amsterdamsorteermachine.nl citing CBS 'Bevolkingsontwikkeling per regio' (22 March 2024)",
        "2026-12-02",
    ),
    ("GM0363", 2024): (
        "CBS StatLine, provisional figure 934,927, quoted by amsterdamsorteermachine.nl citing "
        "CBS 'Bevolkingsontwikkeling per regio' (22 March 2024): 918,117 + growth 16,810; AT5 "
        "(February 2024) reports 'around 935 thousand' from the same CBS figures",
        "2026-12-02",
    ),
}
UNVERIFIED = "unverified: typed from memory, not checked against CBS StatLine here"


def inhabitants_source(code: str, year: int) -> tuple[str, str]:
    """Where a demo inhabitant figure comes from, and when it was taken (or that it was not)."""
    return INHABITANT_SOURCES.get((code, year), (UNVERIFIED, ""))


# Demo choices: ICT euro per inhabitant in 2022 and its yearly growth (the real range is about
# 60-160), and how the municipality's exports look (see ledgers.py for the styles).
_DEMO_ROWS: tuple[tuple[str, int, float, str, str, str], ...] = (
    # code,   ICT, growth, chart,     cost centres, csv dialect
    ("GM0363", 132, 0.045, "long",    "text",     "bom_trailing_minus"),
    ("GM0599", 121, 0.040, "compact", "num4",     "cp1252_debet_credit"),
    ("GM0344", 117, 0.050, "long",    "prefixed", "utf8_leading_minus"),
    ("GM0014", 109, 0.035, "shifted", "num3",     "cp1252_trailing_minus"),
    ("GM0855",  98, 0.040, "compact", "num4",     "bom_debet_credit"),
    ("GM0034",  93, 0.050, "five",    "text",     "cp1252_leading_minus"),
    ("GM0080", 104, 0.030, "compact", "num3",     "bom_trailing_minus"),
    ("GM0193",  96, 0.040, "long",    "num4",     "cp1252_debet_credit"),
    ("GM0150",  88, 0.035, "shifted", "prefixed", "utf8_leading_minus"),
    ("GM0074",  84, 0.040, "compact", "num4",     "cp1252_trailing_minus"),
    ("GM0687",  91, 0.030, "five",    "num3",     "bom_debet_credit"),
    ("GM0358",  79, 0.045, "long",    "text",     "cp1252_leading_minus"),
    ("GM0197",  72, 0.035, "compact", "num4",     "cp1252_debet_credit"),
    ("GM1680",  76, 0.050, "shifted", "num3",     "bom_trailing_minus"),
    ("GM0072",  86, 0.030, "compact", "prefixed", "utf8_leading_minus"),
    ("GM0339",  68, 0.040, "five",    "num4",     "cp1252_trailing_minus"),
    ("GM0093", 118, 0.035, "long",    "num3",     "bom_debet_credit"),
    ("GM0060", 124, 0.040, "compact", "text",     "cp1252_debet_credit"),
    ("GM0096", 137, 0.030, "shifted", "num4",     "cp1252_leading_minus"),
    ("GM0088", 134, 0.045, "compact", "prefixed", "bom_trailing_minus"),
)
# fmt: on


def _build() -> tuple[Municipality, ...]:
    demo = {row[0]: row[1:] for row in _DEMO_ROWS}
    if set(demo) != {row[0] for row in _CBS_ROWS}:
        raise ValueError("the CBS and demo tables must list the same municipalities")
    municipalities = []
    for code, name, statline, province, *counts in _CBS_ROWS:
        ict, growth, chart, centres, dialect = demo[code]
        municipalities.append(
            Municipality(
                code=code,
                name=name,
                statline_name=statline,
                province_code=province,
                province_name=PROVINCES[province],
                inhabitants=dict(zip(TABLE_YEARS, counts, strict=True)),
                ict_eur_per_inhabitant=float(ict),
                ict_growth=growth,
                chart_style=chart,
                cost_centre_style=centres,
                csv_dialect=dialect,
            )
        )
    return tuple(municipalities)


MUNICIPALITIES: tuple[Municipality, ...] = _build()


def by_code(code: str) -> Municipality:
    """The demo municipality with this CBS code (`GM0363`)."""
    for municipality in MUNICIPALITIES:
        if municipality.code == code:
            return municipality
    raise KeyError(f"{code} is not a demo municipality")
