"""(b) The naive peer: pandas.read_csv / read_xml per file, the GX ledger suite on each whole frame,
insert into DuckDB, the same classification SQL as the floor (bench/sql.py)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

from bench.sql import canonical_column, classify_and_total, ledger_files

REPO_ROOT = Path(__file__).resolve().parent.parent


def _pandas_amount(column):
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    text = column.astype("string").str.strip()
    negative = text.str.endswith("-") | text.str.startswith("-")
    digits = (
        text.str.strip("-").str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    value = pd.to_numeric(digits, errors="coerce")
    return value.where(~negative.fillna(False), -value)


def naive_read_csv(path: Path):
    import pandas as pd

    try:
        header = pd.read_csv(path, sep=";", nrows=0, encoding="utf-8-sig").columns
        encoding = "utf-8-sig"
        frame = _naive_frame(path, header, encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        header = pd.read_csv(path, sep=";", nrows=0, encoding=encoding).columns
        frame = _naive_frame(path, header, encoding)
    return frame


def _naive_frame(path: Path, header, encoding: str):
    import pandas as pd

    names = {canonical_column(name): name for name in header}
    text_columns = {names[c]: "string" for c in ("account_code", "cost_centre") if c in names}
    frame = pd.read_csv(
        path, sep=";", decimal=",", thousands=".", encoding=encoding, dtype=text_columns
    )
    if "amount" in names:
        amount = _pandas_amount(frame[names["amount"]])
    else:
        debit = _pandas_amount(frame[names["debit"]]).fillna(0)
        amount = debit - _pandas_amount(frame[names["credit"]]).fillna(0)
    return pd.DataFrame(
        {
            "booking_date": pd.to_datetime(frame[names["booking_date"]], format="%d-%m-%Y").dt.date,
            "account_code": frame[names["account_code"]],
            "cost_centre": frame[names["cost_centre"]] if "cost_centre" in names else None,
            "amount": amount,
        }
    )


def naive_read_xaf(path: Path):
    import pandas as pd

    wanted = ["accID", "amnt", "amntTp", "effDate", "costID"]
    text = {"accID": "string", "costID": "string", "amntTp": "string"}
    raw = pd.read_xml(path, parser="etree", iterparse={"trLine": wanted}, dtype=text)
    sign = raw["amntTp"].map({"D": 1.0, "C": -1.0})
    return pd.DataFrame(
        {
            "booking_date": pd.to_datetime(raw["effDate"], format="%Y-%m-%d").dt.date,
            "account_code": raw["accID"].astype("string"),
            "cost_centre": raw.get("costID"),
            "amount": raw["amnt"].astype("float64") * sign,
        }
    )


def ledger_suite(fiscal_year: int):
    """expectations/ledger.json, every expectation, with the fiscal-year placeholders filled."""
    import great_expectations as gx

    parameters = {
        "fiscal_year": fiscal_year,
        "fiscal_year_start": dt.date(fiscal_year, 1, 1),
        "fiscal_year_end": dt.date(fiscal_year, 12, 31),
    }
    definition = json.loads((REPO_ROOT / "expectations" / "ledger.json").read_text())
    for expectation in definition["expectations"]:
        kwargs = expectation["kwargs"]
        for key, value in kwargs.items():
            if isinstance(value, str) and value.startswith("$"):
                kwargs[key] = parameters[value[1:]]
    return gx.ExpectationSuite(**definition)


def naive_validator() -> Callable:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("naive")
        .add_dataframe_asset("ledger")
        .add_batch_definition_whole_dataframe("whole")
    )

    def validate(frame, fiscal_year: int) -> int:
        suite = ledger_suite(fiscal_year)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["source_row"],
            },
        )
        return sum(1 for outcome in result.results if not outcome.success)

    return validate


def run_naive(data_dir: Path, out: Path, skip: frozenset[str]) -> dict:
    import logging

    import duckdb

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    started = time.perf_counter()
    validate = naive_validator()
    connection = duckdb.connect()
    connection.execute(
        "create table ledger (municipality_code varchar, fiscal_year integer, account_code varchar, "
        "cost_centre varchar, amount decimal(18, 2))"
    )
    timings = {"read_s": 0.0, "validate_s": 0.0, "insert_s": 0.0}
    failed = 0
    for path in ledger_files(data_dir, skip=skip):
        fiscal_year = int(path.parent.name)
        tick = time.perf_counter()
        frame = naive_read_xaf(path) if path.suffix == ".xaf" else naive_read_csv(path)
        frame["source_row"] = range(2, len(frame) + 2)
        frame["municipality_code"] = path.parent.parent.name
        frame["fiscal_year"] = fiscal_year
        timings["read_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        failed += validate(frame, fiscal_year)
        timings["validate_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        connection.register("frame", frame)
        connection.execute(
            "insert into ledger select municipality_code, fiscal_year, nullif(trim(account_code), ''), "
            "nullif(trim(cost_centre), ''), cast(round(amount, 2) as decimal(18, 2)) from frame"
        )
        connection.unregister("frame")
        timings["insert_s"] += time.perf_counter() - tick
    _naive_reference(connection, data_dir)
    tick = time.perf_counter()
    totals = classify_and_total(connection)
    timings["sql_s"] = time.perf_counter() - tick
    rows = connection.execute("select count(*) from ledger").fetchone()[0]
    return {
        "ict_total": totals,
        "rows": rows,
        "failed_expectations": failed,
        "phases": {k: round(v, 2) for k, v in timings.items()},
        "total_s": round(time.perf_counter() - started, 2),
    }


def _naive_reference(connection, data_dir: Path) -> None:
    import pandas as pd

    frames = []
    for path in sorted((data_dir / "deliveries").glob("GM*/account_mapping.csv")):
        rules = pd.read_csv(path, sep=";", dtype="string", keep_default_na=False)
        rules.insert(0, "rule_row", range(2, len(rules) + 2))
        rules.insert(0, "municipality_code", path.parent.name)
        frames.append(rules)
    connection.register("rules_frame", pd.concat(frames))
    connection.execute(
        "create or replace table rules_raw as select municipality_code, rule_row, "
        "rekening_van as account_from, rekening_tot as account_to, kostenplaats as cost_centre, "
        "categorie as category from rules_frame"
    )
    people = pd.read_csv(
        data_dir / "reference" / "bevolking.csv", sep=";", skiprows=2, encoding="utf-8-sig"
    )
    people = people[people["Gemeentecode"].astype("string").str.startswith("GM", na=False)]
    connection.register("people", people)
    connection.execute(
        'create or replace table inhabitants as select "Gemeentecode" as municipality_code, '
        'cast("Perioden" as integer) as fiscal_year, '
        'cast("Bevolking op 1 januari (aantal)" as bigint) as inhabitants from people'
    )
