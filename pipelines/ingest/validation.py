"""Great Expectations runs a kind's suite (contract/suites.py) over the rows of many deliveries at once."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.schemas import RowProblem
from pipelines.contract.suites import is_row_level, suite_definition

if TYPE_CHECKING:  # GX takes seconds to import: only a process that validates pays for it
    import great_expectations as gx
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

# GX logs a progress bar per validation; the load result says what matters.
logging.getLogger("great_expectations").setLevel(logging.ERROR)
ROW_ID = "source_row"
BATCH = "_delivery_in_batch"


@dataclass(frozen=True)
class SuiteOutcome:
    row_problems: list[RowProblem]
    # expectations that failed on the table as a whole (row count, columns): the file is rejected
    table_failures: list[str]
    failed_expectations: list[str]
    evaluated: int


@dataclass(frozen=True)
class RecordedValidation:
    """One GX validation run, kept (pickled, in the landing store) for the Data Docs of the run."""

    label: str  # what was validated, e.g. `row-rules_GM0363_2024_ledger.csv`
    validated_at: dt.datetime
    result: ExpectationSuiteValidationResult  # without per-row lists: the quarantine has those


_PER_ROW_DETAIL = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")


def _resolve(value: object, parameters: dict[str, object]) -> object:
    """Fill `$name` placeholders (e.g. `$fiscal_year_end`) that depend on the delivery."""
    if isinstance(value, str) and value.startswith("$"):
        value = parameters[value[1:]]
        # date columns reach GX as datetime64 (see validation_frame), so the bounds must be too
        return pd.Timestamp(value) if isinstance(value, dt.date) else value
    if isinstance(value, list):
        return [_resolve(item, parameters) for item in value]
    return value


def build_suite(
    kind: str, parameters: dict[str, object], *, row_level: bool
) -> gx.ExpectationSuite:
    definition = copy.deepcopy(suite_definition(kind))
    definition["expectations"] = [
        e for e in definition["expectations"] if is_row_level(e) == row_level
    ]
    for expectation in definition["expectations"]:
        kwargs = expectation["kwargs"]
        for key, value in kwargs.items():
            kwargs[key] = _resolve(value, parameters)
    import great_expectations as gx

    return gx.ExpectationSuite(**definition)


@cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("deliveries")
    return source.add_dataframe_asset("delivery").add_batch_definition_whole_dataframe("whole")


def suite_columns(suite: gx.ExpectationSuite) -> set[str]:
    """The columns a suite reads, so GX gets (and hashes) nothing else."""
    names = set()
    for expectation in suite.expectations:
        config = expectation.configuration
        names.update(config.kwargs.get("column_list") or [])
        names.update([config.kwargs["column"]] if config.kwargs.get("column") else [])
        condition = config.kwargs.get("row_condition")
        if isinstance(condition, dict) and isinstance(condition.get("column"), dict):
            names.add(condition["column"]["name"])
    return names


def validation_frame(rows: pa.Table, wanted: set[str] | None = None) -> pd.DataFrame:
    """Arrow rows as pandas for GX, only the wanted columns: decimals as floats, dates as datetime64.

    GX compares datetime64 and float columns vectorised, but date objects one by one in Python.
    Dates beyond pandas' nanosecond range are clamped; messages show the delivered date instead.
    """
    columns = {}
    for field in rows.schema:
        if wanted is not None and field.name not in wanted and field.name != ROW_ID:
            continue
        column = rows[field.name]
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        elif pa.types.is_date(field.type):
            column = _as_timestamps(column)
        columns[field.name] = column
    return pa.table(columns).to_pandas()


_TIMESTAMP_RANGE = (pa.scalar(dt.date(1678, 1, 1)), pa.scalar(dt.date(2261, 12, 31)))


def _as_timestamps(column: pa.ChunkedArray) -> pa.ChunkedArray:
    low, high = _TIMESTAMP_RANGE
    clamped = pc.min_element_wise(
        pc.max_element_wise(column, low, skip_nulls=False), high, skip_nulls=False
    )
    return clamped.cast(pa.timestamp("ns"))


def run_suite(kind: str, rows: pa.Table, parameters: dict[str, object]) -> SuiteOutcome:
    return run_suite_batch(kind, [rows], parameters)[0]


def run_suite_batch(
    kind: str,
    tables: list[pa.Table],
    parameters: dict[str, object],
    *,
    record: list[RecordedValidation] | None = None,
) -> list[SuiteOutcome]:
    """Validate several deliveries that share the suite parameters in one GX run.

    GX costs about half a second per validation whatever the size, so the row-level rules run once
    over all deliveries together; the whole-delivery rules (row count) run per delivery on a
    frame without columns, which is cheap.
    record: receives a compact copy of each GX result, for the Data Docs.
    """
    files = [_source_files(table) for table in tables]
    whole = run_file_rules(kind, [t.num_rows for t in tables], files, parameters, record=record)
    rows = run_row_rules(kind, tables, parameters, record=record)
    return [
        SuiteOutcome(
            row_outcome.row_problems,
            file_outcome.table_failures,
            file_outcome.failed_expectations + row_outcome.failed_expectations,
            file_outcome.evaluated + row_outcome.evaluated,
        )
        for file_outcome, row_outcome in zip(whole, rows, strict=True)
    ]


def run_file_rules(
    kind: str,
    row_counts: list[int],
    files: list[list[str]],
    parameters: dict[str, object],
    *,
    record: list[RecordedValidation] | None = None,
) -> list[SuiteOutcome]:
    """The rules on a delivery as a whole (its row count), per delivery; they need only the
    number of rows, so a delivery read a batch at a time is counted, not held."""
    outcomes = []
    whole = build_suite(kind, parameters, row_level=False)
    for index, count in enumerate(row_counts):
        failed, table_failures = [], []
        if whole.expectations:
            result = _validate(whole, pd.DataFrame(index=pd.RangeIndex(count)), [])
            # a passing row count says little; a failing one explains
            if not result.success and record is not None:
                about = files[index] or [f"delivery {index + 1} of {len(row_counts)} without rows"]
                record.append(_recorded("file-rules", about, result))
            for rule, meta, outcome in _failures(result):
                failed.append(rule)
                table_failures.append(_table_message(meta, outcome.result))
        outcomes.append(SuiteOutcome([], table_failures, failed, len(whole.expectations)))
    return outcomes


def row_rules(kind: str) -> list[str]:
    """The row rules of the kind's suite, in the suite's order (as failed_expectations lists them)."""
    return [
        expectation.get("meta", {}).get("rule", expectation["type"])
        for expectation in suite_definition(kind)["expectations"]
        if is_row_level(expectation)
    ]


def run_row_rules(
    kind: str,
    tables: list[pa.Table],
    parameters: dict[str, object],
    *,
    record: list[RecordedValidation] | None = None,
    part: str | None = None,
) -> list[SuiteOutcome]:
    """The rules on each row, over the rows of several deliveries (or one batch of a large one)
    in one GX run. part: which rows of the file these are, for the Data Docs' label."""
    problems: list[list[RowProblem]] = [[] for _ in tables]
    failed: list[list[str]] = [[] for _ in tables]
    per_row = build_suite(kind, parameters, row_level=True)
    wanted = suite_columns(per_row)
    frame = pd.concat(
        [validation_frame(t, wanted).assign(**{BATCH: i}) for i, t in enumerate(tables)],
        ignore_index=True,
    )
    result = _validate(per_row, frame, [BATCH, ROW_ID])
    del frame
    if record is not None:
        files = [name for table in tables for name in _source_files(table)]
        record.append(_recorded("row-rules", files, result, part))
    delivered_dates = _delivered_dates(tables, result)
    for rule, meta, outcome in _failures(result):
        config = outcome.expectation_config
        # delivery_id in a compound rule only scopes it to one delivery; report the other columns
        columns = [
            c
            for c in config.kwargs.get("column_list") or [config.kwargs["column"]]
            if c != "delivery_id"
        ]
        hit = set()
        for item in outcome.result.get("unexpected_index_list") or []:
            index = int(item[BATCH])
            item = {**item, **delivered_dates.get((index, int(item[ROW_ID])), {})}
            value = ", ".join(_text(item.get(c)) for c in columns)
            hit.add(index)
            problems[index].append(
                RowProblem(
                    source_row=int(item[ROW_ID]),
                    column=", ".join(columns),
                    value=None if all(_missing(item.get(c)) for c in columns) else value,
                    rule=rule,
                    message=_row_message(
                        meta,
                        None if len(columns) == 1 and _missing(item.get(columns[0])) else value,
                    ),
                    field=columns[0] if len(columns) == 1 else None,
                )
            )
        for index in sorted(hit):
            failed[index].append(rule)
    return [
        SuiteOutcome(problems[i], [], failed[i], len(per_row.expectations))
        for i in range(len(tables))
    ]


