import datetime as dt
import json
import os
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pytest

from pipelines.contract.delivery import Delivery, delivery_from_path
from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.contract.schemas import ASSET_SCHEMA, LINEAGE_FIELDS
from pipelines.demo.assets_training import write_assets_and_training
from pipelines.readers.asset_register import read_asset_register
from pipelines.readers.dutch_values import parse_amount, parse_date

EXPECTATIONS = Path(__file__).resolve().parents[1] / "expectations"

TOPDESK = (
    "Objectnummer;Objectsoort;Aanschafdatum;Aanschafprijs;Status;Kostenplaats;"
    "Afschrijvingstermijn (jaren)\n"
)
LANSWEEPER = "AssetID;AssetName;AssetType;PurchaseDate;PurchasePrice;State;CostCenter\n"


def deliver(tmp_path: Path, text: str | bytes, name: str = "assets.csv") -> Delivery:
    path = tmp_path / "GM0363" / "2024" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return delivery_from_path(path)


def deliver_xlsx(tmp_path: Path, rows: list[list[object]]) -> Delivery:
    path = tmp_path / "GM0363" / "2024" / "assets.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return delivery_from_path(path)


def problems_by_rule(parsed) -> dict[str, list]:
    found: dict[str, list] = {}
    for problem in parsed.row_problems:
        found.setdefault(problem.rule, []).append(problem)
    return found


# --- Dutch values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("-1.234,56", "-1234.56"),
        ("1.234,56-", "-1234.56"),
        ("1.234,-", "1234.00"),
        ("€ 1.234,56", "1234.56"),
        ("1.234.567,8", "1234567.80"),
        ("12", "12.00"),
    ],
)
def test_dutch_amounts(text: str, expected: str):
    values, failed = parse_amount(pa.array([text]))
    assert values.to_pylist() == [Decimal(expected)]
    assert failed.to_pylist() == [False]


@pytest.mark.parametrize("text", ["abc", "1,234.56", "12.5", "-1,5-", "1,234", "1.23"])
def test_not_dutch_amounts_fail(text: str):
    values, failed = parse_amount(pa.array([text]))
    assert values.to_pylist() == [None]
    assert failed.to_pylist() == [True]


def test_empty_amount_is_null_not_failed():
    values, failed = parse_amount(pa.array(["", None, "  "]))
    assert values.to_pylist() == [None, None, None]
    assert failed.to_pylist() == [False, False, False]


def test_dutch_dates():
    values, failed = parse_date(
        pa.array(["14-03-2024", "1-3-2024", "2024-03-14", "14-03-2024 00:00:00", "", None]),
        iso_and_time=True,
    )
    march = [dt.date(2024, 3, 14), dt.date(2024, 3, 1), dt.date(2024, 3, 14)]
    assert values.to_pylist() == [*march, dt.date(2024, 3, 14), None, None]
    assert not any(failed.to_pylist())


@pytest.mark.parametrize("text", ["31-02-2024", "29-02-2023", "14-03-24", "03/14/2024", "gisteren"])
def test_impossible_or_foreign_dates_fail(text: str):
    values, failed = parse_date(pa.array([text]), iso_and_time=True)
    assert values.to_pylist() == [None]
    assert failed.to_pylist() == [True]


def test_real_date_cells_pass_through():
    values, failed = parse_date(pa.array([dt.date(2024, 3, 14)]))
    assert values.to_pylist() == [dt.date(2024, 3, 14)]
    assert failed.to_pylist() == [False]


# --- CSV --------------------------------------------------------------------------------------


