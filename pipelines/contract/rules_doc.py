"""The rules table of docs/data-contract.md, rendered from the JSON suites so the two cannot drift."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.settings import EXPECTATIONS_DIR, REPO_ROOT

DOC = REPO_ROOT / "docs" / "data-contract.md"
START = "<!-- rules:start (generated from expectations/*.json by `ictbench contract-doc`) -->"
END = "<!-- rules:end -->"


def describe(expectation: dict) -> str:
    kind = expectation["type"]
    kwargs = expectation["kwargs"]
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


def render(expectations_dir: Path = EXPECTATIONS_DIR) -> str:
    lines = [
        START,
        "",
        "| suite | rule | check | when it fails | what to do |",
        "|---|---|---|---|---|",
    ]
    for path in sorted(expectations_dir.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for expectation in suite["expectations"]:
            meta = expectation.get("meta", {})
            row_level = "column" in expectation["kwargs"]
            effect = "row quarantined" if row_level else "file rejected"
            lines.append(
                f"| {suite['name']} | `{meta.get('rule', expectation['type'])}` "
                f"| {describe(expectation)} | {effect}: {meta.get('message', '')} "
                f"| {meta.get('hint', '')} |"
            )
    lines += ["", END]
    return "\n".join(lines)


def current(doc: Path = DOC) -> str:
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(START), text.index(END) + len(END)
    return text[start:end]


def update(doc: Path = DOC) -> bool:
    text = doc.read_text(encoding="utf-8")
    rendered = render()
    if START not in text:
        text = text.rstrip("\n") + "\n\n## Validation rules\n\n" + rendered + "\n"
    else:
        text = text.replace(current(doc), rendered)
    changed = text != doc.read_text(encoding="utf-8")
    doc.write_text(text, encoding="utf-8")
    return changed
