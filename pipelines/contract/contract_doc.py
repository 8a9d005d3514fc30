"""The generated tables of docs/data-contract.md: the category codes from the dbt seed and the
rules from the JSON suites, so the document cannot drift from what a delivery is checked against."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract.categories import DIRECTIVES, UNCLASSIFIED, categories
from pipelines.contract.suites import with_fixed_parameters
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


def _type_of(field) -> str:
    import pyarrow as pa

    if pa.types.is_date(field.type):
        return "date `dd-mm-yyyy`"
    if pa.types.is_decimal(field.type):
        return "amount in euros, decimal comma (`1.234,56`)"
    if pa.types.is_integer(field.type):
        return "whole number"
    if pa.types.is_floating(field.type):
        return "number, decimal comma"
    return "text"


# a column that lands under another name: the employee number lands only as its pseudonym
LANDS_AS = {"employee_id": "employee_key"}


def column_rows(kind: str) -> Callable[[], list[str]]:
    """The columns of a kind's file: the headers recognised for each, whether it must be there,
    and its type; then the personal-data columns that are recognised only to be left out."""

    def rows() -> list[str]:
        from pipelines.contract.kinds import KINDS
        from pipelines.contract.vocabulary import column_aliases, personal_columns, required_columns

        schema = KINDS[kind].schema
        required = required_columns(kind)
        lines = ["| column | headers recognised | required | type |", "|---|---|---|---|"]
        for column, headers in column_aliases(kind).items():
            field = schema.field(LANDS_AS.get(column, column))
            spelled = ", ".join(f"`{h}`" for h in headers if h != column)
            kept = _type_of(field) + (
                ", stored only as its keyed pseudonym" if column in LANDS_AS else ""
            )
            lines.append(
                f"| `{column}` | {spelled} | {'yes' if column in required else 'no'} | {kept} |"
            )
        for column, headers in personal_columns(kind).items():
            spelled = ", ".join(f"`{h}`" for h in headers)
            lines.append(f"| ({column}: personal data) | {spelled} | no | never stored |")
        return lines

    return rows


CATEGORIES = Table(
    "categories", "dbt_project/seeds/ict_categories.csv", "Category codes", category_rows
)
RULES = Table("rules", "expectations/*.json", "Validation rules", rule_rows)
ASSET_COLUMNS = Table(
    "asset-columns",
    "pipelines/contract/vocabularies/columns.yml",
    "Hardware asset register",
    column_rows("assets"),
)
TRAINING_COLUMNS = Table(
    "training-columns",
    "pipelines/contract/vocabularies/columns.yml",
    "HR training records",
    column_rows("training"),
)
TABLES = (CATEGORIES, ASSET_COLUMNS, TRAINING_COLUMNS, RULES)


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