def _delivered_dates(
    tables: list[pa.Table], result: ExpectationSuiteValidationResult
) -> dict[tuple[int, int], dict]:
    """The delivered date values of the failing rows, keyed by (delivery in batch, source row)."""
    failing: dict[int, set[int]] = defaultdict(set)
    for outcome in result.results:
        for item in (outcome.result or {}).get("unexpected_index_list") or []:
            failing[int(item[BATCH])].add(int(item[ROW_ID]))
    dates = {}
    for index, rows in failing.items():
        table = tables[index]
        names = [f.name for f in table.schema if pa.types.is_date(f.type)]
        if not names:
            continue
        hit = table.filter(pc.is_in(table[ROW_ID], pa.array(sorted(rows), pa.int64())))
        for record in hit.select([ROW_ID, *names]).to_pylist():
            dates[(index, record.pop(ROW_ID))] = record
    return dates


def _validate(
    suite: gx.ExpectationSuite, frame: pd.DataFrame, index_columns: list[str]
) -> ExpectationSuiteValidationResult:
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
    )


def _failures(
    result: ExpectationSuiteValidationResult,
) -> list[tuple[str, dict, ExpectationValidationResult]]:
    """(rule, meta, result) for every expectation that failed."""
    failures = []
    for outcome in result.results:
        config = outcome.expectation_config
        meta = config.meta or {}
        rule = meta.get("rule", config.type)
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {rule} could not run: {outcome.exception_info}")
        if not outcome.success:
            failures.append((rule, meta, outcome))
    return failures


