"""The dbt tests' results of the build the published mart came from.

A run in which no landed file changed builds nothing, and a run that rebuilds one municipality's
ledger runs only the tests of the models it rebuilds. The other tests' data did not change, so
their last result still holds: the build records every result it got, and a run passes on the
recorded ones for the tests it did not run, saying which run they come from, instead of leaving
them without a state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.storage.files import read_json, write_json_atomic


class CheckRecord:
    def __init__(self, build_db: Path) -> None:
        self.path = build_db.with_name("check_results.json")

    def recalled(self) -> dict[str, dict[str, Any]]:
        """Check key ("asset:check") -> its last recorded result (passed, severity, run_id, ...)."""
        return (read_json(self.path) or {}).get("checks", {})

    def remember(self, results: Mapping[str, Mapping[str, Any]]) -> None:
        """Record the results a finished build got; tests it did not run keep their record."""
        checks = {**self.recalled(), **results}
        write_json_atomic({"checks": checks}, self.path)
