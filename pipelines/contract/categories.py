"""The ICT cost categories, read from the dbt seed that declares them, and the other codes an
account mapping may use."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines import settings


@dataclass(frozen=True)
class Category:
    code: str
    label_nl: str
    label_en: str
    group: str
    sort_order: int


# The classification gives this category to lines in an ICT cost centre that no rule maps;
# a mapping rule cannot name it.
UNCLASSIFIED = "unclassified"

# Codes a mapping rule may use instead of a category: they steer the classification
# (int_ledger_accounts_classified), they do not say where the money goes.
DIRECTIVES: dict[str, str] = {
    "not_ict": "explicitly not ICT",
    "ict_cost_centre": (
        "marks a cost centre as ICT: its lines that no other rule classifies count as "
        "**unclassified** ICT spend (in the total, and in the quality share)"
    ),
}


class CategorySeedError(ValueError):
    """The seed cannot be the category list the benchmark is built on."""


def categories(seed: Path | None = None) -> tuple[Category, ...]:
    """Every category, `unclassified` included, in display order."""
    return _read(seed or settings.ICT_CATEGORIES_SEED)


def codes(seed: Path | None = None) -> tuple[str, ...]:
    return tuple(category.code for category in categories(seed))


def mapped_codes(seed: Path | None = None) -> tuple[str, ...]:
    """The categories a mapping rule can assign: all but the derived one."""
    return tuple(code for code in codes(seed) if code != UNCLASSIFIED)


def mapping_codes(seed: Path | None = None) -> tuple[str, ...]:
    """Every code the `categorie` column of an account mapping accepts."""
    return (*mapped_codes(seed), *DIRECTIVES)


@cache
def _read(seed: Path) -> tuple[Category, ...]:
    with seed.open(encoding="utf-8", newline="") as handle:
        found = [
            Category(
                row["category"],
                row["label_nl"],
                row["label_en"],
                row["category_group"],
                int(row["sort_order"]),
            )
            for row in csv.DictReader(handle)
        ]
    found_codes = [category.code for category in found]
    if UNCLASSIFIED not in found_codes:
        raise CategorySeedError(f"{seed}: the category `{UNCLASSIFIED}` is missing")
    for code in found_codes:
        if found_codes.count(code) > 1 or code in DIRECTIVES:
            raise CategorySeedError(f"{seed}: `{code}` occurs twice or is a mapping directive")
    return tuple(sorted(found, key=lambda category: category.sort_order))
