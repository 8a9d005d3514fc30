"""Soft fields: a row that some figures can still use lands, without the value it lacks or has
wrong; only rows no figure can use are quarantined, and only they count against the 1% rule."""

import json
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.contract.suites import soft_fields
from pipelines.ingest.deliveries import ingest_kind
from pipelines.readers.pseudonymise import make_pseudonymiser
from pipelines.settings import Paths

HEADER = "Objectnummer;Objectsoort;Aanschafdatum;Aanschafprijs;Status;Kostenplaats"


def register(tmp_path: Path, rows: list[str]) -> Paths:
    path = tmp_path / "data_raw" / "deliveries" / "GM0363" / "2024" / "assets.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return Paths(tmp_path / "data_raw", tmp_path / "warehouse")


def good(i: int) -> str:
    return f"NB{i:04d};Laptop;14-03-2022;1.100,00;In gebruik;7100"


def landed(paths: Paths, kind: str = "assets") -> dict[str, dict]:
    table = pq.read_table(paths.landing / kind / f"GM0363_2024_{kind}.parquet")
    return {row["source_row"]: row for row in table.to_pylist()}


def quarantine(paths: Paths, kind: str = "assets") -> dict[int, dict]:
    table = pq.read_table(paths.quarantine / kind / f"GM0363_2024_{kind}.parquet")
    return {row["source_row"]: row for row in table.to_pylist()}


def test_the_suites_say_which_fields_are_soft():
    assert set(soft_fields("assets")) == {"purchase_date", "purchase_price", "depreciation_years"}
    assert {"hours", "cost", "course_category"} <= set(soft_fields("training"))
    assert soft_fields("ledger") == {}  # a ledger line without a valid amount or date is unusable


def test_devices_with_gaps_land_and_say_what_they_lack(tmp_path):
    rows = [good(i) for i in range(96)] + [
        "NB0100;Laptop;;1.100,00;In gebruik;7100",  # no purchase date
        "NB0101;Laptop;gisteren;1.100,00;In gebruik;7100",  # not a date
        "NB0102;Laptop;14-03-2031;1.100,00;In gebruik;7100",  # after the fiscal year
        "NB0103;Windows workstation;14-03-2022;2.000.000,00;In gebruik;7100",  # kind, price
    ]
    paths = register(tmp_path, rows)

    [result] = ingest_kind(paths, "assets")

    assert (result.status, result.rows_read, result.rows_landed) == ("accepted", 100, 100)
    assert (result.rows_quarantined, result.rows_with_gaps) == (0, 4)
    rows_landed = landed(paths)
    assert rows_landed[98]["purchase_date"] is None
    assert rows_landed[98]["gaps"] == ["purchase_date_missing"]
    assert rows_landed[99]["gaps"] == ["purchase_date_not_a_date"]
    assert rows_landed[100]["purchase_date"] is None
    assert rows_landed[100]["gaps"] == ["purchase_date_not_after_fiscal_year"]
    assert rows_landed[101]["asset_class"] == "other" and rows_landed[101]["purchase_price"] is None
    assert rows_landed[101]["gaps"] == ["asset_class_unknown", "purchase_price_plausible"]
    assert rows_landed[2]["gaps"] == []
    kept = quarantine(paths)
    assert sorted(kept) == [98, 99, 100, 101] and all(row["landed"] for row in kept.values())
    assert "fill in the purchase date" in kept[98]["reasons"][0]
    assert any("4 row(s) landed without a value" in note for note in result.notes)


def test_gaps_do_not_count_against_the_one_percent_rule(tmp_path):
    """A register in which 3% of the devices have no purchase date lands whole."""
    rows = [good(i) for i in range(97)] + [
        f"NB9{i:03d};Laptop;;950,00;Actief;7100" for i in range(3)
    ]
    [result] = ingest_kind(register(tmp_path, rows), "assets")
    assert (result.status, result.rows_landed, result.rows_with_gaps) == ("accepted", 100, 3)


def test_a_row_with_a_hard_problem_is_quarantined_whatever_else_it_lacks(tmp_path):
    rows = [good(i) for i in range(199)] + [";Laptop;;950,00;In gebruik;7100"]
    paths = register(tmp_path, rows)

    [result] = ingest_kind(paths, "assets")

    assert (result.status, result.rows_landed, result.rows_quarantined) == (
        "partially_accepted",
        199,
        1,
    )
    assert result.rows_with_gaps == 0
    [row] = quarantine(paths).values()
    assert not row["landed"] and row["rules"] == ["asset_id_missing", "purchase_date_missing"]


def test_a_course_without_hours_counts_as_a_course(tmp_path):
    path = tmp_path / "data_raw" / "deliveries" / "GM0363" / "2024" / "training.csv"
    path.parent.mkdir(parents=True)
    lines = ["Personeelsnummer;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum"]
    lines += [f"{1000 + i};KCC;1,0;Excel;ICT;4;100,00;01-03-2024" for i in range(99)]
    lines += ["2000;KCC;0,8;Schrijftraining;Communicatie;;250,00;01-04-2024"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")

    [result] = ingest_kind(paths, "training", pseudonymiser=make_pseudonymiser(b"s" * 32))

    assert (result.status, result.rows_landed, result.rows_with_gaps) == ("accepted", 100, 1)
    row = landed(paths, "training")[101]
    assert (row["course"], row["hours"], row["gaps"]) == (
        "Schrijftraining",
        None,
        ["hours_missing"],
    )
    assert row["course_category"] == "other"
    # what the controller reads: the problem, marked as landed without the value
    problem = next(p for p in result.problems if p["row"] == 101)
    assert problem["landed"] and json.dumps(problem)
