"""The one text reader behind every Dutch CSV delivery, above all where two readers used to differ."""

from pathlib import Path

import pytest

from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.readers import dutch_csv
from pipelines.readers.dutch_csv import read_text_csv, refuse_broken_rows

LABEL = "GM0363/2024/ledger.csv"


def write(tmp_path: Path, content: bytes | str) -> Path:
    path = tmp_path / "file.csv"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_fields_stay_text_as_delivered_with_empty_cells_as_empty_text(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "\ufeffa;b;c\r\n 1 ;;x\r\n"))
    assert text.header == ["a", "b", "c"]
    assert text.table.to_pylist() == [{"a": " 1 ", "b": "", "c": "x"}]
    assert (text.encoding, text.notes) == ("utf-8", [])


def test_windows_1252_is_said_with_the_first_byte_that_is_not_utf8(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "a;b\n€ 5;café\n".encode("cp1252")))
    assert text.table.to_pylist() == [{"a": "€ 5", "b": "café"}]
    assert text.encoding == "windows-1252"
    assert text.notes == [
        "not valid UTF-8 (first non-UTF-8 byte at offset 4); read as Windows-1252"
    ]


def test_the_offset_is_right_when_a_character_is_cut_at_a_chunk_boundary(tmp_path, monkeypatch):
    monkeypatch.setattr(dutch_csv, "_CHUNK", 4)
    # 0xC3 at offset 7 starts a two-byte character in the second chunk; `;` in the third does
    # not continue it: the decoder holds 0xC3 back and only fails on the next chunk.
    text = read_text_csv(write(tmp_path, b"a;b\nxyz\xc3;1\n"))
    assert text.notes == [
        "not valid UTF-8 (first non-UTF-8 byte at offset 7); read as Windows-1252"
    ]
    assert text.table.to_pylist() == [{"a": "xyzÃ", "b": "1"}]


def test_neither_utf8_nor_windows_1252_names_the_byte(tmp_path: Path):
    with pytest.raises(UnreadableFile) as caught:
        read_text_csv(write(tmp_path, b"a;b\n1;\x81\n"), file=LABEL)
    assert caught.value.message == (
        "the file is neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 6)"
    )
    assert caught.value.file == LABEL


def test_an_excel_workbook_named_csv_is_named_as_such(tmp_path: Path):
    with pytest.raises(UnreadableFile, match="Excel workbook"):
        read_text_csv(write(tmp_path, b"PK\x03\x04rest-of-a-zip"))


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("a,b,c", "separated by a comma (','); expected ';'"),
        ("a\tb\tc", "separated by tabs; expected ';'"),
        ("a|b|c", "separated by a pipe ('|'); expected ';'"),
    ],
)
def test_another_separator_is_named(tmp_path: Path, header: str, said: str):
    with pytest.raises(WrongLayout) as caught:
        read_text_csv(write(tmp_path, f"{header}\n1;2;3\n"))
    assert caught.value.message == f"the columns are {said}"
    assert caught.value.row == 1


def test_a_header_of_only_separators_is_no_header(tmp_path: Path):
    with pytest.raises(UnreadableFile, match="the first row is empty"):
        read_text_csv(write(tmp_path, ";;\n1;2;3\n"))


def test_repeated_and_empty_column_names_are_kept_apart(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "Extra;extra;;source_row\n1;2;3;4\n"))
    assert text.header == ["Extra", "extra", "", "source_row"]
    assert text.table.column_names == ["Extra", "extra (2)", "column 3", "source_row (2)"]


def test_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b\n1;"twee\nregels"\n2;x\n3;"drie\r\nregels"\n4;y\n'))
    assert text.source_rows.to_pylist() == [2, 4, 5, 7]


def test_blank_rows_are_left_out_and_noted(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "a;b;c\n1;2;3\n\n;;\n   \n4;5;6\n"))
    assert text.source_rows.to_pylist() == [2, 6]
    assert text.notes == ["empty rows skipped: 3 (first at row 3)"]
    assert text.broken_rows == []


def test_broken_rows_are_returned_with_their_line(tmp_path: Path):
    path = write(tmp_path, 'a;b;c\n1;"x\ny";3\n7;8\n9;10;11\n12\n')
    text = read_text_csv(path)
    assert text.source_rows.to_pylist() == [2, 5]
    assert [(row.line, row.fields, row.text) for row in text.broken_rows] == [
        (4, 2, "7;8"),
        (6, 1, "12"),
    ]


def test_refusing_broken_rows_names_the_first_without_its_content(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "a;b;c\n1;2;3\nJan;geheim\n4\n"))
    with pytest.raises(WrongLayout) as caught:
        refuse_broken_rows(text, LABEL)
    error = caught.value
    assert (error.file, error.row) == (LABEL, 3)
    assert error.message == "2 fields where the header has 3 (2 rows like this)"
    assert "geheim" not in str(error.as_dict())
