from collections.abc import Callable
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs.transform.project import dbt_project
from pipelines.readers.pseudonymise import load_key, make_pseudonymiser
from pipelines.settings import DBT_EXECUTABLE, Paths, default_paths


class WarehouseResource(dg.ConfigurableResource):
    """The drop zone to read and the warehouse folder to write."""

    data_raw_dir: str
    warehouse_dir: str

    def pseudonymiser(self) -> Callable[[str], str]:
        """Employee ids are replaced by keyed pseudonyms before anything is stored."""
        key = load_key(key_file=self.paths().pseudonym_key_file)
        return make_pseudonymiser(key)

    def paths(self) -> Paths:
        return Paths(
            data_raw=Path(self.data_raw_dir).resolve(), warehouse=Path(self.warehouse_dir).resolve()
        )


def build_resources(paths: Paths | None = None) -> dict[str, object]:
    paths = paths or default_paths()
    return {
        "warehouse": WarehouseResource(
            data_raw_dir=str(paths.data_raw), warehouse_dir=str(paths.warehouse)
        ),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.project_dir),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
