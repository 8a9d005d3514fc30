"""Names, e-mail addresses and raw employee ids never land anywhere in the warehouse."""

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.readers.pseudonymise import make_pseudonymiser
from tests.conftest import FIXTURES, run_benchmark

pytestmark = pytest.mark.slow

PEOPLE = [
    ("E10001", "Jan Jansen", "j.jansen@gemeente-voorbeeld.nl", "I&A", "1,00"),
    ("E10002", "Petra Pietersen", "p.pietersen@gemeente-voorbeeld.nl", "Burgerzaken", "0,89"),
    ("E10003", "Mohammed El Amrani", "m.elamrani@gemeente-voorbeeld.nl", "I&A", "0,67"),
    ("E10004", "Sanne de Vries", "sanne.devries@gemeente-voorbeeld.nl", "Financiën", "1,00"),
]
SECRETS = [text for person in PEOPLE for text in person[:3]] + ["Jansen", "Pietersen", "El Amrani"]


def training_csv(valid: bool) -> str:
    lines = ["Personeelsnummer;Naam;E-mail;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum"]
    for number, name, email, department, fte in PEOPLE:
        lines.append(
            f"{number};{name};{email};{department};{fte};Excel voor {name} ({email});ICT;8;345,00;12-03-2024"
        )
        lines.append(f"{number};{name};{email};{department};{fte};;;;;")
    if not valid:  # a bad row sends the whole file to quarantine, with every person in it
        lines.append(
            "E10005;Kees Kapot;kees@gemeente-voorbeeld.nl;I&A;abc;BHV;Overig;4;;01-02-2024"
        )
    return "\n".join(lines) + "\n"


def every_text_in(warehouse: Path) -> str:
    texts = []
    for path in warehouse.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            texts.append(str(duckdb.sql(f"select * from '{path}'").fetchall()))
        elif path.suffix == ".duckdb":
            with duckdb.connect(str(path), read_only=True) as connection:
                for schema, table in connection.execute(
                    "select schema_name, table_name from duckdb_tables()"
                ).fetchall():
                    texts.append(
                        str(connection.execute(f'select * from "{schema}"."{table}"').fetchall())
                    )
        else:
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(texts)


def test_no_personal_data_reaches_landing_quarantine_or_mart(tmp_path, dbt_manifest):
    data_raw = tmp_path / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    deliveries = data_raw / "deliveries"
    # GM0363's file lands; GM0088's has a bad row, so all of it goes to quarantine
    (deliveries / "GM0363" / "2024" / "training.csv").write_text(
        training_csv(True), encoding="utf-8"
    )
    (deliveries / "GM0088" / "2024" / "training.csv").write_text(
        training_csv(False), encoding="utf-8"
    )
    result = run_benchmark(data_raw, tmp_path / "warehouse")
    assert result.success
    warehouse = tmp_path / "warehouse"
    assert (warehouse / "landing" / "training" / "GM0363_2024_training.parquet").exists()
    assert (warehouse / "quarantine" / "training" / "GM0088_2024_training.parquet").exists()
    everything = every_text_in(warehouse)
    for secret in SECRETS:
        assert secret.lower() not in everything.lower(), f"{secret!r} reached the warehouse"
    assert "@gemeente-voorbeeld.nl" not in everything
    with duckdb.connect(str(warehouse / "benchmark.duckdb"), read_only=True) as connection:
        fte, trained = connection.execute(
            "select fte, share_employees_trained from ict_benchmark where municipality_code = 'GM0363'"
        ).fetchone()
    assert fte == pytest.approx(3.56)
    assert trained == 1.0


def test_same_key_same_pseudonym_other_key_other_pseudonym():
    first = make_pseudonymiser(b"k" * 32)
    again = make_pseudonymiser(b"k" * 32)
    other = make_pseudonymiser(b"x" * 32)
    assert first("E10001") == again("e10001 ") != other("E10001")