def _recorded(
    rules: str, files: list[str], result: ExpectationSuiteValidationResult, part: str | None = None
) -> RecordedValidation:
    """The validation for the Data Docs, named `<rules>_<file>` or by the number of files, and
    the part of the file (`rows-1-100000`) for a file validated a batch at a time."""
    if len(files) > 1:
        about = f"{len(files)}-deliveries-from-{files[0]}"
    else:
        about = files[0] if files else "deliveries-without-rows"
    if part:
        about = f"{about}_{part}"
    label = f"{rules}_{about}".replace("/", "_").replace(" ", "-")
    validated_at = dt.datetime.now(dt.UTC)
    return RecordedValidation(label, validated_at, _without_row_lists(result, files))


def _without_row_lists(
    result: ExpectationSuiteValidationResult, files: list[str]
) -> ExpectationSuiteValidationResult:
    """A copy small enough to keep until the end of the run: counts and GX's partial lists."""
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

    outcomes = [
        ExpectationValidationResult(
            success=outcome.success,
            expectation_config=outcome.expectation_config,
            result={k: v for k, v in outcome.result.items() if k not in _PER_ROW_DETAIL},
            meta=outcome.meta,
            exception_info=outcome.exception_info,
        )
        for outcome in result.results
    ]
    return ExpectationSuiteValidationResult(
        success=result.success,
        results=outcomes,
        suite_name=result.suite_name,
        suite_parameters=result.suite_parameters,
        statistics=result.statistics,
        meta={**result.meta, "deliveries": files},
        batch_id=result.batch_id,
    )


def _source_files(table: pa.Table) -> list[str]:
    if "source_file" not in table.column_names or table.num_rows == 0:
        return []
    return sorted(pc.unique(table["source_file"]).to_pylist())


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)


def _row_message(meta: dict, value: object) -> str:
    shown = "empty" if _missing(value) else f"'{value}'"
    return f"{shown} {meta.get('message', 'does not meet the rule')}"


def _table_message(meta: dict, result: dict) -> str:
    observed = result.get("observed_value")
    text = meta.get("message", "the file does not meet a rule for the whole file")
    return f"{text} (found: {observed})" if observed is not None else text