def test_topdesk_csv_in_windows_1252(tmp_path: Path):
    text = (
        TOPDESK
        + "NB001;Notebook;14-03-2022;1.234,-;In gebruik;7100;4\n"
        + "MON002;Beeldscherm;01-02-2021;189,95;Voorraad;7100;6\n"
        + "SRV003;Server;31-12-2019;12.450,00;Afgevoerd;KPL-ICT;5 jaar\n"
        + "NET004;Firewall;02-01-2024;€ 3.100,00;Actief;;\n"
    )
    parsed = read_asset_register(deliver(tmp_path, text.encode("cp1252")))
    assert parsed.rows.schema == ASSET_SCHEMA
    assert parsed.rows.schema.names[: len(LINEAGE_FIELDS)] == [f.name for f in LINEAGE_FIELDS]
    assert parsed.row_problems == []
    rows = parsed.rows.to_pylist()
    assert [r["asset_class"] for r in rows] == ["laptop", "monitor", "server", "network"]
    assert [r["status"] for r in rows] == ["in_use", "in_stock", "retired", "in_use"]
    assert rows[0]["purchase_price"] == Decimal("1234.00")
    assert rows[0]["purchase_date"] == dt.date(2022, 3, 14)
    assert rows[2]["depreciation_years"] == 5
    assert rows[3]["cost_centre"] is None
    assert [r["source_row"] for r in rows] == [2, 3, 4, 5]
    assert {r["source_file"] for r in rows} == {"GM0363/2024/assets.csv"}
    assert {r["delivery_id"] for r in rows} == {parsed.delivery.content_hash()}
    assert parsed.raw.column_names[:3] == ["source_row", "Objectnummer", "Objectsoort"]
    assert parsed.raw.column("Aanschafprijs").to_pylist()[0] == "1.234,-"


def test_windows_1252_is_noted(tmp_path: Path):
    text = TOPDESK + "NB001;Notebook;14-03-2022;1.234,-;In gebruik;Financiën;4\n"
    parsed = read_asset_register(deliver(tmp_path, text.encode("cp1252")))
    assert "not valid UTF-8 (first non-UTF-8 byte at offset 154); read as Windows-1252" in (
        parsed.notes
    )
    assert parsed.header["encoding"] == "windows-1252"
    assert parsed.rows.column("cost_centre").to_pylist() == ["Financiën"]


def test_lansweeper_csv_with_bom(tmp_path: Path):
    text = LANSWEEPER + "10023;GM-LT-01;Laptop;2023-05-01;1249,00;Active;7100\n"
    text += "10024;GM-PR-01;Multifunctional;2020-05-01;3.999,99;Disposed;7100\n"
    parsed = read_asset_register(deliver(tmp_path, b"\xef\xbb\xbf" + text.encode()))
    rows = parsed.rows.to_pylist()
    assert [r["asset_id"] for r in rows] == ["10023", "10024"]  # AssetID preferred to AssetName
    assert [r["asset_class"] for r in rows] == ["laptop", "printer"]
    assert [r["status"] for r in rows] == ["in_use", "retired"]
    assert rows[1]["purchase_price"] == Decimal("3999.99")
    assert rows[0]["depreciation_years"] is None
    assert any("`AssetID` is used" in note for note in parsed.notes)


def test_unknown_column_name_is_reported_with_accepted_names(tmp_path: Path):
    text = "Objectnummer;Objectsoort;Gekocht op;Aanschafprijs;Status\nNB1;Laptop;1-1-2024;1,00;Actief\n"
    with pytest.raises(WrongLayout) as caught:
        read_asset_register(deliver(tmp_path, text))
    error = caught.value
    assert error.column == "purchase_date"
    assert "required column `purchase_date` is missing" in error.message
    assert "Aanschafdatum" in error.message and "PurchaseDate" in error.message
    assert "`Gekocht op`" in error.hint


def test_missing_purchase_date_is_a_row_problem(tmp_path: Path):
    text = (
        TOPDESK
        + "NB001;Laptop;14-03-2022;999,00;In gebruik;7100;4\nNB002;Laptop;;999,00;In gebruik;7100;4\n"
    )
    parsed = read_asset_register(deliver(tmp_path, text))
    [problem] = parsed.row_problems
    assert (problem.source_row, problem.column, problem.rule) == (
        3,
        "Aanschafdatum",
        "purchase_date_missing",
    )
    assert "dd-mm-yyyy" in problem.message
    assert parsed.rows.num_rows == 2  # the row stays, for quarantine to pick up


