"""The ICT cost categories are declared once, in the dbt seed; every other list is derived from it."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import settings
from pipelines.contract import categories
from pipelines.contract.contract_doc import CATEGORIES, RULES
from pipelines.contract.suites import suite_fingerprint, suite_parameters
from pipelines.demo import ledgers
from pipelines.ingest.data_docs import documented_suite
from pipelines.ingest.validation import build_suite, run_suite

CLASSIFICATION = settings.DBT_PROJECT_DIR / "models" / "intermediate"
EXTRA = "ai_services,AI-diensten,AI services,technology,0.21,13"


def seed_rows(seed: Path = settings.ICT_CATEGORIES_SEED) -> list[dict[str, str]]:
    with seed.open(encoding="utf-8", newline="") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: int(row["sort_order"]))


def mapped_in_seed(seed: Path = settings.ICT_CATEGORIES_SEED) -> list[str]:
    return [row["category"] for row in seed_rows(seed) if row["category"] != "unclassified"]


def category_known(suite) -> list[str]:
    [rule] = [e for e in suite.expectations if e.meta["rule"] == "category_known"]
    return list(rule.value_set)


def test_the_mapping_suite_accepts_the_seeds_categories_and_the_directives():
    suite = build_suite("account_mapping", suite_parameters(2024), row_level=True)
    assert category_known(suite) == [*mapped_in_seed(), "not_ict", "ict_cost_centre"]
    assert category_known(documented_suite("account_mapping")) == category_known(suite)


def test_a_mapping_rule_may_not_name_the_derived_category():
    rows = pa.table(
        {
            "source_row": [2, 3, 4],
            "category": ["saas_cloud", "unclassified", "not_ict"],
            "rule_target": ["4310", "4390", "4345"],
        }
    )
    outcome = run_suite("account_mapping", rows, suite_parameters(None))
    assert [(p.source_row, p.rule) for p in outcome.row_problems] == [(3, "category_known")]


def test_the_contract_document_lists_the_seeds_categories_with_their_labels():
    table = CATEGORIES.current()
    for row in seed_rows():
        line = f"| `{row['category']}` | {row['label_en']} | {row['label_nl']} |"
        assert (line in table) == (row["category"] != "unclassified"), line
    for code in categories.DIRECTIVES:
        assert f"| `{code}` |" in table
    codes = ", ".join(f"`{code}`" for code in [*mapped_in_seed(), "not_ict", "ict_cost_centre"])
    assert f"`category` is one of {codes} |" in RULES.current()


def test_the_demo_generator_spends_on_every_mapped_category():
    assert list(ledgers.ICT_CATEGORIES) == mapped_in_seed()
    assert set(ledgers._ICT_SHARES) == set(ledgers.ICT_CATEGORIES)


def test_every_directive_is_handled_by_the_classification():
    sql = (CLASSIFICATION / "int_ledger_accounts_classified.sql").read_text(encoding="utf-8")
    for code in [*categories.DIRECTIVES, categories.UNCLASSIFIED]:
        assert f"'{code}'" in sql, code


def use_seed_with_one_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = tmp_path / "ict_categories.csv"
    text = settings.ICT_CATEGORIES_SEED.read_text(encoding="utf-8")
    seed.write_text(text.replace(",unclassified,13", ",unclassified,14") + EXTRA + "\n")
    monkeypatch.setattr(settings, "ICT_CATEGORIES_SEED", seed)


def test_a_category_added_to_the_seed_reaches_the_contract(monkeypatch, tmp_path):
    fingerprints = {kind: suite_fingerprint(kind) for kind in ("account_mapping", "ledger")}
    use_seed_with_one_more(tmp_path, monkeypatch)
    suite = build_suite("account_mapping", suite_parameters(2024), row_level=True)
    assert category_known(suite)[-3:] == ["ai_services", "not_ict", "ict_cost_centre"]
    assert "| `ai_services` | AI services | AI-diensten |" in CATEGORIES.render()
    assert "`ai_services`" in RULES.render()
    # loads checked against the old list are checked again; other kinds do not care
    assert suite_fingerprint("account_mapping") != fingerprints["account_mapping"]
    assert suite_fingerprint("ledger") == fingerprints["ledger"]


def test_a_seed_without_the_derived_category_is_refused(tmp_path):
    seed = tmp_path / "ict_categories.csv"
    rows = settings.ICT_CATEGORIES_SEED.read_text(encoding="utf-8").splitlines()
    seed.write_text("\n".join(r for r in rows if not r.startswith("unclassified,")) + "\n")
    with pytest.raises(categories.CategorySeedError, match="unclassified"):
        categories.codes(seed)
