"""Personal data typed into free-text cells is replaced by a marker; course names stay as they are."""

import re
import time
from collections import Counter

import pyarrow as pa
import pytest

from pipelines.readers.scrub import scrub_array, scrub_note, scrub_table, scrub_text

# (cell as typed, the personal part that must be gone, the kind counted)
DISGUISES = [
    ("Jan Jansen 123456", ["Jan", "Jansen", "123456"], "naam en nummer"),
    ("Cursus J. de Vries (12345)", ["J.", "Vries", "12345"], "naam en nummer"),
    ("Excel voor Petra Pietersen, E10002", ["Petra", "Pietersen", "E10002"], "naam en nummer"),
    ("Sanne de Vries - 98765", ["Sanne", "Vries", "98765"], "naam en nummer"),
    ("98765 Jan Jansen", ["98765", "Jansen"], "naam en nummer"),
    ("Jansen, J. 12345", ["Jansen", "12345"], "naam en nummer"),
    ("BHV Mohammed El Amrani E10003", ["Mohammed", "Amrani", "E10003"], "naam en nummer"),
    ("Jan Jansen 06-12345678", ["Jansen", "12345678"], "naam en nummer"),
    ("Ingeschreven door Jan Jansen (jan@x.nl)", ["Jansen", "jan@"], "naam en nummer"),
    ("123456782", ["123456782"], "BSN"),
    ("BSN 1234.56.782", ["1234.56.782", "56.782"], "BSN"),
    ("bsn: 123 456 782 (controle)", ["123 456 782"], "BSN"),
    ("111-22-2333", ["111-22-2333", "2333"], "BSN"),
    ("jan.jansen@gemeente.nl", ["jan.jansen", "gemeente.nl"], "e-mail"),
    ("JAN.JANSEN@GEMEENTE.NL", ["JANSEN", "GEMEENTE"], "e-mail"),
    ("jan.jansen @ gemeente.nl", ["jansen", "gemeente"], "e-mail"),
    ("jan.jansen [at] gemeente [dot] nl", ["jansen", "gemeente"], "e-mail"),
    ("jan.jansen(at)gemeente.nl", ["jansen", "gemeente"], "e-mail"),
    ("jan.jansen {at} gemeente {punt} nl", ["jansen", "gemeente"], "e-mail"),
    ("jan.jansen at gemeente dot nl", ["jansen", "gemeente"], "e-mail"),
    ("jan punt jansen apenstaartje gemeente punt nl", ["jansen", "gemeente"], "e-mail"),
    ("mailto:jan.jansen@gemeente.nl", ["mailto", "jansen"], "e-mail"),
    ("j.jansen&#64;gemeente.nl", ["jansen", "gemeente"], "e-mail"),
    ("j.jansen%40gemeente.nl", ["jansen", "gemeente"], "e-mail"),
    ("j.jansen＠gemeente.nl", ["jansen", "gemeente"], "e-mail"),
    ("j.jansen-at-gemeente.nl", ["jansen", "gemeente"], "e-mail"),
    ("vragen: jan@gemeente", ["jan@gemeente"], "e-mail"),
    ("06-12345678", ["12345678"], "telefoonnummer"),
    ("0612345678", ["0612345678"], "telefoonnummer"),
    ("06 1234 5678", ["1234 5678"], "telefoonnummer"),
    ("+31 6 1234 5678", ["1234 5678", "+31"], "telefoonnummer"),
    ("+31(0)20 123 45 67", ["123 45 67"], "telefoonnummer"),
    ("0031 6 12345678", ["12345678", "0031"], "telefoonnummer"),
    ("020-1234567", ["1234567"], "telefoonnummer"),
    ("bel (010) 123 4567", ["123 4567"], "telefoonnummer"),
    ("0513-123456", ["123456"], "telefoonnummer"),
    ("NL91 ABNA 0417 1643 00", ["ABNA", "0417", "1643"], "IBAN"),
    ("NL91ABNA0417164300", ["NL91ABNA0417164300"], "IBAN"),
    ("iban nl91abna0417164300 declaratie", ["abna0417164300"], "IBAN"),
    ("DE89 3704 0044 0532 0130 00", ["3704", "0532"], "IBAN"),
]

# Course, department and category names, and the other cells of a training row, that are not
# personal data and must come out exactly as they went in.
ORDINARY = [
    "ITIL 4 Foundation",
    "Microsoft 365 basis",
    "Azure AZ-900",
    "BIO/ISO 27001",
    "ISO 27001 Lead Auditor",
    "Lead Auditor 27001",
    "Prince2 (2e editie)",
    "VCA 2024",
    "Excel 2016 level 3",
    "Windows Server 2022",
    "Cisco CCNA 200-301",
    "NEN 7510",
    "Power BI Desktop 2023",
    "Scrum Master PSM I",
    "SAFe 6.0 Agilist",
    "Office 365 (E3)",
    "Informatiebeveiliging (BIO) 2024",
    "Digitale Vaardigheden 2024",
    "Project Management 12345",
    "Cursus 2024-2025 week 1",
    "Week 12 2024",
    "Nederlands B1 (NT2)",
    "Schrijven voor het web",
    "AVG / privacy voor medewerkers",
    "BHV herhaling 2024",
    "I&A",
    "Burgerzaken",
    "Financiën",
    "Team I&A 2024",
    "Digitale vaardigheden",
    "ICT",
    "Overig",
    "1,00",
    "0,89",
    "16",
    "7,5",
    "1.250,00",
    "12.345,67",
    "12-03-2024",
    "2024-03-12",
    "01-02-2024 10:30",
    "GM0363",
]


