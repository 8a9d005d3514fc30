"""A kind of delivery is declared once, in contract/kinds.py: a kind declared here, in the test
alone (its reader, schema and suite included), is discovered, read, validated, landed or
quarantined, and reported by a real Dagster materialisation, with nothing else changed."""

import csv
import json

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipelines.contract import kinds
from pipelines.contract.delivery import delivery_from_path
from pipelines.contract.errors import WrongDeliveryFolder
from pipelines.contract.kinds import DeliveryKind
from pipelines.contract.schemas import LINEAGE_FIELDS, ParsedDelivery, with_lineage
from pipelines.defs.ingest.assets import ingest_asset, load_results
from pipelines.defs.ingest.partitions import deliveries_partitions
from pipelines.defs.resources import build_resources
from pipelines.ingest.discovery import DropZone
from pipelines.settings import Paths
from pipelines.transform.build_state import built_from, partitioned_sources

METER_SCHEMA = pa.schema(
    [*LINEAGE_FIELDS, pa.field("meter_id", pa.string()), pa.field("kwh", pa.float64())]
)
SUITE = {
    "name": "meter_readings",
    "expectations": [
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 1},
            "meta": {"rule": "has_readings", "message": "the file has no readings"},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "kwh", "min_value": 0},
            "meta": {"rule": "kwh_not_negative", "message": "is below zero"},
        },
    ],
}


def read_meters(delivery, profile=None) -> ParsedDelivery:
    """A reader as small as a reader gets: `meter;kwh`, one reading per line."""
    with delivery.path.open(encoding="utf-8") as handle:
        records = list(csv.DictReader(handle, delimiter=";"))
    rows = pa.array(range(2, len(records) + 2), pa.int64())
    columns = {
        "meter_id": pa.array([r["meter"] for r in records], pa.string()),
        "kwh": pc.cast(pa.array([r["kwh"] for r in records]), pa.float64()),
    }
    raw = pa.table({"source_row": rows, "meter": columns["meter_id"], "kwh": columns["kwh"]})
    return ParsedDelivery(
        delivery=delivery,
        delivery_id=delivery.content_hash(),
        rows=with_lineage(METER_SCHEMA, columns, rows, delivery, delivery.content_hash()),
        raw=raw,
    )


@pytest.fixture
def meters(tmp_path, monkeypatch) -> DeliveryKind:
    suite = tmp_path / "meter_readings.json"
    suite.write_text(json.dumps(SUITE), encoding="utf-8")
    kind = DeliveryKind(
        name="meter_readings",
        file_stem="meters",
        readers={".csv": read_meters},
        schema=METER_SCHEMA,
        asset_name="meter_deliveries",
        description="Electricity meter readings per device.",
        dbt_source="meter_readings",
        title={"nl": "Meterstanden", "en": "Meter readings"},
        suite_file=suite,
    )
    monkeypatch.setitem(kinds.KINDS, kind.name, kind)
    return kind


@pytest.fixture
def paths(tmp_path) -> Paths:
    folder = tmp_path / "data_raw" / "deliveries" / "GM0363" / "2024"
    folder.mkdir(parents=True)
    (folder / "meters.csv").write_text("meter;kwh\nA1;120.5\nA2;-4\nA3;88\n", encoding="utf-8")
    return Paths(tmp_path / "data_raw", tmp_path / "warehouse")


def test_the_file_layout_knows_the_new_kind(meters, paths):
    delivery = delivery_from_path(paths.deliveries / "GM0363" / "2024" / "meters.csv")
    assert (delivery.kind, delivery.key) == ("meter_readings", "GM0363_2024_meter_readings")
    with pytest.raises(WrongDeliveryFolder, match=r"meters\.csv"):  # listed among the known files
        delivery_from_path(paths.deliveries / "GM0363" / "2024" / "meters.xlsx")
    assert [d.kind for d in DropZone.listed(paths.deliveries).deliveries] == ["meter_readings"]
    assert partitioned_sources()["meter_readings"] == "meter_readings"
    assert "meter_readings" in built_from()["contracts"]


def test_a_kind_declared_once_is_ingested_end_to_end(meters, paths):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(deliveries_partitions.name, ["GM0363-2024"])

    # one bad reading in three: over the default 1% a delivery is rejected whole
    config = {"workers": 1, "max_quarantined_row_share": 0.5}
    result = dg.materialize(
        [ingest_asset(meters)],
        partition_key="GM0363-2024",
        instance=instance,
        resources=build_resources(paths),
        run_config={"ops": {"meter_deliveries": {"config": config}}},
    )
    assert result.success
    assert dg.materialize(
        [load_results], instance=instance, resources=build_resources(paths)
    ).success

    landed = pq.read_table(paths.landing / "meter_readings" / "GM0363_2024_meter_readings.parquet")
    assert landed.column("meter_id").to_pylist() == ["A1", "A3"]
    assert landed.column("source_row").to_pylist() == [2, 4]
    quarantine = pq.read_table(
        paths.quarantine / "meter_readings" / "GM0363_2024_meter_readings.parquet"
    ).to_pylist()
    assert [(q["source_row"], q["rules"]) for q in quarantine] == [(3, ["kwh_not_negative"])]
    assert "is below zero" in quarantine[0]["reasons"][0]

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["accounting_closes"].passed  # 3 rows read = 2 landed + 1 quarantined
    assert not checks["deliveries_meet_contract"].passed
    assert (
        "kwh_not_negative"
        in checks["deliveries_meet_contract"].metadata["failed_expectations"].value
    )

    [slot] = pq.read_table(paths.landing / "load_results.parquet").to_pylist()
    assert (slot["kind"], slot["status"]) == ("meter_readings", "partially_accepted")
    assert (slot["rows_read"], slot["rows_landed"], slot["rows_quarantined"]) == (3, 2, 1)
    assert (paths.warehouse / "docs" / "index.html").exists()  # its GX run is in the Data Docs


def test_the_empty_landing_file_follows_a_kinds_schema_when_a_column_is_added(tmp_path):
    """A warehouse made before a column was added: the models must see the column even when
    nobody has delivered the kind since."""
    from pipelines.ingest.deliveries import ensure_landing_schema

    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")
    target = paths.landing / "training" / "_schema.parquet"
    target.parent.mkdir(parents=True)
    schema = kinds.kind("training").schema
    older = pa.schema([field for field in schema if field.name != "course"])
    pq.write_table(older.empty_table(), target)
    ensure_landing_schema(paths, "training")
    assert pq.read_schema(target).equals(schema, check_metadata=False)
    written = target.stat().st_mtime_ns
    ensure_landing_schema(paths, "training")
    assert target.stat().st_mtime_ns == written  # unchanged schema: left alone


def test_names_and_column_shapes_of_the_kinds_come_from_the_registry():
    from pipelines.contract.vocabulary import column_aliases
    from pipelines.ingest.profile_guess import SHAPES
    from pipelines.report import labels

    for name, declared in kinds.KINDS.items():
        assert set(declared.title) == {"nl", "en"}
        assert labels.vocabulary(labels.KINDS, name, "en") == declared.title["en"]
        # every shape is of a column the contract knows
        if declared.column_shapes:
            assert set(declared.column_shapes) <= set(column_aliases(name)), name
    assert SHAPES.keys() == {"ledger", "assets", "training", "applications"}
