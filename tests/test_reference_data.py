"""Reference data shipped with the product: the merger seed and the CBS price index reader."""

import csv
import shutil
from pathlib import Path

import pytest

from pipelines.contract.errors import WrongLayout
from pipelines.readers.cbs import read_inhabitants, read_price_index

REPO_ROOT = Path(__file__).resolve().parents[1]
SUCCESSORS_SEED = REPO_ROOT / "dbt_project" / "seeds" / "municipality_successors.csv"
GEMEENTEN = Path(__file__).resolve().parents[2] / "shared" / "reference" / "gemeenten"


def cbs_codes(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["GemeentecodeGM"]: row["Gemeentenaam"] for row in csv.DictReader(handle)}


def successors() -> dict[str, dict[str, str]]:
    with SUCCESSORS_SEED.open(encoding="utf-8", newline="") as handle:
        return {row["predecessor_code"]: row for row in csv.DictReader(handle)}


def current_code(code: str, mapping: dict[str, dict[str, str]]) -> str:
    seen = set()
    while code in mapping:
        assert code not in seen, f"the successor mapping loops at {code}"
        seen.add(code)
        code = mapping[code]["successor_code"]
    return code


@pytest.fixture(scope="module")
def cbs_lists() -> tuple[dict[str, str], dict[str, str]]:
    if not GEMEENTEN.is_dir():
        pytest.skip(f"shared CBS reference lists not present at {GEMEENTEN}")
    return (
        cbs_codes(GEMEENTEN / "gemeenten-alfabetisch-2021.csv"),
        cbs_codes(GEMEENTEN / "gemeenten-alfabetisch-2023.csv"),
    )


def test_every_code_that_disappeared_between_2021_and_2023_has_a_successor(cbs_lists):
    list_2021, list_2023 = cbs_lists
    disappeared = set(list_2021) - set(list_2023)
    assert len(disappeared) == 14
    mapping = successors()
    assert disappeared <= set(mapping), sorted(disappeared - set(mapping))
    for code in disappeared:
        assert mapping[code]["predecessor_name"] == list_2021[code]
        assert current_code(code, mapping) in list_2023, code
        assert "2022-01-01" <= mapping[code]["effective_date"] <= "2023-01-01"


def test_every_successor_chain_ends_in_a_municipality_of_2023(cbs_lists):
    _, list_2023 = cbs_lists
    mapping = successors()
    for code in mapping:
        assert current_code(code, mapping) in list_2023, code
        assert code not in list_2023, f"{code} is in the 2023 list but marked as ceased"


@pytest.fixture(scope="module")
def nlextract_history() -> dict[str, list[dict[str, str]]]:
    path = GEMEENTEN / "nlextract_gemeentelijke-indeling.csv"
    if not path.is_file():
        pytest.skip(f"shared nlextract history not present at {path}")
    history: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            history.setdefault("GM" + row["gemeentecode"], []).append(row)
    return history


def test_every_code_that_ended_since_2014_has_a_successor_valid_that_day(nlextract_history):
    ended = {
        code: period
        for code, periods in nlextract_history.items()
        for period in periods
        if period["einddatum"] > "2014-01-01"
    }
    assert "GM0140" in ended  # Littenseradiel, split three ways in 2018
    mapping = successors()
    assert set(ended) == set(mapping), sorted(set(ended) ^ set(mapping))
    for code, period in ended.items():
        row = mapping[code]
        assert (row["predecessor_name"], row["effective_date"]) == (
            period["gemeentenaam"],
            period["einddatum"],
        ), code
        day = row["effective_date"]
        assert any(
            successor["begindatum"] <= day and not (successor["einddatum"] or "9999") <= day
            for successor in nlextract_history[row["successor_code"]]
        ), f"{code}: successor {row['successor_code']} did not exist on {day}"


def test_the_seed_is_well_formed():
    rows = list(successors().values())
    assert len(rows) >= 80
    for row in rows:
        assert row["source"] in {"nlextract", "hand-kept"}
        assert row["merger_kind"] in {"merged_into_new", "absorbed", "split_main_part", "renamed"}
        assert row["source"] == "nlextract" or row["note"], row["predecessor_code"]


