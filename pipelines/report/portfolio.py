"""The section "Regie en applicatielandschap": one municipality-year's application landscape and
regie against its peers, and the sentence that answers the article's question from them."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.report import charts, labels, numbers
from pipelines.report.labels import text
from pipelines.report.queries import Mart, Row

# Each figure of the section in display order, with how it is written: share (percent), euro,
# count (whole number) or number (two decimals).
FIGURES = (
    ("applications_in_use", "count"),
    ("applications_per_10k_inhabitants", "number"),
    ("applications_per_100_fte", "number"),
    ("saas_share_of_applications", "share"),
    ("saas_share_of_licence_cost", "share"),
    ("licence_cost_per_application", "euro"),
    ("licence_cost_per_user", "euro"),
    ("overlapping_components", "count"),
    ("applications_phasing_out", "count"),
    ("contracts_ended", "count"),
    ("top5_supplier_share", "share"),
    ("licence_register_to_ledger_ratio", "number"),
    ("regie_fte_per_1000_inhabitants", "number"),
    ("ict_operations_fte_per_1000_inhabitants", "number"),
    ("regie_to_operations_ratio", "number"),
)
REGIE = ("regie_fte_per_1000_inhabitants", "ict_operations_fte_per_1000_inhabitants")
# Within this much of the peer median (as a share) a figure is "in line with its peers".
IN_LINE = 0.10


@dataclass(frozen=True)
class Figure:
    kpi: str
    style: str
    value: float | None
    median: float | None
    group: str | None  # the band, or "NL" when the band is too small to compare
    quality: str | None
    quality_reason: str | None

    @property
    def index(self) -> float | None:
        if self.value is None or not self.median:
            return None
        return 100 * float(self.value) / float(self.median)

    @property
    def position(self) -> str | None:
        """above, below or in_line with the peer median; None without a comparison."""
        index = self.index
        if index is None:
            return None
        if index > 100 * (1 + IN_LINE):
            return "above"
        if index < 100 * (1 - IN_LINE):
            return "below"
        return "in_line"


def portfolio_row(mart: Mart, code: str, year: int) -> Row | None:
    if not mart.has("portfolio_benchmark"):
        return None
    rows = mart.rows(
        "select * from portfolio_benchmark where municipality_code = ? and fiscal_year = ?",
        [code, year],
    )
    return rows[0] if rows else None


def _national_median(mart: Mart, kpi: str, year: int) -> float | None:
    rows = mart.rows(
        "select median from peer_benchmark where boundaries = 'as_reported' and fiscal_year = ? "
        "and peer_group_type = 'national' and kpi = ?",
        [year, kpi],
    )
    return rows[0]["median"] if rows else None


def figure(mart: Mart, row: Row, kpi: str, style: str = "number") -> Figure:
    """The figure with the band's median; the national one when the band is suppressed."""
    median, group = row.get(f"{kpi}_peer_median"), row.get("size_band")
    if median is None and mart.has("peer_benchmark"):
        median, group = _national_median(mart, kpi, row["fiscal_year"]), "NL"
    return Figure(
        kpi=kpi,
        style=style,
        value=row.get(kpi),
        median=median,
        group=group if median is not None else None,
        quality=row.get(f"{kpi}_quality"),
        quality_reason=row.get(f"{kpi}_quality_reason"),
    )


def applications_per_domain(mart: Mart, code: str, year: int) -> list[Row]:
    """Applications in use per GEMMA domain; one without a known component under domain None."""
    return mart.rows(
        "select nullif(domain, '') as domain, count(*) as applications from ("
        "  select unnest(coalesce(nullif(string_split(gemma_domains, '; '), ['']), [null])) "
        "  as domain from fct_application "
        "  where municipality_code = ? and fiscal_year = ? and is_in_use"
        ") group by all order by applications desc, domain",
        [code, year],
    )


def overlap_candidates(mart: Mart, code: str, year: int) -> list[Row]:
    return mart.rows(
        "select component_name, gemma_domain, applications_in_use, application_names, "
        "licence_cost from application_overlap where municipality_code = ? and fiscal_year = ? "
        "order by applications_in_use desc, licence_cost desc nulls last, component_name",
        [code, year],
    )


@dataclass(frozen=True)
class Verdict:
    """The article's question answered: people (and regie), technology, balanced or mixed; or
    unknown with the figures that are missing."""

    answer: str
    regie: Figure
    people_vs_technology: Figure
    applications: Figure