@pytest.mark.parametrize(("text", "secrets", "kind"), DISGUISES, ids=[d[0] for d in DISGUISES])
def test_a_disguise_leaves_nothing_of_the_personal_part(text, secrets, kind):
    scrubbed, counts = scrub_array(pa.array([text]))
    [result] = scrubbed.to_pylist()
    assert f"[verwijderd: {kind}]" in result
    left = [s for s in secrets if s.casefold() in result.casefold()]
    assert not left, f"{left} left in {result!r}"
    assert not re.search(r"\d{4}", result), result
    assert counts[kind] == 1


def test_the_catalogue_is_long_enough():
    assert len(DISGUISES) >= 20
    assert len(ORDINARY) >= 20
    assert {kind for *_, kind in DISGUISES} == {
        "e-mail",
        "BSN",
        "telefoonnummer",
        "IBAN",
        "naam en nummer",
    }


@pytest.mark.parametrize("text", ORDINARY)
def test_an_ordinary_name_survives_unchanged(text):
    scrubbed, counts = scrub_array(pa.array([text]))
    assert scrubbed.to_pylist() == [text]
    assert not counts


def test_the_words_around_the_personal_part_stay():
    assert scrub_text("Cursus J. de Vries (12345)") == "Cursus [verwijderd: naam en nummer]"
    assert scrub_text("Excel, vragen aan jan@x.nl") == "Excel, vragen aan [verwijderd: e-mail]"
    assert scrub_text("BHV 06-12345678 bellen") == "BHV [verwijderd: telefoonnummer] bellen"


def test_numbers_that_fail_their_check_are_not_personal():
    # nine digits that fail the 11-proef, and an IBAN shape of another country with bad checks
    assert scrub_text("123456789") == "123456789"
    assert scrub_text("DE00 3704 0044 1532 1130 00") == "DE00 3704 0044 1532 1130 00"
    # digit groups that read as a Dutch phone number are still taken for one: safe side
    assert "IBAN" not in scrub_text("DE00 3704 0044 0532 0130 00")


def test_nulls_and_counts_per_kind():
    values = pa.array([None, "jan@x.nl", "Jan Jansen 12345", "ICT", "", "06-12345678"])
    scrubbed, counts = scrub_array(values)
    assert scrubbed.to_pylist()[0] is None
    assert scrubbed.to_pylist()[3:5] == ["ICT", ""]
    assert counts == {"e-mail": 1, "naam en nummer": 1, "telefoonnummer": 1}
    note = scrub_note(counts)
    assert note == (
        "personal data removed from text cells, never stored (cells per kind): "
        "e-mail 1, telefoonnummer 1, naam en nummer 1"
    )
    assert scrub_note(counts - counts) is None


def test_a_table_keeps_its_other_columns():
    table = pa.table({"course": ["Excel", "BSN 123456782"], "hours": [1.0, 2.0]})
    scrubbed, counts = scrub_table(table)
    assert scrubbed.column("course").to_pylist() == ["Excel", "BSN [verwijderd: BSN]"]
    assert scrubbed.column("hours").to_pylist() == [1.0, 2.0]
    assert counts == {"BSN": 1}


def test_the_columns_scrubbed_together_each_keep_their_own_cells():
    course = pa.chunked_array([["Excel", None], ["BHV j.jansen@gemeente.nl"]])
    table = pa.table(
        {
            "course": course,
            "department": ["Team 06-12345678", "ICT", ""],
            "employee": ["Jan Jansen 123456", "x", "y"],  # left out below: stays as it is
            "hours": [1.0, 2.0, 3.0],
        }
    )
    scrubbed, counts = scrub_table(table, ["course", "department", "hours"])
    assert scrubbed.column_names == table.column_names
    assert scrubbed.column("course").to_pylist() == ["Excel", None, "BHV [verwijderd: e-mail]"]
    assert scrubbed.column("department").to_pylist() == [
        "Team [verwijderd: telefoonnummer]",
        "ICT",
        "",
    ]
    assert scrubbed.column("employee").to_pylist() == ["Jan Jansen 123456", "x", "y"]
    assert scrubbed.column("hours").to_pylist() == [1.0, 2.0, 3.0]
    assert counts == {"e-mail": 1, "telefoonnummer": 1}
    empty = table.slice(0, 0)
    assert scrub_table(empty) == (empty, Counter())


def test_a_hundred_thousand_cells_take_well_under_a_second():
    cells = [ORDINARY[i % len(ORDINARY)] for i in range(100_000)]
    cells[::50] = ["Excel voor Jan Jansen 123456"] * len(cells[::50])
    started = time.perf_counter()
    _, counts = scrub_array(pa.array(cells))
    assert counts == {"naam en nummer": 2_000}
    assert time.perf_counter() - started < 3  # generous: the machine is shared