def statline(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "prijsindex.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def test_price_index_reads_the_bundled_statline_export():
    table = read_price_index(REPO_ROOT / "data_raw" / "reference" / "prijsindex.csv")
    years, values = table["reference_year"].to_pylist(), table["price_index"].to_pylist()
    index = dict(zip(years, values, strict=True))
    assert set(index) == set(range(2014, 2025))
    assert index[2015] == 100.0
    assert index[2022] / index[2021] == pytest.approx(1.10, abs=0.001)  # CBS: 10.0 % in 2022
    assert set(table["base_period"].to_pylist()) == {"2015=100"}


def test_price_index_keeps_the_all_items_row_and_yearly_figures(tmp_path):
    path = statline(
        tmp_path,
        "Consumentenprijzen; prijsindex 2015=100;;",
        "Bestedingscategorieën;Perioden;CPI (2015=100)",
        "000000 Alle bestedingen;2023 JJ00;125,99",
        "000000 Alle bestedingen;2024MM01;128,01",
        "011000 Voedingsmiddelen;2023 JJ00;140,2",
        "000000 Alle bestedingen;2024;130.14",
        ";;",
        "Bron: CBS;;",
    )
    table = read_price_index(path)
    assert table["reference_year"].to_pylist() == [2023, 2024]
    assert table["price_index"].to_pylist() == [125.99, 130.14]
    assert table["source_row"].to_pylist() == [3, 6]


def test_price_index_names_the_row_of_a_bad_figure(tmp_path):
    path = statline(tmp_path, "Perioden;CPI (2015=100)", "2023;125,99", "2024;n.b.")
    with pytest.raises(WrongLayout) as error:
        read_price_index(path)
    assert error.value.row == 3
    assert "n.b." in str(error.value)


def test_price_index_refuses_a_year_twice(tmp_path):
    path = statline(tmp_path, "Perioden;CPI (2015=100)", "2023;125,99", "2023;126,00")
    with pytest.raises(WrongLayout, match="appears twice"):
        read_price_index(path)


def bevolking(tmp_path: Path, *counts: str) -> Path:
    lines = ["Gemeentenaam;Gemeentecode;Perioden;Bevolking op 1 januari (aantal)"]
    lines += [f"Amsterdam;GM0363;{2020 + i};{count}" for i, count in enumerate(counts)]
    path = tmp_path / "bevolking.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([*lines, ";;;", "Bron: CBS;;;"]) + "\r\n").encode())
    return path


def test_inhabitants_are_whole_numbers_with_or_without_thousands_dots(tmp_path):
    table = read_inhabitants(bevolking(tmp_path, "918117", "918.117", " 918 117 "))
    assert table["inhabitants"].to_pylist() == [918117] * 3
    assert table["source_row"].to_pylist() == [2, 3, 4]


@pytest.mark.parametrize("count", ["9.18.117", "1.2", "918117,5", "-5", "+5", "n.b.", ""])
def test_inhabitants_that_are_not_a_count_name_their_row(tmp_path, count):
    with pytest.raises(WrongLayout, match="as municipality, year and inhabitants") as error:
        read_inhabitants(bevolking(tmp_path, "918117", count))
    assert error.value.row == 3


# -- the figures themselves, against their sources (data_raw/reference/README.md) -------------

REFERENCE = REPO_ROOT / "data_raw" / "reference"


def test_cpi_levels_agree_with_their_published_yearly_changes():
    with (REFERENCE / "prijsindex.csv").open(encoding="utf-8-sig") as handle:
        rows = [line.strip().split(";") for line in handle if line.startswith("000000")]
    levels = {int(r[1]): float(r[2].replace(",", ".")) for r in rows}
    changes = {int(r[1]): float(r[3].replace(",", ".")) for r in rows}
    assert levels[2015] == 100.0 and levels[2022] == 121.43  # CBS 83136NED
    for year in sorted(levels)[1:]:
        implied = round(100 * (levels[year] / levels[year - 1] - 1), 1)
        assert implied == changes[year], (year, implied, changes[year])


def test_amsterdam_has_the_cbs_inhabitants_of_2023_and_2024():
    table = read_inhabitants(REFERENCE / "bevolking.csv")
    counts = {
        (code, year): n
        for code, year, n in zip(
            table["municipality_code"].to_pylist(),
            table["reference_year"].to_pylist(),
            table["inhabitants"].to_pylist(),
            strict=True,
        )
    }
    assert counts[("GM0363", 2023)] == 918_117
    assert counts[("GM0363", 2024)] == 934_927


def test_every_reference_figure_has_its_source_or_is_marked_unverified():
    from pipelines.demo.municipalities import MUNICIPALITIES, TABLE_YEARS
    from pipelines.demo.reference_readme import CPI_SOURCES

    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    for m in MUNICIPALITIES:
        for year in TABLE_YEARS:
            [line] = [
                x
                for x in readme.splitlines()
                if x.startswith(f"| {m.code} |") and f"| {year} |" in x
            ]
            assert f"{m.inhabitants_on(year):,}" in line
            assert "unverified" in line or "2026-" in line
    assert set(CPI_SOURCES) == set(range(2014, 2025))


def test_the_demo_municipalities_are_the_cbs_list_of_2023(cbs_lists):
    from pipelines.demo.municipalities import MUNICIPALITIES

    listed = cbs_lists[1]
    for m in MUNICIPALITIES:
        assert listed.get(m.code) == m.name, m.code


def test_structure_groups_are_municipalities_of_2023(cbs_lists):
    listed = cbs_lists[1]
    seed = REPO_ROOT / "dbt_project" / "seeds" / "municipality_structure_groups.csv"
    with seed.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    groups = {g: [r for r in rows if r["structure_group"] == g] for g in ("G4", "G40", "wadden")}
    assert [len(groups[g]) for g in groups] == [4, 41, 5]
    for row in rows:
        assert listed.get(row["municipality_code"]) == row["municipality_name"]
        assert row["source"] and row["taken_on"] and row["verification"]


def test_planning_sees_whether_the_reference_step_would_land_anything_new(tmp_path):
    from pipelines.ingest.reference import ingest_reference, reference_unchanged
    from pipelines.settings import Paths
    from tests.conftest import FIXTURES

    paths = Paths(tmp_path / "data_raw", tmp_path / "warehouse")
    shutil.copytree(FIXTURES / "handcomputed", paths.data_raw)
    assert not reference_unchanged(paths)  # nothing landed yet
    ingest_reference(paths)
    assert reference_unchanged(paths)

    inhabitants = paths.reference / "bevolking.csv"
    good = inhabitants.read_bytes()
    inhabitants.write_bytes(good.replace(b"GM0363;2024;1000", b"GM0363;2024;1001"))
    assert not reference_unchanged(paths)
    # damage is a change too: planning goes on, the reference step names the file and row
    inhabitants.write_bytes(good.replace(b"GM0363;2024;1000", b"GM0363;2024;veel"))
    assert not reference_unchanged(paths)
    inhabitants.unlink()
    assert not reference_unchanged(paths)