def verdict(mart: Mart, portfolio: Row, benchmark: Row) -> Verdict:
    """People and regie against technology, from two comparisons with the peers: FTE that direct
    ICT per 1,000 inhabitants, and the money for people against the money for technology."""
    regie = figure(mart, portfolio, "regie_fte_per_1000_inhabitants")
    people = figure(mart, benchmark, "people_vs_technology_ratio")
    applications = figure(mart, portfolio, "applications_per_10k_inhabitants")
    return Verdict(answer(regie, people), regie, people, applications)


def answer(regie: Figure, people: Figure) -> str:
    """people when one comparison is above the peers and neither below; technology the other
    way round; balanced when both are in line; mixed when they disagree; unknown without both."""
    positions = {regie.position, people.position}
    if None in positions:
        return "unknown"  # one comparison alone does not answer the question
    if positions <= {"above", "in_line"} and "above" in positions:
        return "people"
    if positions <= {"below", "in_line"} and "below" in positions:
        return "technology"
    if positions == {"in_line"}:
        return "balanced"
    return "mixed"


def _formatted(value: float | None, style: str, lang: str) -> str:
    if style == "share":
        return numbers.percent(value, lang)
    if style == "euro":
        return numbers.money(value, lang)
    if style == "count":
        return numbers.number(value, lang)
    return numbers.number(value, lang, 2)


def _basis(figure: Figure, key: str, lang: str) -> str:
    if figure.value is None:
        label = labels.kpi_label(figure.kpi, lang)
        what = label[0].lower() + label[1:]
        return text(
            "basis_missing", lang, what=what, reason=labels.reason(figure.quality_reason, lang)
        )
    median = (
        _formatted(figure.median, figure.style, lang)
        if figure.median is not None
        else text("no_comparison", lang)
    )
    return text(key, lang, value=_formatted(figure.value, figure.style, lang), median=median)


def verdict_sentence(found: Verdict, name: str, lang: str) -> str:
    basis = [
        _basis(found.regie, "basis_regie", lang),
        _basis(found.people_vs_technology, "basis_people", lang),
    ]
    if found.applications.value is not None:
        basis.append(_basis(found.applications, "basis_applications", lang))
    return text(f"verdict_{found.answer}", lang, name=name, basis="; ".join(basis))


def _reconciliation(row: Row, lang: str) -> str | None:
    state = row.get("licence_reconciliation")
    if state is None:
        return None
    share = numbers.percent(row["licence_reconciliation_tolerance"], lang)
    return text(
        "reconciliation",
        lang,
        register=numbers.money(row["licence_cost_in_use"], lang),
        ledger=numbers.money(row["ledger_software_cost"], lang),
        verdict=text(state, lang, tolerance=share)
        if state != "not_comparable"
        else text(state, lang),
    )


def section(mart: Mart, benchmark: Row, lang: str) -> dict | None:
    """Everything the section shows; None when the mart predates the application portfolio."""
    code, year = benchmark["municipality_code"], benchmark["fiscal_year"]
    row = portfolio_row(mart, code, year)
    if row is None:
        return None
    name = benchmark.get("municipality_name") or code
    found = verdict(mart, row, benchmark)
    figures = [figure(mart, row, kpi, style) if kpi in row else None for kpi, style in FIGURES]
    shown = [
        {
            "kpi": f.kpi,
            "value": _formatted(f.value, f.style, lang) if f.value is not None else None,
            "median": _formatted(f.median, f.style, lang) if f.median is not None else None,
            "group": f.group,
            "index": f.index,
            "reason": labels.reason(f.quality_reason, lang) if f.value is None else None,
        }
        for f in figures
        if f is not None
    ]
    domains = applications_per_domain(mart, code, year) if row["has_applications"] else []
    return {
        "row": row,
        "verdict": verdict_sentence(found, name, lang),
        "answer": found.answer,
        "figures": shown,
        "domains": domains,
        "domains_chart": charts.render(charts.applications_per_domain(domains, lang), lang)
        if domains
        else None,
        "overlaps": overlap_candidates(mart, code, year) if row["has_applications"] else [],
        "reconciliation": _reconciliation(row, lang),
        "missing": labels.reason(row.get("portfolio_missing_reason"), lang),
    }
