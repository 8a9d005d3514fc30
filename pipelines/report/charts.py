"""Vega-Lite specs for the report's charts, rendered offline to inline SVG by vl-convert."""

from __future__ import annotations

import itertools
import re
from typing import Any

import vl_convert

from pipelines.report.labels import ASSET_CLASSES, text, vocabulary

Spec = dict[str, Any]

# metric-compatible everywhere (Arial on Windows and macOS, Liberation Sans on Linux, and in
# vl-convert's own layout), so labels measured at render time fit in the browser too
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
OWN = "#1f4e79"
PEER = "#5f6b76"
BAND = "#d9e3ee"
REAL = "#7fa7cf"
PALETTE = [
    "#1f4e79",
    "#4f81b3",
    "#8fb3d9",
    "#c9a227",
    "#7a9e7e",
    "#b5651d",
    "#8c6d9e",
    "#a3a3a3",
    "#5b8c85",
    "#d08c60",
]
WIDTH = 800

LOCALES = {
    "nl": "nl-NL",
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["€", ""]},
}
CONFIG = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {
        "labelColor": "#333",
        "titleColor": "#333",
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "gridColor": "#e8e8e8",
        "domainColor": "#888",
        "tickColor": "#888",
    },
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal"},
    "title": {"anchor": "start", "fontSize": 13, "fontWeight": 600, "color": "#1b2a3a"},
}
_counter = itertools.count(1)


def render(spec: Spec, lang: str) -> str:
    """The chart as an SVG element, its ids made unique so several can share one page."""
    svg = vl_convert.vegalite_to_svg(
        {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "config": CONFIG, **spec},
        format_locale=LOCALES[lang],
    )
    prefix = f"c{next(_counter)}-"
    svg = re.sub(r'id="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", svg)
    return svg[svg.index("<svg") :]


def _euro_axis(title: str) -> Spec:
    return {"title": title, "format": "$,.0f", "tickCount": 8}


def headline(value: float | None, peers: dict, lang: str) -> Spec:
    """The municipality's figure as a dot on the band's p25-p75 range, with the median."""
    own = text("this_municipality", lang)
    layers: list[Spec] = []
    if peers.get("median") is not None:
        layers += [
            {
                "data": {"values": [{"p25": peers["p25"], "p75": peers["p75"], "y": own}]},
                "mark": {"type": "bar", "color": BAND, "height": 28},
                "encoding": {"x": {"field": "p25", "type": "quantitative"}, "x2": {"field": "p75"}},
            },
            {
                "data": {"values": [{"median": peers["median"]}]},
                "mark": {"type": "rule", "color": PEER, "strokeWidth": 2, "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "median", "type": "quantitative"}},
            },
        ]
    if value is not None:
        layers.append(
            {
                "data": {"values": [{"value": float(value)}]},
                "mark": {"type": "point", "filled": True, "size": 220, "color": OWN, "opacity": 1},
                "encoding": {"x": {"field": "value", "type": "quantitative"}},
            }
        )
    points = [v for v in (value, peers.get("p25"), peers.get("p75")) if v is not None]
    top = max(float(v) for v in points) * 1.15 if points else 1
    return {
        "title": text("headline", lang),
        "width": WIDTH,
        "height": 44,
        "layer": layers,
        "encoding": {
            "x": {
                "type": "quantitative",
                "scale": {"domain": [0, top], "nice": True},
                "axis": _euro_axis(text("euro_per_inhabitant", lang)),
            }
        },
    }


def categories(rows: list[dict], lang: str) -> Spec:
    label = f"label_{lang}"
    order = [r[label] for r in rows]
    values = [
        {
            "category": r[label],
            "value": float(r["cost_per_inhabitant"] or 0),
            "median": None if r["peer_median"] is None else float(r["peer_median"]),
        }
        for r in rows
    ]
    y = {
        "field": "category",
        "type": "nominal",
        "sort": order,
        "title": None,
        "axis": {"labelLimit": 320},
    }
    x_title = text("euro_per_inhabitant", lang)
    return {
        "title": text("categories", lang),
        "width": WIDTH - 290,
        "data": {"values": values},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "bar", "color": OWN, "height": {"band": 0.6}},
                "encoding": {
                    "x": {"field": "value", "type": "quantitative", "axis": _euro_axis(x_title)},
                    "tooltip": [{"field": "value", "format": "$,.2f"}],
                },
            },
            {
                "mark": {"type": "tick", "color": "#c9a227", "thickness": 3, "size": 18},
                "encoding": {"x": {"field": "median", "type": "quantitative"}},
            },
        ],
    }


def trend(years: list[dict], lang: str) -> Spec:
    """ICT cost per inhabitant by year, nominal and in real terms, against the peer median."""
    return _year_lines(
        years,
        {"nominal": OWN, "real": REAL, "peer_median": PEER},
        title=text("trend", lang),
        y_axis={"axis": _euro_axis(text("euro_per_inhabitant", lang))},
        height=220,
        lang=lang,
    )