def test_price_that_is_not_an_amount_is_a_row_problem(tmp_path: Path):
    text = TOPDESK + "NB001;Laptop;14-03-2022;abc;In gebruik;7100;4\n"
    parsed = read_asset_register(deliver(tmp_path, text))
    [problem] = parsed.row_problems
    assert problem.message == "column `Aanschafprijs`: 'abc' is not an amount"
    assert (problem.source_row, problem.value) == (2, "abc")
    assert parsed.rows.column("purchase_price").to_pylist() == [None]


def test_unknown_status_is_a_problem_and_unknown_class_is_other(tmp_path: Path):
    text = TOPDESK + "X1;Beamer 3D;14-03-2022;10,00;Kwijt;7100;4\nX2;;14-03-2022;10,00;Actief;;\n"
    parsed = read_asset_register(deliver(tmp_path, text))
    found = problems_by_rule(parsed)
    assert found["status_unknown"][0].value == "Kwijt"
    assert found["asset_class_missing"][0].source_row == 3
    assert parsed.rows.column("asset_class").to_pylist() == ["other", None]
    assert any("'Beamer 3D' (1)" in note for note in parsed.notes)


def test_empty_lines_keep_record_numbers_and_are_noted(tmp_path: Path):
    text = TOPDESK + "\nNB001;Laptop;14-03-2022;1,00;Actief;;\n;;;;;;\n"
    parsed = read_asset_register(deliver(tmp_path, text))
    assert parsed.rows.column("source_row").to_pylist() == [3]
    assert "empty rows skipped: 2 (first at row 2)" in parsed.notes


def test_comma_separated_file_is_a_wrong_layout(tmp_path: Path):
    text = "Objectnummer,Objectsoort,Aanschafdatum\nNB1,Laptop,1-1-2024\n"
    with pytest.raises(WrongLayout, match=r"separated by a comma \(','\); expected ';'"):
        read_asset_register(deliver(tmp_path, text))


def test_ragged_row_names_its_record(tmp_path: Path):
    text = TOPDESK + "NB001;Laptop;14-03-2022;1,00;Actief;;\nNB002;Laptop;1,00\n"
    with pytest.raises(WrongLayout) as caught:
        read_asset_register(deliver(tmp_path, text))
    assert caught.value.row == 3
    assert "3 fields where the header has 7" in caught.value.message


def test_a_stray_quote_is_one_quarantined_row_with_its_text(tmp_path: Path):
    good = "".join(f"PC{i:03d};Desktop;01-02-2021;899,00;In gebruik;7100;5\n" for i in range(50))
    stray = 'NB001;Laptop;14-03-2022;1,00;In gebruik;"7100;5\n'
    parsed = read_asset_register(deliver(tmp_path, TOPDESK + stray + good))
    assert parsed.rows.num_rows == 50
    [problem] = problems_by_rule(parsed)["unbalanced_quote"]
    assert (problem.source_row, problem.column, problem.value) == (2, None, stray.strip())
    assert "field 6 starts with a double quote that does not close" in problem.message


def test_empty_file_is_unreadable(tmp_path: Path):
    with pytest.raises(UnreadableFile, match="empty"):
        read_asset_register(deliver(tmp_path, b""))


