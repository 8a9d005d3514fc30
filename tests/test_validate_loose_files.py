"""`ictbench validate` on files that are not (yet) in the drop-zone layout: the command line says
what they are, an audit file's header gives its year, and the municipality list and profile
come from the drop zone the file is in, or from --data-raw, never from the repository's own."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from pipelines.cli.app import app
from pipelines.contract.profile import PROFILE_FILE
from pipelines.settings import REPO_ROOT
from tests.vendor_layouts import ASSETS

DEMO = REPO_ROOT / "data_raw"


def validate(*arguments: str) -> tuple[int, list[dict]]:
    outcome = CliRunner().invoke(app, ["validate", *arguments, "--json"])
    return outcome.exit_code, json.loads(outcome.stdout) if outcome.stdout.strip() else []


def drop_zone_with_profile(tmp_path: Path):
    """A drop zone with the municipality list and GM0363's profile; the register itself lies in
    a downloads folder, outside the layout."""
    data_raw = tmp_path / "data_raw"
    (data_raw / "reference").mkdir(parents=True)
    shutil.copy(DEMO / "reference" / "gemeenten.csv", data_raw / "reference")
    lansweeper = next(layout for layout in ASSETS if layout.name.startswith("Lansweeper"))
    in_layout = lansweeper.write(data_raw / "deliveries")
    loose = tmp_path / "Downloads" / "export lansweeper.csv"
    loose.parent.mkdir()
    shutil.move(in_layout, loose)
    return data_raw, loose


def test_a_loose_file_is_checked_with_the_profile_of_the_given_drop_zone(tmp_path):
    data_raw, loose = drop_zone_with_profile(tmp_path)
    common = ["--municipality", "gm0363", "--year", "2024", "--kind", "assets"]

    code, [result] = validate(str(loose), *common, "--data-raw", str(data_raw))
    assert (code, result["status"], result["rows_landed"]) == (0, "accepted", 5)
    assert (result["municipality_code"], result["fiscal_year"]) == ("GM0363", 2024)

    # without the drop zone there is no profile: Lansweeper's own words are not known
    code, [result] = validate(str(loose), *common)
    assert code == 1 and result["status"] != "accepted"


def test_the_municipality_list_is_that_of_the_drop_zone_the_file_is_in(tmp_path):
    data_raw, loose = drop_zone_with_profile(tmp_path)
    code, [result] = validate(
        str(loose), "--municipality", "GM9999", "--year", "2024", "--kind", "assets",
        "--data-raw", str(data_raw),
    )  # fmt: skip
    assert code == 1 and "unknown municipality code GM9999" in result["message"]


def test_an_audit_file_gives_its_own_fiscal_year(tmp_path):
    loose = tmp_path / "auditfile GM0014 boekjaar 2023.xaf"
    shutil.copy(DEMO / "deliveries" / "GM0014" / "2023" / "ledger.xaf", loose)

    code, [result] = validate(str(loose), "--municipality", "GM0014", "--kind", "ledger")

    assert (code, result["status"], result["fiscal_year"]) == (0, "accepted", 2023)


def test_what_a_loose_file_lacks_is_said(tmp_path):
    loose = tmp_path / "export.csv"
    loose.write_text("Objectnummer;Objectsoort\n1;Laptop\n", encoding="utf-8")

    _, [result] = validate(str(loose))
    assert "--municipality GMxxxx --year YYYY --kind" in result["problems"][0]["hint"]
    _, [result] = validate(str(loose), "--municipality", "GM0363", "--year", "2024")
    assert (
        "does not say what kind" in result["message"] and "--kind" in result["problems"][0]["hint"]
    )
    _, [result] = validate(str(loose), "--kind", "assets", "--year", "2024")
    assert "--municipality" in result["message"]


def test_options_that_contradict_the_folders_are_refused(tmp_path):
    path = tmp_path / "data_raw" / "deliveries" / "GM0363" / "2024" / "ledger.csv"
    path.parent.mkdir(parents=True)
    shutil.copy(DEMO / "deliveries" / "GM0034" / "2024" / "ledger.csv", path)

    code, [result] = validate(str(path), "--year", "2023")

    assert code == 1 and "--year 2023 (its folders say 2024)" in result["message"]


def test_a_bad_kind_is_a_usage_error(tmp_path):
    loose = tmp_path / "x.csv"
    loose.write_text("a;b\n", encoding="utf-8")
    outcome = CliRunner().invoke(app, ["validate", str(loose), "--kind", "hardware"])
    assert outcome.exit_code == 2 and "--kind must be one of" in outcome.stderr


def test_the_profile_file_itself_is_no_delivery(tmp_path):
    data_raw, _ = drop_zone_with_profile(tmp_path)
    profile = data_raw / "deliveries" / "GM0363" / PROFILE_FILE
    code, [result] = validate(str(profile))
    assert code == 1 and result["status"] == "rejected"
