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


def test_a_line_break_inside_quotes_is_two_unreadable_lines_named_as_such(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b\n1;"twee\nregels"\n2;x\n3;"drie\r\nregels"\n4;y\n'))
    assert text.source_rows.to_pylist() == [4, 7]
    assert [(u.line, u.rule, u.text) for u in text.unreadable_lines] == [
        (2, "unbalanced_quote", '1;"twee'),
        (3, "unbalanced_quote", 'regels"'),
        (5, "unbalanced_quote", '3;"drie'),
        (6, "unbalanced_quote", 'regels"'),
    ]
    first, second = text.unreadable_lines[:2]
    assert first.message == (
        "unbalanced double quote: the quoted text of field 2 goes on to line 3; "
        "a line break inside a field is not supported (export without them)"
    )
    assert second.message == (
        "unbalanced double quote: this line goes on with the quoted text of line 2; "
        "a line break inside a field is not supported"
    )
    assert text.broken_rows == []


def test_blank_rows_are_left_out_and_noted(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "a;b;c\n1;2;3\n\n;;\n   \n4;5;6\n"))
    assert text.source_rows.to_pylist() == [2, 6]
    assert text.notes == ["empty rows skipped: 3 (first at row 3)"]
    assert text.broken_rows == []


def test_broken_rows_are_returned_with_their_line(tmp_path: Path):
    path = write(tmp_path, 'a;b;c\n1;"x;y";3\n7;8\n9;10;11\n12\n"a;b";"c"\n')
    text = read_text_csv(path)
    assert text.source_rows.to_pylist() == [2, 4]
    assert [(row.line, row.fields, row.text) for row in text.broken_rows] == [
        (3, 2, "7;8"),
        (5, 1, "12"),
        (6, 2, '"a;b";"c"'),
    ]


def test_refusing_broken_rows_names_the_first_without_its_content(tmp_path: Path):
    text = read_text_csv(write(tmp_path, "a;b;c\n1;2;3\nJan;geheim\n4\n"))
    with pytest.raises(WrongLayout) as caught:
        refuse_broken_rows(text, LABEL)
    error = caught.value
    assert (error.file, error.row) == (LABEL, 3)
    assert error.message == "2 fields where the header has 3 (2 rows like this)"
    assert "geheim" not in str(error.as_dict())


# -- one line is one row: quotes never join lines ---------------------------------------------


def accounted(text) -> int:
    """Every data line is a row, a broken row or an unreadable line (blank lines aside)."""
    return text.table.num_rows + len(text.broken_rows) + len(text.unreadable_lines)


def test_a_stray_quote_far_from_the_next_one_takes_only_its_own_line(tmp_path: Path):
    lines = [f"{i};Omschrijving {i};10,00" for i in range(5000)]
    lines[10] = '10;"Kabels en adapters;10,00'
    lines[4990] = '4990;Monitor 27";10,00'  # the next quote, thousands of lines further on
    text = read_text_csv(write(tmp_path, "nr;omschrijving;bedrag\n" + "\n".join(lines) + "\n"))
    assert accounted(text) == 5000
    assert [(u.line, u.rule, u.text) for u in text.unreadable_lines] == [
        (12, "unbalanced_quote", '10;"Kabels en adapters;10,00')
    ]
    assert text.unreadable_lines[0].message == (
        "unbalanced double quote: field 2 starts with a double quote that does not close on "
        "this line"
    )
    assert text.table.num_rows == 4999
    assert 12 not in text.source_rows.to_pylist()
    assert text.table.column("omschrijving")[4989].as_py() == 'Monitor 27"'


