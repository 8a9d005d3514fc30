"""The generated tables of docs/data-contract.md: the category codes from the dbt seed, the
columns and words of each register kind from the vocabularies, and the rules from the JSON
suites, so the document cannot drift from what a delivery is checked against."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.contract.categories import DIRECTIVES, UNCLASSIFIED, categories
from pipelines.contract.kinds import kind as delivery_kind
from pipelines.contract.suites import with_fixed_parameters
from pipelines.contract.vocabulary import (
    column_aliases,
    columns_with_words,
    personal_columns,
    required_columns,
    value_words,
)
from pipelines.settings import EXPECTATIONS_DIR, REPO_ROOT

DOC = REPO_ROOT / "docs" / "data-contract.md"


@dataclass(frozen=True)
class Table:
    name: str
    source: str  # what the table is generated from, named in its start marker
    heading: str  # the section a document without the table gets it in
    rows: Callable[[], list[str]]

    @property
    def start(self) -> str:
        return (
            f"<!-- {self.name}:start (generated from {self.source} by `ictbench contract-doc`) -->"
        )

    @property
    def end(self) -> str:
        return f"<!-- {self.name}:end -->"

    def render(self) -> str:
        return "\n".join([self.start, "", *self.rows(), "", self.end])

    def current(self, doc: Path = DOC) -> str:
        """The table as the document has it."""
        return self.within(doc.read_text(encoding="utf-8"))

    def within(self, text: str) -> str:
        return text[text.index(self.start) : text.index(self.end) + len(self.end)]


def category_rows() -> list[str]:
    """The codes the `categorie` column of an account mapping accepts, with what they mean."""
    rows = ["| code | meaning | Dutch label |", "|---|---|---|"]
    rows += [
        f"| `{c.code}` | {c.label_en} | {c.label_nl} |"
        for c in categories()
        if c.code != UNCLASSIFIED
    ]
    rows += [f"| `{code}` | {meaning} | |" for code, meaning in DIRECTIVES.items()]
    return rows


def _value_type(value_type: pa.DataType) -> str:
    if pa.types.is_list(value_type):
        return "text; several separated by `;`, `\\|`, `,` or a line break"
    if pa.types.is_decimal(value_type):
        return "amount in euro (`12.345,67`)"
    if pa.types.is_integer(value_type):
        return "whole number"
    if pa.types.is_floating(value_type):
        return "number (`0,89`)"
    if pa.types.is_date(value_type):
        return "date (`dd-mm-yyyy`; `yyyy-mm-dd` too)"
    return "text"


def column_rows(kind: str) -> list[str]:
    """The columns of a kind's files: the accepted headers (vocabularies/columns.yml), the type
    of the value (the kind's schema) and whether the file must have the column."""
    schema = delivery_kind(kind).schema
    with_words = columns_with_words(kind)
    required = required_columns(kind)
    rows = ["| column | accepted headers | value | required |", "|---|---|---|---|"]
    for name, headers in column_aliases(kind).items():
        value = _value_type(schema.field(name).type) if name in schema.names else "text"
        if name in with_words:
            value += ", a word of the list below"
        accepted = ", ".join(f"`{header}`" for header in headers if header != name)
        rows.append(f"| `{name}` | {accepted} | {value} | {'yes' if name in required else 'no'} |")
    for name, headers in personal_columns(kind).items():
        accepted = ", ".join(f"`{header}`" for header in headers)
        rows.append(f"| ({name}: personal data) | {accepted} | dropped, never stored | no |")
    return rows


def word_rows(kind: str) -> list[str]:
    """The words a kind's vocabulary columns accept per code (vocabularies/values.yml)."""
    rows = [
        "| column | code | accepted words (any case, spaces and punctuation) |",
        "|---|---|---|",
    ]
    for column in columns_with_words(kind):
        for code, words in value_words(kind, column).items():
            rows.append(f"| `{column}` | `{code}` | {', '.join(f'`{w}`' for w in words)} |")
    return rows


def describe(expectation: dict) -> str:
    kind = expectation["type"]
    kwargs = with_fixed_parameters(expectation["kwargs"])
    column = f"`{kwargs['column']}`" if "column" in kwargs else ""
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is filled"
    if kind == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is None:
            return f"{column} ≤ {high}"
        if high is None:
            return f"{column} ≥ {low}"
        return f"{column} between {low} and {high}"
    if kind == "expect_column_values_to_be_in_set":
        return f"{column} is one of " + ", ".join(f"`{v}`" for v in kwargs["value_set"])
    if kind == "expect_column_values_to_be_unique":
        return f"{column} is unique"
    if kind == "expect_compound_columns_to_be_unique":
        return "unique combination of " + ", ".join(f"`{c}`" for c in kwargs["column_list"])
    if kind == "expect_table_row_count_to_be_between":
        return f"at least {kwargs.get('min_value', 0)} row(s)"
    if kind == "expect_column_values_to_match_regex":
        return f"{column} matches `{kwargs['regex']}`"
    arguments = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{kind}({arguments})"


def rule_rows(expectations_dir: Path = EXPECTATIONS_DIR) -> list[str]:
    rows = [
        "| suite | rule | check | when it fails | what to do |",
        "|---|---|---|---|---|",
    ]
    for path in sorted(expectations_dir.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        soft = suite.get("meta", {}).get("soft_fields", {})
        for expectation in suite["expectations"]:
            meta = expectation.get("meta", {})
            column = expectation["kwargs"].get("column")
            row_level = column is not None
            if column in soft:  # the row lands without the value
                effect = f"value left out ({soft[column]})"
            else:
                effect = "row quarantined" if row_level else "file rejected"
            rows.append(
                f"| {suite['name']} | `{meta.get('rule', expectation['type'])}` "
                f"| {describe(expectation)} | {effect}: {meta.get('message', '')} "
                f"| {meta.get('hint', '')} |"
            )
        closes = suite.get("meta", {}).get("closes")
        if closes:
            rows.append(
                f"| {suite['name']} | `{closes['rule']}` | every voucher (journal + voucher "
                f"number) and the total sum to zero within {closes['tolerance']}; the first "
                f"{closes['vouchers_listed']} that do not are listed with their sums "
                f"| file rejected: {closes['message']} | {closes['hint']} |"
            )
    return rows


CATEGORIES = Table(
    "categories", "dbt_project/seeds/ict_categories.csv", "Category codes", category_rows
)
RULES = Table("rules", "expectations/*.json", "Validation rules", rule_rows)
# the register kinds whose columns and words the document lists
REGISTERS = ("assets", "training", "applications")
VOCABULARIES = tuple(
    table
    for kind in REGISTERS
    for table in (
        Table(
            f"columns-{kind}",
            "pipelines/contract/vocabularies/columns.yml",
            f"Columns: {kind}",
            lambda kind=kind: column_rows(kind),
        ),
        Table(
            f"words-{kind}",
            "pipelines/contract/vocabularies/values.yml",
            f"Words: {kind}",
            lambda kind=kind: word_rows(kind),
        ),
    )
)
TABLES = (CATEGORIES, *VOCABULARIES, RULES)


def update(doc: Path = DOC) -> bool:
    """Rewrite every generated table of the document; True when that changed it."""
    before = doc.read_text(encoding="utf-8")
    text = before
    for table in TABLES:
        if table.start in text:
            text = text.replace(table.within(text), table.render())
        else:
            text = text.rstrip("\n") + f"\n\n## {table.heading}\n\n{table.render()}\n"
    doc.write_text(text, encoding="utf-8")
    return text != before