def people_trend(years: list[dict], lang: str) -> Spec:
    """The people-versus-technology ratio by year against the peer median."""
    return _year_lines(
        years,
        {"own": OWN, "peer_median": PEER},
        title=text("people_trend", lang),
        y_axis={"title": text("people_ratio_axis", lang)},
        height=200,
        lang=lang,
    )


def _year_lines(
    years: list[dict], colours: dict[str, str], *, title: str, y_axis: Spec, height: int, lang: str
) -> Spec:
    """One line per series (a key of each year's dict, coloured by `colours`); the peer median
    dashed. Series without a value in any year are left out of the legend."""
    names = {key: text("own_value" if key == "own" else key, lang) for key in colours}
    values = [
        {"year": str(y["fiscal_year"]), "series": names[key], "value": float(y[key])}
        for y in years
        for key in names
        if y.get(key) is not None
    ]
    shown = [key for key in names if any(y.get(key) is not None for y in years)]
    domain = [names[key] for key in shown]
    return {
        "title": title,
        "width": WIDTH - 160,
        "height": height,
        "data": {"values": values},
        "mark": {"type": "line", "point": {"size": 50}, "strokeWidth": 2.5},
        "encoding": {
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": text("year", lang),
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "value", "type": "quantitative", "scale": {"zero": True}, **y_axis},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": text("series", lang),
                "scale": {"domain": domain, "range": [colours[key] for key in shown]},
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "title": text("series", lang),
                "scale": {
                    "domain": domain,
                    "range": [[4, 3] if key == "peer_median" else [1, 0] for key in shown],
                },
            },
        },
    }


def _class_colour(rows: list[dict], lang: str) -> tuple[list[dict], Spec]:
    classes = sorted({r["asset_class"] for r in rows})
    labelled = [r | {"class": vocabulary(ASSET_CLASSES, r["asset_class"], lang)} for r in rows]
    domain = [vocabulary(ASSET_CLASSES, c, lang) for c in classes]
    return labelled, {
        "field": "class",
        "type": "nominal",
        "title": text("asset_class", lang),
        "scale": {"domain": domain, "range": PALETTE[: len(domain)]},
    }


def hardware_ages(rows: list[dict], lang: str) -> Spec:
    values, colour = _class_colour(rows, lang)
    for row in values:
        row["age_label"] = f"{row['age']}+" if row["age"] >= 10 else str(row["age"])
    order = [str(a) for a in range(10)] + ["10+"]
    return {
        "title": text("age_distribution", lang),
        "width": WIDTH - 200,
        "height": 200,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "age_label",
                "type": "ordinal",
                "sort": order,
                "scale": {"domain": order},
                "title": text("age_years", lang),
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "devices", "type": "quantitative", "title": text("devices", lang)},
            "color": colour,
        },
    }


def replacement(rows: list[dict], lang: str) -> Spec:
    values, colour = _class_colour(
        [r | {"value": float(r["value"] or 0), "due_year": str(r["due_year"])} for r in rows], lang
    )
    return {
        "title": text("replacement", lang),
        "width": WIDTH - 200,
        "height": 200,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "due_year",
                "type": "ordinal",
                "title": text("year", lang),
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": "value",
                "type": "quantitative",
                "axis": _euro_axis(text("replacement_value", lang)),
            },
            "color": colour,
        },
    }


def people_technology(rows: list[dict], lang: str) -> Spec:
    """Two stacked bars: own ICT staff and training against hardware and software."""
    label = f"label_{lang}"
    values = [
        {
            "side": text(r["side"], lang),
            "category": r[label],
            "value": float(r["cost_per_inhabitant"] or 0),
            "order": r["sort_order"],
        }
        for r in rows
    ]
    domain = [r[label] for r in sorted(rows, key=lambda r: r["sort_order"])]
    return {
        "title": text("people", lang),
        "width": WIDTH - 260,
        "height": 90,
        "data": {"values": values},
        "mark": {"type": "bar", "height": {"band": 0.7}},
        "encoding": {
            "y": {"field": "side", "type": "nominal", "title": None},
            "x": {
                "field": "value",
                "type": "quantitative",
                "stack": True,
                "axis": _euro_axis(text("euro_per_inhabitant", lang)),
            },
            "color": {
                "field": "category",
                "type": "nominal",
                "title": text("category", lang),
                "scale": {"domain": domain, "range": PALETTE[: len(domain)]},
            },
            "order": {"field": "order"},
        },
    }


def applications_per_domain(rows: list[dict], lang: str) -> Spec:
    """Applications in use per GEMMA domain, the largest first."""
    values = [
        {"domain": r["domain"] or text("unknown_domain", lang), "applications": r["applications"]}
        for r in rows
    ]
    return {
        "title": text("per_domain", lang),
        "width": WIDTH - 330,
        "data": {"values": values},
        "mark": {"type": "bar", "color": OWN, "height": {"band": 0.6}},
        "encoding": {
            "y": {
                "field": "domain",
                "type": "nominal",
                "sort": [v["domain"] for v in values],
                "title": None,
                "axis": {"labelLimit": 330},
            },
            "x": {
                "field": "applications",
                "type": "quantitative",
                "title": text("applications", lang),
                "axis": {"tickMinStep": 1, "format": "d"},
            },
        },
    }
