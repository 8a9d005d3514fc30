"""The built-in vocabularies, kept as data in vocabularies/: which headers mean which canonical
column (columns.yml) and which delivered words mean which code (values.yml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

FOLDER = Path(__file__).with_name("vocabularies")

Aliases = dict[str, tuple[str, ...]]


@cache
def _read(name: str) -> dict:
    return yaml.safe_load((FOLDER / name).read_text(encoding="utf-8"))


def column_aliases(kind: str) -> Aliases:
    """Canonical column -> the headers accepted for it, in order of preference."""
    return {name: tuple(headers) for name, headers in _read("columns.yml")[kind]["columns"].items()}


def required_columns(kind: str) -> frozenset[str]:
    return frozenset(_read("columns.yml")[kind]["required"])


def personal_columns(kind: str) -> Aliases:
    """Headers of personal data a kind's files may hold, recognised only to be dropped."""
    personal = _read("columns.yml")[kind].get("personal", {})
    return {name: tuple(headers) for name, headers in personal.items()}


def value_words(kind: str, column: str) -> Aliases:
    """Code -> the delivered words accepted for it, for a column with a vocabulary."""
    return {code: tuple(words) for code, words in _read("values.yml")[kind][column].items()}


def columns_with_words(kind: str) -> list[str]:
    return list(_read("values.yml").get(kind, {}))


def has_columns(kind: str) -> bool:
    """Whether a kind's files have headers to match (an XAF audit file has none)."""
    return kind in _read("columns.yml")


def preload() -> None:
    """Read the vocabularies now; a process that forks workers does it once for all of them."""
    for name in ("columns.yml", "values.yml"):
        _read(name)