def test_excel_workbook_named_csv_is_unreadable(tmp_path: Path):
    with pytest.raises(UnreadableFile, match="Excel workbook"):
        read_asset_register(deliver(tmp_path, b"PK\x03\x04rest-of-a-zip"))


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_with_real_dates_and_numbers(tmp_path: Path):
    delivery = deliver_xlsx(
        tmp_path,
        [
            ["AssetID", "AssetType", "PurchaseDate", "PurchasePrice", "State", "CostCenter"],
            [10023, "Laptop", dt.date(2023, 5, 1), 1249.0, "Active", 7100],
            ["A-2", "Smartphone", dt.datetime(2022, 1, 3, 9, 30), 0.1 + 0.2, "In stock", None],
        ],
    )
    parsed = read_asset_register(delivery)
    rows = parsed.rows.to_pylist()
    assert parsed.row_problems == []
    assert [r["asset_id"] for r in rows] == ["10023", "A-2"]
    assert [r["purchase_date"] for r in rows] == [dt.date(2023, 5, 1), dt.date(2022, 1, 3)]
    assert [r["purchase_price"] for r in rows] == [Decimal("1249.00"), Decimal("0.30")]
    assert rows[0]["cost_centre"] == "7100"
    assert [r["source_row"] for r in rows] == [2, 3]
    assert parsed.header["format"] == "xlsx"


def test_xlsx_title_rows_above_the_header_are_skipped(tmp_path: Path):
    delivery = deliver_xlsx(
        tmp_path,
        [
            ["TOPdesk - Objecten export"],
            ["Peildatum 31-12-2024"],
            [],
            ["Objectnummer", "Soort", "Aanschafdatum", "Aanschafwaarde", "Status"],
            ["NB001", "Notebook", "14-03-2022", "1.234,-", "In gebruik"],
            ["NB002", "Notebook", None, 999, "In gebruik"],
        ],
    )
    parsed = read_asset_register(delivery)
    assert parsed.header["header_row"] == 4
    assert parsed.rows.column("source_row").to_pylist() == [5, 6]  # Excel's own row numbers
    assert parsed.rows.column("purchase_price").to_pylist()[0] == Decimal("1234.00")
    [problem] = parsed.row_problems
    assert (problem.source_row, problem.column) == (6, "Aanschafdatum")
    assert "header found on row 4; rows above it skipped" in parsed.notes


def test_xlsx_that_is_really_a_csv_is_unreadable(tmp_path: Path):
    text = TOPDESK + "NB001;Laptop;14-03-2022;1,00;Actief;;\n"
    with pytest.raises(UnreadableFile, match="contains CSV text") as caught:
        read_asset_register(deliver(tmp_path, text, name="assets.xlsx"))
    assert "assets.csv" in caught.value.hint


def test_xlsx_without_known_header_reports_missing_columns(tmp_path: Path):
    delivery = deliver_xlsx(tmp_path, [["Foo", "Bar"], [1, 2]])
    with pytest.raises(WrongLayout, match="required column `asset_id` is missing"):
        read_asset_register(delivery)


# --- demo data --------------------------------------------------------------------------------


@pytest.mark.parametrize("style", [0, 1, 2, 3])
def test_demo_asset_registers_read_cleanly(tmp_path: Path, style: int):
    write_assets_and_training(
        tmp_path, "GM0339", 2024, 5_631, np.random.default_rng(style), style=style
    )
    [path] = (tmp_path / "deliveries" / "GM0339" / "2024").glob("assets.*")
    assert path.suffix == (".xlsx" if style in (1, 2) else ".csv")
    parsed = read_asset_register(delivery_from_path(path))
    assert parsed.row_problems == []
    assert parsed.rows.num_rows > 50
    assert set(parsed.rows.column("asset_class").to_pylist()) >= {"laptop", "monitor", "server"}
    assert max(parsed.rows.column("purchase_date").to_pylist()) <= dt.date(2024, 12, 31)


def test_demo_data_is_deterministic(tmp_path: Path):
    for folder in ("a", "b"):
        write_assets_and_training(
            tmp_path / folder, "GM0339", 2024, 5_631, np.random.default_rng(1), style=2
        )
    for name in ("assets.xlsx", "training.csv"):
        first = (tmp_path / "a" / "deliveries" / "GM0339" / "2024" / name).read_bytes()
        second = (tmp_path / "b" / "deliveries" / "GM0339" / "2024" / name).read_bytes()
        assert first == second


