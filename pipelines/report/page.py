"""Everything one municipality-year page shows: figures, charts and quality notes."""

from __future__ import annotations

from typing import Any

from pipelines.report import charts, portfolio, queries
from pipelines.report.labels import text
from pipelines.report.queries import Mart


def _people_rows(categories: list[dict]) -> list[dict]:
    """The categories on either side of people versus technology: the seed's category_group."""
    sides = {"people": "people_side", "technology": "technology_side"}
    return [
        c | {"side": sides[c["category_group"]]} for c in categories if c["category_group"] in sides
    ]


def _suppression_note(peers: dict, lang: str) -> str | None:
    if not peers.get("is_suppressed"):
        return None
    return peers.get("suppression_reason") or text(
        "suppression_reason", lang, minimum=queries.MIN_PEERS, n=peers["n"]
    )


def build_page(mart: Mart, code: str, year: int, lang: str) -> dict[str, Any]:
    row = queries.benchmark_row(mart, code, year)
    head = queries.headline(mart, row)
    categories = queries.categories(mart, row)
    boundaries, years = queries.trend(mart, row)
    ages = queries.hardware_ages(mart, code, year)
    forecast = queries.replacement_forecast(mart, code, year)
    people = _people_rows(categories)
    people_years = [y for y in queries.people_trend(mart, row) if y["own"] is not None]
    chart = {
        "headline": charts.render(charts.headline(head["value"], head["peers"], lang), lang),
        "categories": charts.render(charts.categories(categories, lang), lang)
        if categories
        else None,
        "trend": charts.render(charts.trend(years, lang), lang) if years else None,
        "ages": charts.render(charts.hardware_ages(ages, lang), lang) if ages else None,
        "replacement": charts.render(charts.replacement(forecast, lang), lang)
        if forecast
        else None,
        "people": charts.render(charts.people_technology(people, lang), lang) if people else None,
        "people_trend": charts.render(charts.people_trend(people_years, lang), lang)
        if len(people_years) > 1
        else None,
    }
    return {
        "lang": lang,
        "row": row,
        "headline": head,
        "suppression_note": _suppression_note(head["peers"], lang),
        "peer_source": head["peers"].get("source"),
        "min_peers": queries.MIN_PEERS,
        "categories": categories,
        "boundaries": boundaries,
        "years": years,
        "has_real": any(y.get("real") is not None for y in years),
        "side_kpis": queries.side_kpis(mart, row),
        "deliveries": queries.deliveries(mart, code, year),
        "suppressed": queries.suppressed(mart, row),
        "missing": queries.missing_reasons(row),
        "charts": chart,
        "portfolio": portfolio.section(mart, row, lang),
    }
