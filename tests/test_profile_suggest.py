"""`ictbench profile suggest`: for every vendor layout with its profile removed, the proposal
names the right header for the identifier, date, amount and kind columns, lists the words
nothing knows with their rows, and, written with --write and finished like a controller would,
lands the layout completely. The command writes nothing unless asked."""

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipelines.cli.app import app
from pipelines.contract.profile import PROFILE_FILE, read_profile
from pipelines.contract.vocabulary import column_aliases, required_columns
from pipelines.ingest.deliveries import ingest_kind
from pipelines.ingest.profile_guess import SHAPES, name_similarity, propose_code, word_list
from pipelines.ingest.profile_suggest import suggest
from pipelines.ingest.profile_yaml import render, scalar
from pipelines.readers.pseudonymise import make_pseudonymiser
from pipelines.settings import Paths
from tests.vendor_layouts import ALL, LEDGER, TRAINING, Layout

PSEUDONYMISE = make_pseudonymiser(b"s" * 32)

# identifier, date, amount (or debit and credit) and kind of each kind of delivery
KEY_COLUMNS = {
    "assets": ("asset_id", "purchase_date", "purchase_price", "asset_class"),
    "training": ("employee_id", "training_date", "cost", "course_category"),
    "ledger": ("account_code", "booking_date", "amount", "debit", "credit"),
}
# Columns of a layout's expected values that the proposal does not place: nothing in the name
# or the values of `Budgethouder` or Twinfield's `Dimension 2` says "cost centre".
NOT_PLACED = {
    "TOPdesk Assetbeheer, templates as device kinds": {"cost_centre"},
    "Twinfield, English export with dimensions": {"cost_centre"},
}


# The TOPdesk export saved as a workbook with a cover sheet and title rows: only two of its
# headers are built-in aliases, so the reader alone cannot find its header row.
TOPDESK_WORKBOOK = replace(
    ALL[0],
    name="TOPdesk export saved as a workbook with a cover sheet",
    suffix=".xlsx",
    sheet="Objecten",
    title_rows=[["Overzicht objecten per 31-12-2024"], []],
)
LAYOUTS = [*ALL, TOPDESK_WORKBOOK]
NOT_PLACED[TOPDESK_WORKBOOK.name] = NOT_PLACED[ALL[0].name]


def drop_zone(layout: Layout, tmp_path: Path) -> Paths:
    """The layout delivered without its profile, as a municipality that has none yet."""
    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")
    layout.write(paths.deliveries)
    (paths.deliveries / "GM0363" / PROFILE_FILE).unlink()
    return paths


def run(*args: str):
    outcome = CliRunner().invoke(app, ["profile", "suggest", *args])
    if outcome.exception and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    return outcome


def layout_rows(layout: Layout, header: str, word: str) -> tuple[int, ...]:
    """The rows a controller sees the word on: CSV lines, or Excel rows below the title rows."""
    first = len(layout.title_rows) + 2
    position = layout.header.index(header)
    return tuple(first + i for i, row in enumerate(layout.rows) if row[position] == word)


def fill_in(text: str, word: str, code: str) -> str:
    """What a controller does with a commented value line: write the code after the colon and
    remove the `# ` in front of it and of the lines opening its block."""
    lines = text.splitlines()
    key = re.escape(scalar(word))
    [at] = [i for i, line in enumerate(lines) if re.match(rf"^\s*# {key}:(\s|$)", line)]
    indent, rest = lines[at].split("# ", 1)
    reason = rest.split(":", 1)[1]
    lines[at] = f"{indent}{scalar(word)}: {code}{reason}"
    depth = len(indent)
    for i in range(at - 1, -1, -1):
        opening = re.match(r"^(\s*)# (\w+):\s*(#.*)?$", lines[i])
        active = re.match(r"^(\s*)\w+:", lines[i])
        if active and len(active.group(1)) < depth:
            depth = len(active.group(1))
        elif opening and len(opening.group(1)) < depth:
            depth = len(opening.group(1))
            lines[i] = lines[i].replace("# ", "", 1)
        if depth == 0:
            break
    return "\n".join(lines) + "\n"


def landed(paths: Paths, kind: str) -> list[dict]:
    table = pq.read_table(paths.landing / kind / f"GM0363_2024_{kind}.parquet")
    return table.sort_by("source_row").to_pylist()


