import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from pipelines.contract.delivery import Delivery, delivery_from_path
from pipelines.contract.errors import WrongLayout
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import TRAINING_SCHEMA
from pipelines.demo.assets_training import write_assets_and_training
from pipelines.readers.pseudonymise import make_pseudonymiser
from pipelines.readers.training import read_training
from tests.test_asset_register import validate

PSEUDONYMISE = make_pseudonymiser(b"k" * 64)
DUTCH = "Personeelsnummer;Naam;E-mail;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum\n"
ENGLISH = "EmployeeID;Name;Email;Department;FTE;Course;Course category;Hours;Cost;Date\n"


def deliver(tmp_path: Path, text: str, encoding: str = "utf-8") -> Delivery:
    path = tmp_path / "GM0363" / "2024" / "training.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return delivery_from_path(path)


def everything_returned(parsed) -> str:
    """All text a reader hands on: rows, raw (names and values), notes, problems, header."""
    parts = [str(parsed.notes), str(parsed.header), str(parsed.row_problems)]
    for table in (parsed.rows, parsed.raw):
        parts.append(str(table.column_names))
        parts.append(str(table.to_pylist()))
    return "\n".join(parts)


def test_one_row_per_employee_and_course_plus_roster_rows(tmp_path: Path):
    text = (
        DUTCH
        + "100234;Jan de Vries;j.devries@gm0363.example;Burgerzaken;0,89;Excel gevorderd;"
        + "Digitale vaardigheden;7,5;1.234,-;14-03-2024\n"
        + "100234;Jan de Vries;j.devries@gm0363.example;Burgerzaken;0,89;Omgevingswet;"
        + "Vakinhoudelijk;12;;02-05-2024\n"
        + "100235;Ömer Çelik;o.celik@gm0363.example;Financiën;1,00;;;;;\n"
    )
    parsed = read_training(deliver(tmp_path, text, "cp1252"), PSEUDONYMISE)
    assert parsed.rows.schema == TRAINING_SCHEMA
    assert parsed.row_problems == []
    rows = parsed.rows.to_pylist()
    assert [r["employee_key"] for r in rows] == [
        PSEUDONYMISE("100234"),
        PSEUDONYMISE("100234"),
        PSEUDONYMISE("100235"),
    ]
    assert [r["fte"] for r in rows] == [0.89, 0.89, 1.0]
    assert [r["course_category"] for r in rows] == ["ict", "other", None]
    assert [r["hours"] for r in rows] == [7.5, 12.0, None]
    assert [r["cost"] for r in rows] == [Decimal("1234.00"), None, None]
    assert rows[0]["training_date"] == dt.date(2024, 3, 14)
    assert rows[2]["course"] is None and rows[2]["department"] == "Financiën"
    assert [r["source_row"] for r in rows] == [2, 3, 4]


def test_english_headers_in_utf8_with_bom(tmp_path: Path):
    text = (
        "\ufeff"
        + ENGLISH
        + "E-17;Zoë Yılmaz;z.yilmaz@gm0363.example;IT;0,5;Azure;Digital skills;14;1.150,00;2024-06-01\n"
    )
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    [row] = parsed.rows.to_pylist()
    assert row["employee_key"] == PSEUDONYMISE("e-17")
    assert (row["course_category"], row["fte"], row["training_date"]) == (
        "ict",
        0.5,
        dt.date(2024, 6, 1),
    )


def test_names_and_emails_never_leave_the_reader(tmp_path: Path):
    names = ["Jan de Vries", "Ömer Çelik", "Fatima el Amrani", "Anouk Bakker"]
    emails = [f"person{i}@gm0363.example" for i in range(len(names))]
    ids = ["900111", "900112", "900113", "900114"]
    header = "Personeelsnummer;Voornaam;Achternaam;E-mailadres;Geboortedatum;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum\n"
    lines = []
    for i, (name, email, employee) in enumerate(zip(names, emails, ids, strict=True)):
        first, last = name.split(" ", 1)
        department = email if i == 3 else "Sociaal Domein"  # an address where it does not belong
        fte = "abc" if i == 2 else "0,89"  # a row problem on this person's row
        lines.append(
            f"{employee};{first};{last};{email};01-0{i + 1}-1980;{department};{fte};"
            f"Excel;ICT;8;100,00;1{i}-03-2024\n"
        )
    parsed = read_training(deliver(tmp_path, header + "".join(lines), "cp1252"), PSEUDONYMISE)
    returned = everything_returned(parsed)
    for secret in [*names, *(n.split(" ", 1)[1] for n in names), *emails, *ids, "1980"]:
        assert secret not in returned
    assert "Voornaam" not in parsed.raw.column_names
    assert parsed.raw.column_names[1] == "Personeelsnummer (pseudonym)"
    assert parsed.raw.column(1).to_pylist() == [PSEUDONYMISE(i) for i in ids]
    assert any("personal data dropped" in note and "`E-mailadres`" in note for note in parsed.notes)
    assert [p.rule for p in parsed.row_problems] == ["fte_not_a_number"]


