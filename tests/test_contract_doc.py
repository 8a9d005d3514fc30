import json

from pipelines.contract.contract_doc import TABLES
from pipelines.settings import EXPECTATIONS_DIR


def test_the_generated_tables_of_the_contract_are_current():
    for table in TABLES:
        assert table.current() == table.render(), (
            f"the {table.name} table of docs/data-contract.md is stale: run `ictbench contract-doc`"
        )


def test_every_expectation_explains_itself():
    for path in EXPECTATIONS_DIR.glob("*.json"):
        for expectation in json.loads(path.read_text())["expectations"]:
            meta = expectation.get("meta", {})
            assert meta.get("rule") and meta.get("message") and meta.get("hint"), (
                f"{path.name}: {expectation['type']} needs meta.rule, meta.message and meta.hint"
            )
