"""The limits a workbook is checked against before it is parsed (pipelines/readers/zip_limits.py)."""

import datetime as dt
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipelines.contract.errors import TooLarge, UnreadableFile
from pipelines.contract.vocabulary import column_aliases
from pipelines.readers.register_text import read_register_text
from pipelines.readers.zip_limits import XLSX_LIMITS, ZipLimits, check_zip
from tests.test_bad_inputs import SHEET_END, SHEET_START, workbook

LABEL = "GM0363/2024/assets.xlsx"


def sheet(rows: str) -> bytes:
    return SHEET_START + rows.encode() + SHEET_END


def test_a_register_of_5000_devices_and_30_columns_passes_easily(tmp_path: Path):
    path = tmp_path / "assets.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Objectnummer", "Objectsoort", "Aanschafdatum", "Aanschafprijs", "Status"])
    book.active["AD1"] = "Opmerking"
    rng = random.Random(1)
    for number in range(5000):
        book.active.append(
            [f"NB{number:05d}", "Laptop", dt.date(2022, 3, 14), 1234.56, "In gebruik"]
            + [f"waarde {rng.randrange(10**6)}" for _ in range(25)]
        )
    book.save(path)
    summary = check_zip(path, LABEL)
    [(part, cells)] = summary.cells.items()
    assert (part, cells) == ("xl/worksheets/sheet1.xml", 5001 * 30 - 24)
    limits = XLSX_LIMITS
    assert cells * 10 < limits.max_cells
    assert summary.inflated_bytes * 10 < limits.max_total_bytes
    assert read_register_text(path, LABEL, column_aliases("assets")).table.num_rows == 5000


def test_cells_are_counted_without_references_too(tmp_path: Path):
    path = tmp_path / "assets.xlsx"
    workbook(sheet("<row><c/><c/><c/></row>" * 4))(path)
    assert check_zip(path, LABEL).cells == {"xl/worksheets/sheet1.xml": 6 + 12}


def test_the_same_cell_over_and_over_is_counted(tmp_path: Path):
    path = tmp_path / "assets.xlsx"
    workbook(sheet('<row r="2"><c r="A2"/></row>' * 100))(path)
    with pytest.raises(TooLarge, match="more than 50 cells; the limit is 50 cells per sheet"):
        check_zip(path, LABEL, ZipLimits(max_cells=50))


def test_one_wide_row_and_many_narrow_ones_are_a_wide_rectangle(tmp_path: Path):
    path = tmp_path / "assets.xlsx"
    workbook(sheet("<row>" + "<c/>" * 50 + "</row>" + "<row><c/></row>" * 30))(path)
    with pytest.raises(TooLarge, match="reaches cell AX21, a range of 1 050 cells from A1"):
        check_zip(path, LABEL, ZipLimits(max_cells=1000))


def test_cell_tags_with_a_namespace_prefix_count(tmp_path: Path):
    path = tmp_path / "assets.xlsx"
    rows = '<x:row r="1"><x:c r="A1"/><x:c r="B1"/></x:row><x:row r="9"><x:c r="C9"/></x:row>'
    workbook(sheet(rows))(path)
    assert check_zip(path, LABEL).cells == {"xl/worksheets/sheet1.xml": 6 + 3}
    with pytest.raises(TooLarge, match="reaches cell F9"):  # the header row runs to F
        check_zip(path, LABEL, ZipLimits(max_cells=50))


def test_a_tag_cut_in_two_by_the_chunks_is_still_counted(tmp_path: Path, monkeypatch):
    from pipelines.readers import zip_limits

    monkeypatch.setattr(zip_limits, "_CHUNK", 7)
    path = tmp_path / "assets.xlsx"
    workbook(sheet('<row r="2"><c r="A2"/><c r="B2"><f>A2</f><v>1</v></c></row>'))(path)
    summary = check_zip(path, LABEL)
    assert summary.cells == {"xl/worksheets/sheet1.xml": 8}
    assert summary.formula_parts == ["xl/worksheets/sheet1.xml"]


def test_the_total_inflated_size_is_a_limit_of_its_own(tmp_path: Path):
    path = tmp_path / "assets.xlsx"
    workbook(sheet("<row><c/></row>" * 1000))(path)
    with pytest.raises(TooLarge, match=r"its parts inflate to .* MiB for all parts"):
        check_zip(path, LABEL, ZipLimits(max_total_bytes=10_000))


def test_too_many_parts_are_refused_from_the_end_record(tmp_path: Path, monkeypatch):
    path = tmp_path / "assets.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(30):
            archive.writestr(f"part{number}.xml", "<x/>")

    def never(*args: object) -> None:
        raise AssertionError("the zip's directory was read")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    with pytest.raises(TooLarge, match="it has 30 parts; the limit is 20 parts"):
        check_zip(path, LABEL, ZipLimits(max_parts=20))


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda data: data[: len(data) // 2], "its end record is missing"),
        (lambda data: data[:100] + b"\x00" * 50 + data[150:], "damaged or unsupported zip"),
    ],
)
def test_a_damaged_zip_is_unreadable(tmp_path: Path, damage, says: str):
    path = tmp_path / "assets.xlsx"
    workbook(sheet("<row><c/></row>"))(path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(UnreadableFile, match=says):
        check_zip(path, LABEL)
