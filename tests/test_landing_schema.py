"""The lineage columns of a landed file, and the fields its suite requires a value in, are required
Parquet fields: a null cannot be written there, which is why dbt does not test them for nulls over
every line kept (models/staging/landing/stg_landing__ledger_lines.yml)."""

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.contract.kinds import kind
from pipelines.contract.schemas import LINEAGE_FIELDS
from pipelines.contract.suites import required_fields
from pipelines.ingest.deliveries import ingest_kind
from pipelines.ingest.store import landed_rows
from pipelines.settings import Paths
from pipelines.storage.files import write_parquet_atomic
from tests.conftest import FIXTURES


def test_landed_ledgers_declare_their_lineage_and_required_columns_required(tmp_path: Path):
    data_raw = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    paths = Paths(data_raw, tmp_path / "warehouse")
    ingest_kind(paths, "account_mapping")
    ingest_kind(paths, "ledger")
    landed = sorted((paths.landing / "ledger").glob("GM*.parquet"))
    assert landed
    for path in landed:
        schema = pq.read_schema(path)
        for name in [field.name for field in LINEAGE_FIELDS] + sorted(required_fields("ledger")):
            assert schema.field(name).nullable is False, (path.name, name)
        assert schema.field("cost_centre").nullable  # optional: no rule asks for a value
        # and the format holds to it: the column chunks have no room for a null
        assert pq.ParquetFile(path).schema.column(0).max_definition_level == 0


def test_a_null_in_a_required_column_cannot_be_landed(tmp_path: Path):
    schema = pa.schema(LINEAGE_FIELDS)
    rows = pa.table({field.name: pa.array([None], type=field.type) for field in LINEAGE_FIELDS})
    with pytest.raises((pa.ArrowInvalid, ValueError)):
        write_parquet_atomic(rows.cast(schema), tmp_path / "x.parquet")


def test_a_line_without_an_amount_cannot_be_landed():
    """Should a line without a value in a required field ever pass the checks, storing it fails
    instead of landing it."""
    rows = ledger_lines(amounts=[1, None])
    assert landed_rows(rows.slice(0, 1), "ledger").schema.field("amount").nullable is False
    with pytest.raises(ValueError, match="non-nullable"):
        landed_rows(rows, "ledger")


def test_the_ledger_suite_requires_a_date_an_account_and_an_amount():
    """The fields dbt no longer tests for nulls: the suite quarantines a line without one."""
    assert required_fields("ledger") == {"booking_date", "account_code", "amount"}


def ledger_lines(amounts: list) -> pa.Table:
    """Lines with a value in every column but the amounts given."""
    value = {
        pa.string(): "x",
        pa.int32(): 2024,
        pa.int64(): 2,
        pa.date32(): dt.date(2024, 3, 1),
        pa.bool_(): False,
    }
    schema = kind("ledger").schema
    return pa.table(
        {
            f.name: pa.array(amounts, f.type)
            if f.name == "amount"
            else pa.array([value[f.type]] * len(amounts), f.type)
            for f in schema
        }
    )


def test_landed_rows_have_the_kinds_columns_in_its_order():
    """Every landed file of a kind has the same columns, so dbt reads them without uniting them."""
    rows = ledger_lines(amounts=[1])
    shuffled = rows.select(list(reversed(rows.column_names)))
    assert landed_rows(shuffled, "ledger").column_names == kind("ledger").schema.names
    with pytest.raises(KeyError):
        landed_rows(rows.drop_columns(["journal"]), "ledger")
