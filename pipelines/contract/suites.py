"""The Great Expectations suites as reviewed JSON (expectations/<kind>.json), and the contract
version a load result is stamped with."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cache

from pipelines.contract.categories import mapping_codes
from pipelines.contract.kinds import kind as delivery_kind


@cache
def suite_definition(kind: str) -> dict:
    return json.loads(delivery_kind(kind).suite_path.read_text(encoding="utf-8"))


def suite_fingerprint(kind: str) -> str:
    """The suite's bytes and the values of the fixed parameters it uses."""
    digest = hashlib.sha256(delivery_kind(kind).suite_path.read_bytes())
    fixed = fixed_parameters()
    used = placeholders([e["kwargs"] for e in suite_definition(kind)["expectations"]])
    for name in sorted(used & fixed.keys()):
        digest.update(json.dumps([name, fixed[name]]).encode())
    return digest.hexdigest()[:16]


@cache
def contract_version(kind: str) -> str:
    """This code's version and the suite's bytes: a load checked under another one is checked again."""
    from importlib.metadata import version

    return f"{version('ict-benchmark')}+{suite_fingerprint(kind)}"


def fixed_parameters() -> dict[str, object]:
    """The values of the `$name` placeholders that are the same for every delivery."""
    return {"mapping_codes": list(mapping_codes())}


def suite_parameters(fiscal_year: int | None) -> dict[str, object]:
    """The values of a suite's `$name` placeholders for a delivery of this fiscal year."""
    year = fiscal_year or 1900
    return {
        "fiscal_year": year,
        "fiscal_year_start": dt.date(year, 1, 1),
        "fiscal_year_end": dt.date(year, 12, 31),
        **fixed_parameters(),
    }


def soft_fields(kind: str) -> dict[str, str]:
    """Field -> what a row that lacks it (or has it wrong) still counts for. A problem in a soft
    field leaves that value out and the row lands; any other problem quarantines the row. The
    suite says which fields are soft (`meta.soft_fields`)."""
    return suite_definition(kind).get("meta", {}).get("soft_fields", {})


@cache
def required_fields(kind: str) -> frozenset[str]:
    """Fields every landed row has a value in: the suite quarantines a row without one (a
    not-null rule on every row, not soft). The landed file declares them required."""
    soft = soft_fields(kind)
    return frozenset(
        e["kwargs"]["column"]
        for e in suite_definition(kind)["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null"
        and "row_condition" not in e["kwargs"]
        and e["kwargs"].get("mostly", 1) == 1
        and e["kwargs"]["column"] not in soft
    )


def closing_rule(kind: str) -> dict | None:
    """The suite's rule that the delivery closes (a ledger: every voucher and the year sum to
    zero): its tolerance, how many failures a message lists, message and hint (`meta.closes`)."""
    return suite_definition(kind).get("meta", {}).get("closes")


def placeholders(value: object) -> set[str]:
    """The names of the `$name` placeholders in expectation kwargs."""
    if isinstance(value, str):
        return {value[1:]} if value.startswith("$") else set()
    if isinstance(value, dict):
        return set().union(*(placeholders(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(placeholders(item) for item in value))
    return set()


def with_fixed_parameters(kwargs: dict) -> dict:
    """An expectation's kwargs with the fixed placeholders filled in, the others kept."""
    fixed = fixed_parameters()

    def fill(value: object) -> object:
        if isinstance(value, str) and value.startswith("$") and value[1:] in fixed:
            return fixed[value[1:]]
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return {key: fill(value) for key, value in kwargs.items()}


def is_row_level(expectation: dict) -> bool:
    """Row-level rules quarantine rows; the others (row count) judge a delivery as a whole."""
    kwargs = expectation["kwargs"]
    return "column" in kwargs or "column_list" in kwargs