def test_demo_training_files_hold_names_that_are_dropped(tmp_path: Path):
    for style in (0, 1):
        out = tmp_path / str(style)
        write_assets_and_training(out, "GM0339", 2024, 5_631, np.random.default_rng(3), style=style)
        path = out / "deliveries" / "GM0339" / "2024" / "training.csv"
        source = path.read_bytes().decode("utf-8-sig" if style else "cp1252")
        emails = {field for line in source.splitlines()[1:] for field in line.split(";")[2:3]}
        assert len(emails) > 20 and all("@" in email for email in emails)
        parsed = read_training(delivery_from_path(path), PSEUDONYMISE)
        assert parsed.row_problems == []
        returned = everything_returned(parsed)
        assert not any(email in returned for email in emails)
        trained = parsed.rows.filter(parsed.rows.column("course").is_valid())
        assert 0 < trained.num_rows < parsed.rows.num_rows
        assert set(trained.column("course_category").to_pylist()) == {"ict", "other"}


def test_row_problems_name_row_and_column(tmp_path: Path):
    text = (
        DUTCH
        + ";Piet;p@x.example;I&A;1,00;ITIL;ICT;21;1.450,00;06-10-2024\n"
        + "100236;Els;e@x.example;I&A;0.8;;;;;\n"
        + "100237;Bo;b@x.example;I&A;1;;;3;;\n"
        + "100238;Ed;d@x.example;I&A;1;Excel;;;;31-02-2024\n"
    )
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    found = {(p.source_row, p.column, p.rule): p for p in parsed.row_problems}
    assert set(found) == {
        (2, "Personeelsnummer", "employee_id_missing"),
        (3, "FTE", "fte_not_a_number"),
        (4, "Opleiding", "course_missing"),
        (5, "Categorie", "course_category_missing"),
        (5, "Uren", "hours_missing"),
        (5, "Datum", "training_date_not_a_date"),
    }
    assert found[(3, "FTE", "fte_not_a_number")].message == (
        "column `FTE`: '0.8' is not a number (decimal comma, e.g. 0,89)"
    )
    assert found[(2, "Personeelsnummer", "employee_id_missing")].value is None


def test_missing_required_column_does_not_echo_the_header(tmp_path: Path):
    # No header row: the first employee's data stands where the column names should be.
    text = "100234;Jan de Vries;j.devries@gm0363.example;Burgerzaken;0,89\n"
    with pytest.raises(WrongLayout) as caught:
        read_training(deliver(tmp_path, text), PSEUDONYMISE)
    error = caught.value
    assert error.column == "employee_id"
    assert "Personeelsnummer" in error.message and "EmployeeID" in error.message
    assert "Jan de Vries" not in str(error.as_dict())
    assert "100234" not in str(error.as_dict())


def test_training_suite_flags_the_expected_rows(tmp_path: Path):
    text = (
        DUTCH
        + "1;A;a@x.example;I&A;1,00;Excel;ICT;8;100,00;14-03-2024\n"
        + "2;B;b@x.example;I&A;2,50;;;;;\n"
        + "3;C;c@x.example;I&A;1,00;ITIL;ICT;3000;100,00;14-03-2024\n"
        + "4;D;d@x.example;I&A;1,00;Excel;Overig;8;100,00;31-12-2023\n"
        + "5;E;e@x.example;I&A;1,00;Excel;ICT;8;-5,00;01-01-2024\n"
    )
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    assert parsed.row_problems == []
    parameters = {
        "fiscal_year_start": dt.date(2024, 1, 1),
        "fiscal_year_end": dt.date(2024, 12, 31),
    }
    assert validate("training", parsed.rows, parameters) == {
        "fte_plausible": [3],
        "hours_plausible": [4],
        "cost_plausible": [6],
        "training_date_in_fiscal_year": [5],
    }


