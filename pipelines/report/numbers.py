"""Numbers as a council reads them: Dutch (1.234,56; € 104) or English (1,234.56; €104)."""

from __future__ import annotations

from decimal import Decimal

Number = int | float | Decimal | None
DASH = "–"


def number(value: Number, lang: str, digits: int = 0) -> str:
    if value is None:
        return DASH
    text = f"{float(value):,.{digits}f}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def money(value: Number, lang: str, digits: int = 0) -> str:
    if value is None:
        return DASH
    sign = "−" if value < 0 else ""
    amount = number(abs(value), lang, digits)
    return f"{sign}€ {amount}" if lang == "nl" else f"{sign}€{amount}"


def percent(value: Number, lang: str, digits: int = 0) -> str:
    """A share (0.25) as a percentage (25%)."""
    return DASH if value is None else f"{number(float(value) * 100, lang, digits)}%"


def signed_percent(value: Number, lang: str, digits: int = 1) -> str:
    if value is None:
        return DASH
    return ("+" if value > 0 else "") + percent(value, lang, digits).replace("-", "−")
