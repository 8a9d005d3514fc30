"""Render report pages with the Jinja templates in templates/ (self-contained HTML, no scripts)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from pipelines.report import labels, numbers

TEMPLATES = Path(__file__).with_name("templates")


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _helpers(lang: str) -> dict[str, Any]:
    return {
        "t": lambda key, **values: labels.text(key, lang, **values),
        "kpi_label": lambda kpi: labels.kpi_label(kpi, lang),
        "missing_label": lambda key: labels.vocabulary(labels.MISSING, key, lang),
        "months": lambda numbers: labels.month_names(numbers, lang),
        "kind": lambda key: labels.vocabulary(labels.KINDS, key, lang),
        "reason": lambda value: labels.reason(value, lang),
        "money": lambda value, digits=0: numbers.money(value, lang, digits),
        "number": lambda value, digits=0: numbers.number(value, lang, digits),
        "percent": lambda value, digits=0: numbers.percent(value, lang, digits),
        "status": lambda key: labels.TEXT.get(key or "missing_status", {}).get(lang, key),
    }


def render(template: str, context: dict[str, Any]) -> str:
    lang = context["lang"]
    page = environment().get_template(template)
    return page.render(**context, **_helpers(lang), css=(TEMPLATES / "report.css").read_text())
