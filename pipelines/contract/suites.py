"""Great Expectations suites, kept as reviewed JSON in expectations/, run on a delivery's rows."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import great_expectations as gx
import pandas as pd
import pyarrow as pa

from pipelines.readers.schema import RowProblem
from pipelines.settings import EXPECTATIONS_DIR

# GX logs a progress bar per validation; the load result says what matters.
logging.getLogger("great_expectations").setLevel(logging.ERROR)
ROW_ID = "source_row"


@dataclass(frozen=True)
class SuiteOutcome:
    row_problems: list[RowProblem]
    # expectations that failed on the table as a whole (row count, columns): the file is rejected
    table_failures: list[str]
    failed_expectations: list[str]
    evaluated: int


def suite_path(kind: str) -> Path:
    return EXPECTATIONS_DIR / f"{kind}.json"


@cache
def suite_definition(kind: str) -> dict:
    return json.loads(suite_path(kind).read_text(encoding="utf-8"))


def suite_fingerprint(kind: str) -> str:
    return hashlib.sha256(suite_path(kind).read_bytes()).hexdigest()[:16]


def _resolve(value: object, parameters: dict[str, object]) -> object:
    """Fill `$name` placeholders (e.g. `$fiscal_year_end`) that depend on the delivery."""
    if isinstance(value, str) and value.startswith("$"):
        return parameters[value[1:]]
    if isinstance(value, list):
        return [_resolve(item, parameters) for item in value]
    return value


def build_suite(kind: str, parameters: dict[str, object]) -> gx.ExpectationSuite:
    definition = copy.deepcopy(suite_definition(kind))
    for expectation in definition["expectations"]:
        kwargs = expectation["kwargs"]
        for key, value in kwargs.items():
            kwargs[key] = _resolve(value, parameters)
    return gx.ExpectationSuite(**definition)


@cache
def _batch_definition():
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("deliveries")
    return source.add_dataframe_asset("delivery").add_batch_definition_whole_dataframe("whole")


def validation_frame(rows: pa.Table) -> pd.DataFrame:
    """Arrow rows as pandas for GX: decimals as floats, dates as datetime.date objects."""
    columns = {}
    for field in rows.schema:
        column = rows[field.name]
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        columns[field.name] = column
    return pa.table(columns).to_pandas(date_as_object=True)


def run_suite(kind: str, rows: pa.Table, parameters: dict[str, object]) -> SuiteOutcome:
    suite = build_suite(kind, parameters)
    frame = validation_frame(rows)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )
    problems: list[RowProblem] = []
    table_failures: list[str] = []
    failed: list[str] = []
    for outcome in result.results:
        config = outcome.expectation_config
        meta = config.meta or {}
        rule = meta.get("rule", config.type)
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {rule} could not run: {outcome.exception_info}")
        if outcome.success:
            continue
        failed.append(rule)
        column = config.kwargs.get("column")
        index_list = outcome.result.get("unexpected_index_list")
        if column is None or index_list is None:
            table_failures.append(_table_message(meta, outcome.result))
            continue
        for item in index_list:
            value = item.get(column)
            problems.append(
                RowProblem(
                    source_row=int(item[ROW_ID]),
                    column=column,
                    value=None if pd.isna(value) else str(value),
                    rule=rule,
                    message=_row_message(meta, value),
                )
            )
    return SuiteOutcome(problems, table_failures, failed, len(result.results))


def _row_message(meta: dict, value: object) -> str:
    shown = "empty" if value is None or pd.isna(value) else f"'{value}'"
    return f"{shown} {meta.get('message', 'does not meet the rule')}"


def _table_message(meta: dict, result: dict) -> str:
    observed = result.get("observed_value")
    text = meta.get("message", "the file does not meet a rule for the whole file")
    return f"{text} (found: {observed})" if observed is not None else text
