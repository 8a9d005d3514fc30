"""Names, e-mail addresses and raw employee ids never land anywhere in the warehouse."""

import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
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


# -- nothing personal survives: free text, and the bytes of the published file -----------------

# A department of six shown in the mart, and two of one or two employees whose names the mart
# suppresses ("(small departments combined)"): those names must not be in the published bytes.
SHOWN = "Dienstverlening"
SUPPRESSED = ["Kabinet Burgemeester Geheim", "Integriteitsbureau Vertrouwelijk"]
# Personal data typed into kept cells, and what of it must be found nowhere.
TYPED = [
    ("Excel voor Jan Jansen 847261", ["Jansen", "847261"]),
    ("Cursus J. de Vries (59317)", ["Vries", "59317"]),
    ("BHV, BSN 111.222.333", ["111.222.333", "111222333"]),
    ("Vragen: p.pietersen [at] gemeente-voorbeeld [dot] nl", ["pietersen", "gemeente-voorbeeld"]),
    ("Terugbellen 06-38472916", ["38472916"]),
    ("Declaratie NL91 ABNA 0417 1643 00", ["ABNA", "0417 1643", "0417164300"]),
    ("Bel +31 20 555 0199", ["555 0199", "5550199"]),
]
TYPED_SECRETS = [secret for _, secrets in TYPED for secret in secrets]


def hr_file(extra_employees: int = 0, *, broken: bool = False) -> str:
    lines = ["Personeelsnummer;Naam;Afdeling;FTE;Opleiding;Categorie;Uren;Kosten;Datum"]
    for i in range(6 + extra_employees):
        course = TYPED[i % len(TYPED)][0]
        lines.append(f"E2{i:04d};Jan Jansen;{SHOWN};1,00;{course};ICT;8;345,00;12-03-2024")
    lines.append(f"E30001;Piet Geheim;{SUPPRESSED[0]};1,00;{TYPED[-1][0]};ICT;4;;01-02-2024")
    lines.append(f"E30002;;{SUPPRESSED[1]};0,80;Telefoon 020-5550199;Overig;4;;01-02-2024")
    lines.append(f"E30003;;{SUPPRESSED[1]};0,60;;;;;")
    if broken:  # a bad row in a small file: the whole file goes to quarantine, scrubbed
        lines.append("E30004;;Bel 06-38472916;abc;BSN 111222333;ICT;4;;01-02-2024")
    return "\n".join(lines) + "\n"


def typed_in(secret: str, data: bytes) -> bytes | None:
    """The secret as typed, with what surrounds it; not its digits inside a longer number (the
    warehouse is full of them: timings in dbt's log, modification times in nanoseconds, content
    hashes, in which five digits turn up by chance: two clean-clone runs found 59317, in no text
    of the delivery)."""
    pattern = rb"(?<![0-9])" + re.escape(secret.casefold().encode()) + rb"(?![0-9])"
    found = re.search(pattern, data.lower())
    return data[max(found.start() - 40, 0) : found.end() + 40] if found else None


def raw_texts(warehouse: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in warehouse.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def published_twice(tmp_path_factory, dbt_manifest) -> Path:
    """Two runs: the first publishes, the second (one employee more) publishes again and keeps
    the first file as a version."""
    root = tmp_path_factory.mktemp("fresh")
    data_raw = root / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    landed = data_raw / "deliveries" / "GM0363" / "2024" / "training.csv"
    landed.write_text(hr_file(), encoding="utf-8")
    quarantined = data_raw / "deliveries" / "GM0088" / "2024" / "training.csv"
    quarantined.write_text(hr_file(broken=True), encoding="utf-8")
    assert run_benchmark(data_raw, root / "warehouse").success
    landed.write_text(hr_file(extra_employees=1), encoding="utf-8")
    assert run_benchmark(data_raw, root / "warehouse").success
    return root / "warehouse"


def test_typed_personal_data_is_in_no_byte_of_the_warehouse(published_twice: Path):
    warehouse = published_twice
    assert (warehouse / "landing" / "training" / "GM0363_2024_training.parquet").exists()
    assert (warehouse / "quarantine" / "training" / "GM0088_2024_training.parquet").exists()
    assert list((warehouse / "docs").rglob("*.html")), "Data Docs were written"
    found = [
        (str(path.relative_to(warehouse)), secret, context)
        for path, data in raw_texts(warehouse).items()
        for secret in TYPED_SECRETS
        if (context := typed_in(secret, data))
    ]
    assert not found
    everything = every_text_in(warehouse).casefold()  # compressed pages, read as values
    values = everything.encode()
    assert not [
        (secret, typed_in(secret, values)) for secret in TYPED_SECRETS if typed_in(secret, values)
    ]
    assert "[verwijderd: naam en nummer]" in everything


def test_the_published_file_and_its_versions_hold_only_what_their_tables_show(
    published_twice: Path,
):
    warehouse = published_twice
    pseudonyms = set()
    for path in (warehouse / "landing" / "training").glob("GM*.parquet"):
        pseudonyms |= set(pq.read_table(path, columns=["employee_key"])["employee_key"].to_pylist())
    assert len(pseudonyms) >= 10
    versions = sorted((warehouse / "versions").glob("benchmark-*.duckdb"))
    assert versions, "the second run kept the first published file"
    published = [warehouse / "benchmark.duckdb", *versions]
    wanted = [*pseudonyms, *SUPPRESSED]
    for path in published:
        with duckdb.connect(str(path), read_only=True) as connection:
            shown = str(
                [
                    connection.execute(f'select * from "{table}"').fetchall()
                    for (table,) in connection.execute("show tables").fetchall()
                ]
            )
        assert SHOWN in shown  # the mart does show departments of five or more
        assert not [text for text in wanted if text in shown]  # the tables show neither ...
        data = path.read_bytes()
        assert not [text for text in wanted if text.encode() in data], path.name  # ... nor bytes
    # the check can see them: the build database, which keeps the intermediate tables, has them
    build = (warehouse / "build" / "benchmark.duckdb").read_bytes()
    assert [text for text in wanted if text.encode() in build]