def test_a_quote_inside_unquoted_text_is_text(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b;c\n1;Dell 24" monitor;3\n2;x"y"z;4\n'))
    assert text.table.to_pylist() == [
        {"a": "1", "b": 'Dell 24" monitor', "c": "3"},
        {"a": "2", "b": 'x"y"z', "c": "4"},
    ]
    assert (text.unreadable_lines, text.broken_rows) == ([], [])


def test_quoted_fields_are_unquoted_and_may_hold_separators(tmp_path: Path):
    text = read_text_csv(
        write(tmp_path, 'a;b;c\n"1";"Dell 24"" monitor";"3"\n"2";"x;y";""\n3;"";"z"\n')
    )
    assert text.table.to_pylist() == [
        {"a": "1", "b": 'Dell 24" monitor', "c": "3"},
        {"a": "2", "b": "x;y", "c": ""},
        {"a": "3", "b": "", "c": "z"},
    ]
    assert text.source_rows.to_pylist() == [2, 3, 4]
    assert (text.unreadable_lines, text.broken_rows) == ([], [])


def test_an_unclosed_quote_on_the_last_line_is_unreadable(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b;c\n1;x;3\n2;y;"3'))
    assert [(u.line, u.text) for u in text.unreadable_lines] == [(3, '2;y;"3')]
    assert text.table.to_pylist() == [{"a": "1", "b": "x", "c": "3"}]


def test_text_after_a_closing_quote_is_unreadable(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b;c\n1;"Dell 24" monitor";3\n2;y;3\n'))
    [line] = text.unreadable_lines
    assert (line.line, line.rule) == (2, "unbalanced_quote")
    assert line.message.startswith("unbalanced double quote: field 2 has text after its closing")
    assert text.source_rows.to_pylist() == [3]


def test_a_continuation_line_that_looks_like_a_row_does_not_land(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b\n1;"twee\nregels";3\n4;5\n'.replace(";3", "")))
    assert [u.line for u in text.unreadable_lines] == [2, 3]
    assert text.source_rows.to_pylist() == [4]


def test_two_stray_quotes_on_neighbouring_lines_stay_two_lines(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b;c\n1;"x;3\n2;"y;3\n4;z;5\n'))
    assert [u.line for u in text.unreadable_lines] == [2, 3]
    assert all("does not close on this line" in u.message for u in text.unreadable_lines)
    assert text.source_rows.to_pylist() == [4]


def test_windows_1252_lines_with_quotes(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b\n"€ 5";"café ""x"""\n"open;1\n'.encode("cp1252")))
    assert text.table.to_pylist() == [{"a": "€ 5", "b": 'café "x"'}]
    assert [(u.line, u.text) for u in text.unreadable_lines] == [(3, '"open;1')]


def test_a_header_with_an_unclosed_quote_is_refused(tmp_path: Path):
    with pytest.raises(UnreadableFile, match="unbalanced double quote in the header, in column 2"):
        read_text_csv(write(tmp_path, 'a;"b;c\n1;2;3\n'))


# -- a line too long ---------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_5_mb_line_is_unreadable_with_its_length_and_the_limit(tmp_path: Path, newline: str):
    lines = ["a;b", *(f"{i};x" for i in range(20000)), "1;" + "y" * 5_000_000, "2;z", ""]
    text = read_text_csv(write(tmp_path, newline.join(lines)))
    [line] = text.unreadable_lines
    assert (line.line, line.rule) == (20002, "line_too_long")
    assert line.message == (
        "the line is 5 000 002 bytes long; the limit is 1 048 576 bytes (1 MiB) per line"
    )
    assert line.text == "1;" + "y" * 198 + "…"
    assert text.source_rows.to_pylist()[-2:] == [20001, 20003]
    assert accounted(text) == 20002
    assert text.notes == []


def test_a_line_over_the_limit_that_arrow_reads_is_unreadable_too(tmp_path, monkeypatch):
    monkeypatch.setattr(dutch_csv, "MAX_LINE_BYTES", 10)
    text = read_text_csv(write(tmp_path, "a;b\n1;x\n2;yyyyyyyyyyyy\n3;z\n"))
    assert [(u.line, u.rule) for u in text.unreadable_lines] == [(3, "line_too_long")]
    assert text.source_rows.to_pylist() == [2, 4]


def test_a_header_line_too_long_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(dutch_csv, "MAX_LINE_BYTES", 10)
    with pytest.raises(UnreadableFile, match=r"the first line .* is longer than 10 characters"):
        read_text_csv(write(tmp_path, "abcdef;ghijkl\n1;2\n"))


def test_spaces_after_a_closing_quote_are_padding(tmp_path: Path):
    text = read_text_csv(write(tmp_path, 'a;b;c\n"x;y"  ;"z" \t;1\n'))
    assert text.table.to_pylist() == [{"a": "x;y", "b": "z", "c": "1"}]
    assert text.unreadable_lines == []