# --- expectations -----------------------------------------------------------------------------


def validate(kind: str, rows: pa.Table, parameters: dict[str, object]) -> dict[str, list[int]]:
    """Run expectations/<kind>.json on the rows; failed rule -> failing source rows."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    definition = json.loads((EXPECTATIONS / f"{kind}.json").read_text(encoding="utf-8"))
    for expectation in definition["expectations"]:
        assert {"rule", "hint"} <= set(expectation["meta"]), expectation
        kwargs = expectation["kwargs"]
        for key, value in kwargs.items():
            if isinstance(value, str) and value.startswith("$"):
                kwargs[key] = parameters[value[1:]]
    suite = gx.ExpectationSuite(**definition)
    frame = rows.cast(
        pa.schema(
            [
                pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f
                for f in rows.schema
            ]
        )
    ).to_pandas(date_as_object=True)
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("deliveries")
        .add_dataframe_asset(kind)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": ["source_row"],
        },
    )
    failures = {}
    for outcome in result.results:
        assert not outcome.exception_info.get("raised_exception"), outcome.exception_info
        if not outcome.success:
            indexes = outcome.result.get("unexpected_index_list") or []
            failures[outcome.expectation_config.meta["rule"]] = sorted(
                int(item["source_row"]) for item in indexes
            )
    return failures


def test_assets_suite_flags_the_expected_rows(tmp_path: Path):
    text = (
        TOPDESK
        + "NB001;Laptop;14-03-2022;1.234,-;In gebruik;7100;4\n"
        + "NB001;Laptop;14-03-2022;1.234,-;In gebruik;7100;4\n"
        + "NB003;Laptop;01-03-2025;999,00;In gebruik;7100;4\n"
        + "NB004;Laptop;;999,00;Kwijt;7100;40\n"
        + "NB005;Laptop;01-03-2023;-999,00;In gebruik;7100;4\n"
    )
    parsed = read_asset_register(deliver(tmp_path, text))
    parameters = {"fiscal_year_end": dt.date(2024, 12, 31)}
    assert validate("assets", parsed.rows, parameters) == {
        "asset_id_unique": [2, 3],
        "purchase_date_present": [5],
        "purchase_date_not_after_fiscal_year": [4],
        "purchase_price_plausible": [6],
        "status_present": [5],
        "depreciation_years_plausible": [5],
    }


def test_a_formula_with_a_computed_value_reads_as_its_value(tmp_path: Path):
    """As Excel saves it: the result beside the formula; an empty text result is a result too."""
    from tests.test_bad_inputs import SHEET_END, SHEET_START, workbook

    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>NB001</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>Laptop</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>14-03-2022</t></is></c>'
        '<c r="D2"><f>1000+234.56</f><v>1234.56</v></c>'
        '<c r="E2" t="inlineStr"><is><t>In gebruik</t></is></c>'
        '<c r="F2" t="str"><f>IF(1=1,"","x")</f><v></v></c></row>'
    )
    path = tmp_path / "GM0363" / "2024" / "assets.xlsx"
    path.parent.mkdir(parents=True)
    workbook(SHEET_START + rows.encode() + SHEET_END)(path)
    parsed = read_asset_register(delivery_from_path(path))
    assert parsed.rows.column("purchase_price").to_pylist() == [Decimal("1234.56")]
    assert parsed.rows.column("cost_centre").to_pylist() == [None]


def test_a_workbook_laid_out_otherwise_is_not_checked_for_formulas(tmp_path: Path):
    from pipelines.readers.xlsx_formulas import uncomputed_formulas

    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("book/sheet.xml", "<worksheet/>")
    assert uncomputed_formulas(path, "Objecten", ["book/sheet.xml"]) == []