def test_a_stray_quote_is_one_row_problem_that_keeps_no_personal_text(tmp_path: Path):
    text = (
        DUTCH
        + '100234;Jan de Vries;"j.devries@gm0363.example;Burgerzaken;0,89;Excel;ICT;7,5;;'
        + "14-03-2024\n"
        + "100235;Piet Bakker;p.bakker@gm0363.example;Financiën;1,00;;;;;\n"
    )
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    assert parsed.rows.num_rows == 1
    [problem] = parsed.row_problems
    assert (problem.source_row, problem.rule, problem.value) == (2, "unbalanced_quote", None)
    assert "field 3 starts with a double quote" in problem.message
    returned = everything_returned(parsed)
    assert not [s for s in ("Jan de Vries", "devries", "100234") if s in returned]


ROLE = "Personeelsnummer;Afdeling;FTE;Rol;Opleiding;Categorie;Uren;Kosten;Datum\n"


def test_the_role_column_maps_words_onto_codes(tmp_path: Path):
    text = (
        ROLE
        + "1;I&A;1,00;Informatiemanagement;Azure;ICT;8;;01-04-2024\n"
        + "1;I&A;1,00;Informatiemanagement;;;;;\n"
        + "2;I&A;0,80;Functioneel beheer;;;;;\n"
        + "3;I&A;1,00;CISO;;;;;\n"
        + "4;Juridisch;0,50;FG;;;;;\n"
        + "5;I&A;1,00;Data en BI;;;;;\n"
        + "6;I&A;1,00;ICT-beheer;;;;;\n"
        + "7;Burgerzaken;1,00;;;;;;\n"
    )
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    assert parsed.row_problems == []
    assert parsed.rows.column("role").to_pylist() == [
        "information_management",
        "information_management",
        "functional_management",
        "information_security",
        "privacy",
        "data_bi",
        "ict_operations",
        None,  # blank: no ICT role
    ]
    assert parsed.rows.column("gaps").to_pylist() == [[]] * 8


def test_an_unknown_role_counts_as_other_with_a_gap_and_a_note(tmp_path: Path):
    text = ROLE + "1;I&A;1,00;Scrum master;;;;;\n2;I&A;1,00;Architect;;;;;\n"
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    assert parsed.rows.column("role").to_pylist() == ["other", "other"]
    assert parsed.rows.column("gaps").to_pylist() == [["role_unknown"], ["role_unknown"]]
    assert (
        "column `Rol`: unknown roles counted as other (map them in the delivery profile): "
        "'Architect' (1), 'Scrum master' (1)" in parsed.notes
    )


def test_an_unknown_role_and_category_are_both_gaps(tmp_path: Path):
    text = ROLE + "1;I&A;1,00;Scrum master;Agile;Methodiek;8;;01-04-2024\n"
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    assert parsed.rows.column("gaps").to_pylist() == [["course_category_unknown", "role_unknown"]]


def test_a_file_without_a_role_column_reads_as_before(tmp_path: Path):
    text = DUTCH + "1;Jan;j@x.nl;I&A;1,00;Azure;ICT;8;;01-04-2024\n"
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE)
    assert parsed.rows.column("role").to_pylist() == [None]
    assert "role" not in parsed.header["columns"]
    assert not [note for note in parsed.notes if "role" in note.lower()]


def test_a_profile_maps_its_own_role_header_and_words(tmp_path: Path):
    text = (
        "Personeelsnummer;Afdeling;FTE;Functiecluster;Opleiding;Categorie;Uren;Kosten;Datum\n"
        "1;I&A;1,00;Regie informatievoorziening;;;;;\n"
        "2;I&A;1,00;Beheer werkplek;;;;;\n"
    )
    profile = KindProfile(
        columns={"role": "Functiecluster"},
        values={
            "role": {
                "Regie informatievoorziening": "information_management",
                "Beheer werkplek": "ict_operations",
            }
        },
    )
    parsed = read_training(deliver(tmp_path, text), PSEUDONYMISE, profile=profile)
    assert parsed.rows.column("role").to_pylist() == ["information_management", "ict_operations"]
    assert parsed.rows.column("gaps").to_pylist() == [[], []]