def plain(value):
    return str(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_the_identifier_date_amount_and_kind_columns_are_placed(layout: Layout, tmp_path):
    paths = drop_zone(layout, tmp_path)

    [proposal] = suggest([paths.deliveries / "GM0363"]).kinds

    own = layout.profile.get("columns", {})
    for canonical in KEY_COLUMNS[layout.kind]:
        placement = proposal.placement(canonical)
        if canonical in own:  # the layout's own header: found by the built-ins, or guessed
            assert placement.header == own[canonical], canonical
            assert placement.source in ("built-in", "guess"), canonical
        else:
            assert placement.source != "guess", (canonical, placement)
        if placement.source == "guess":
            assert placement.reason, canonical
    assert not [p.canonical for p in proposal.columns if p.source == "missing"]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_every_column_the_profile_names_is_placed_unless_known_not_to_be(layout, tmp_path):
    paths = drop_zone(layout, tmp_path)

    [proposal] = suggest([paths.deliveries / "GM0363"]).kinds

    missed = {
        canonical
        for canonical, header in layout.profile.get("columns", {}).items()
        if proposal.header_of(canonical) != header
    }
    assert missed == NOT_PLACED.get(layout.name, set())


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_the_words_nothing_knows_are_listed_with_their_rows(layout: Layout, tmp_path):
    paths = drop_zone(layout, tmp_path)

    [proposal] = suggest([paths.deliveries / "GM0363"]).kinds

    own = layout.profile.get("values", {})
    listed = {(u.column, u.word) for u in proposal.unknown}
    assert listed == {(column, word) for column, words in own.items() for word in words}
    for unknown in proposal.unknown:
        header = proposal.header_of(unknown.column)
        assert unknown.rows == layout_rows(layout, header, unknown.word)
        assert unknown.count == len(unknown.rows)
        assert unknown.code in (None, own[unknown.column][unknown.word]), unknown


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_the_written_proposal_finished_by_a_controller_lands_the_layout(layout, tmp_path):
    paths = drop_zone(layout, tmp_path)
    municipality = paths.deliveries / "GM0363"

    outcome = run(str(municipality), "--write")

    assert outcome.exit_code == 0, outcome.output
    profile = municipality / PROFILE_FILE
    text = profile.read_text(encoding="utf-8")
    assert text == outcome.stdout
    read_profile(profile)  # valid as it stands, with the unknown words still commented
    proposal = read_profile(profile).for_kind(layout.kind)
    proposed = proposal.values if proposal else {}
    for column, words in layout.profile.get("values", {}).items():
        for word, code in words.items():
            if proposed.get(column, {}).get(word) is None:
                text = fill_in(text, word, code)
    profile.write_text(text, encoding="utf-8")
    for column, header in layout.profile.get("columns", {}).items():
        if column in NOT_PLACED.get(layout.name, set()):
            continue
        assert read_profile(profile).for_kind(layout.kind).columns.get(column, header) == header

    pseudonymiser = PSEUDONYMISE if layout.kind == "training" else None
    [result] = ingest_kind(paths, layout.kind, pseudonymiser=pseudonymiser)

    assert (result.status, result.message) == ("accepted", None)
    assert (result.rows_read, result.rows_landed) == (len(layout.rows), len(layout.rows))
    rows = landed(paths, layout.kind)
    for column, values in layout.expected.items():
        if column not in NOT_PLACED.get(layout.name, set()):
            assert [plain(row[column]) for row in rows] == values, column


def test_a_workbook_header_nobody_knows_is_found_below_its_title_rows(tmp_path):
    paths = drop_zone(TOPDESK_WORKBOOK, tmp_path)

    [proposal] = suggest([paths.deliveries / "GM0363"]).kinds

    assert proposal.described.startswith("sheet 'Objecten', header on row 3, 4 rows")
    assert proposal.sheet is None  # with the proposed columns the reader finds it by itself


def test_the_proposal_says_why_and_names_rows(tmp_path):
    topdesk = next(layout for layout in ALL if layout.name.startswith("TOPdesk"))
    paths = drop_zone(topdesk, tmp_path)

    outcome = run(str(paths.deliveries / "GM0363"))

    assert outcome.exit_code == 0
    lines = outcome.stdout.splitlines()
    assert "    # purchase_price: Aanschafprijs (€)  # built-in" in lines
    assert any(
        line.startswith("    purchase_date: Datum van aanschaf  # 100% of 4 values are dates")
        for line in lines
    )
    assert "      VMware host: server  # 1 row: 4; contains 'host'" in lines
    assert any(
        line.startswith("      # Dell Latitude:  # 1 row: 3; fill in one of") for line in lines
    )
    assert any(line.startswith("    # status:") for line in lines)  # nothing active below it
    assert not (paths.deliveries / "GM0363" / PROFILE_FILE).exists()  # nothing written


def test_personal_data_is_never_proposed_nor_shown(tmp_path):
    goodhabitz = next(layout for layout in TRAINING if "e-mail" in layout.name)
    afas = TRAINING[0]
    for layout in (goodhabitz, afas):
        paths = drop_zone(layout, tmp_path / layout.name[:4])
        [proposal] = suggest([paths.deliveries / "GM0363"]).kinds
        personal = {"E-mailadres", "Naam"} & set(layout.header)
        assert set(proposal.personal) == personal
        assert not personal & {p.header for p in proposal.columns}
        text = render(suggest([paths.deliveries / "GM0363"]))
        for row in layout.rows:
            for header in personal:
                assert row[layout.header.index(header)] not in text


def test_an_existing_profile_is_kept_and_added_to(tmp_path):
    twinfield = next(layout for layout in LEDGER if layout.name.startswith("Twinfield"))
    paths = drop_zone(twinfield, tmp_path)
    municipality = paths.deliveries / "GM0363"
    profile = municipality / PROFILE_FILE
    profile.write_text(
        "ledger:\n  columns: {cost_centre: Dimension 2}\n"
        "assets:\n  values:\n    status: {Kapot: retired}\n",
        encoding="utf-8",
    )

    refused = run(str(municipality), "--write")
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert "Dimension 2" in profile.read_text(encoding="utf-8").splitlines()[1]  # untouched

    forced = run(str(municipality), "--write", "--force")

    assert forced.exit_code == 0, forced.output
    merged = read_profile(profile)
    assert merged.for_kind("ledger").columns == {
        "account_code": "Dimension 1",
        "cost_centre": "Dimension 2",  # the profile's line
        "transaction_id": "Number",
        "amount": "Value",
    }
    assert merged.for_kind("assets").values == {"status": {"Kapot": "retired"}}


def test_a_loose_file_takes_its_kind_from_the_option(tmp_path):
    lansweeper = next(layout for layout in ALL if layout.name.startswith("Lansweeper"))
    paths = drop_zone(lansweeper, tmp_path)
    loose = tmp_path / "export_lansweeper.csv"
    loose.write_bytes((paths.deliveries / "GM0363" / "2024" / "assets.csv").read_bytes())

    without = run(str(loose))
    assert without.exit_code == 2
    assert "--kind" in without.stderr

    outcome = run(str(loose), "--kind", "assets")
    assert outcome.exit_code == 0, outcome.output
    assert "VMware host: server" in outcome.stdout

    no_folder = run(str(loose), "--kind", "assets", "--write")
    assert no_folder.exit_code == 2
    assert "municipality folder" in no_folder.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data_raw", "export_lansweeper.csv"]


def test_usage_errors_exit_2(tmp_path):
    assert run(str(tmp_path / "GM9999")).exit_code == 2
    assert run(str(tmp_path), "--kind", "hardware").exit_code == 2
    not_a_municipality = run(str(tmp_path))
    assert not_a_municipality.exit_code == 2
    assert "not a municipality folder" in not_a_municipality.stderr


def test_a_file_that_cannot_be_read_names_itself_without_a_traceback(tmp_path):
    folder = tmp_path / "GM0363" / "2024"
    folder.mkdir(parents=True)
    (folder / "training.csv").write_text("Personeelsnummer,FTE\n1,1\n", encoding="utf-8")

    outcome = run(str(tmp_path / "GM0363"), "--write")

    assert outcome.exit_code == 1
    assert "GM0363/2024/training.csv, row 1: the columns are separated by a comma" in outcome.stderr
    assert "Traceback" not in outcome.output
    assert not (tmp_path / "GM0363" / PROFILE_FILE).exists()


def test_a_broken_profile_is_named_with_its_line(tmp_path):
    twinfield = next(layout for layout in LEDGER if layout.name.startswith("Twinfield"))
    paths = drop_zone(twinfield, tmp_path)
    (paths.deliveries / "GM0363" / PROFILE_FILE).write_text("ledger:\n  colums: {}\n")

    outcome = run(str(paths.deliveries / "GM0363"))

    assert outcome.exit_code == 1
    assert "GM0363/delivery_profile.yml, row 2" in outcome.stderr


def test_every_canonical_column_has_a_value_shape():
    for kind, shapes in SHAPES.items():
        assert set(shapes) == set(column_aliases(kind)), kind
        assert required_columns(kind) <= set(shapes)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("VMware host", "server"),
        ("Servers", "server"),
        ("Netwerkcomponenten", "network"),
        ("Core switches", "network"),
        ("Laptops raad", "laptop"),
        ("Dell Latitude", None),
        ("Hardware werkplekken", None),  # `Werkplek pc` is a desktop word, `werkplek` alone not
        ("Scanner", "printer"),
        ("SANdisk", None),  # a short word must stand on its own
    ],
)
def test_a_code_is_proposed_for_a_vocabulary_word_inside_a_value(value, code):
    assert propose_code(value, word_list("assets", "asset_class"))[0] == code


def test_names_alike():
    assert name_similarity("Kostenpl.", "Kostenplaats") > 0.8  # an abbreviation
    assert name_similarity("Total Hours", "Hours") > 0.7  # contains it
    assert name_similarity("Budgethouder", "Kostenplaats") < 0.3


def test_a_file_inside_a_municipality_folder_belongs_to_it(tmp_path):
    lansweeper = next(layout for layout in ALL if layout.name.startswith("Lansweeper"))
    paths = drop_zone(lansweeper, tmp_path)
    municipality = paths.deliveries / "GM0363"
    (municipality / "cmdb-export.csv").write_bytes(
        (municipality / "2024" / "assets.csv").read_bytes()
    )

    outcome = run(str(municipality / "cmdb-export.csv"), "--kind", "assets", "--write")

    assert outcome.exit_code == 0, outcome.output
    assert "#   assets: GM0363/cmdb-export.csv (UTF-8, 5 rows)" in outcome.stdout
    assert (municipality / PROFILE_FILE).read_text(encoding="utf-8") == outcome.stdout
