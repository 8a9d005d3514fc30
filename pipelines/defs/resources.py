from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from pipelines.defs.transform.project import dbt_project
from pipelines.ingest.discovery import DropZone
from pipelines.publish.published_copy import PublishedCopy
from pipelines.readers.pseudonymise import load_key, make_pseudonymiser
from pipelines.settings import DBT_EXECUTABLE, Paths, default_paths
from pipelines.transform import dbt_server


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


@dg.resource(required_resource_keys={"warehouse"})
def drop_zone_listing(context: dg.InitResourceContext) -> DropZone:
    """The drop zone, listed once per run: every step of the run sees the same deliveries."""
    return DropZone.listed(context.resources.warehouse.paths().deliveries)


@dg.resource(required_resource_keys={"warehouse"})
def published_copy(context: dg.InitResourceContext) -> Iterator[PublishedCopy]:
    """The published file, copied from the start of the run for the publish step to update
    (pipelines/publish/published_copy.py); removed at the end of the run if not taken."""
    copy = PublishedCopy.started(context.resources.warehouse.paths().published_db)
    try:
        yield copy
    finally:
        copy.discard()


class InstalledDbtCliResource(DbtCliResource):
    """dbt-core as installed in this environment, without two costs dagster-dbt pays per build.

    Before a build dagster-dbt starts `dbt --version` and sets up a dbt adapter inside the
    Dagster process, which it only needs to fetch row counts and column metadata; this project asks
    for neither, and the version is in the package metadata of the same environment. Both are
    private members of DbtCliResource, overridden for what they cost per build here: the adapter
    2.0-5.7 s (1.8-2.3 s of CPU), `dbt --version` 0.3-0.7 s through the dbt that `ictbench run`
    starts ahead and 3.7-7.2 s (2.9-3.4 s of CPU) without it (the UI, the sensor, the schedule); in
    a one-ledger re-delivery the dbt step took a median 3.1 s longer without the overrides.
    tests/test_definitions.py fails when dagster-dbt renames them or stops calling them.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def build_resources(
    paths: Paths | None = None, drop_zone: DropZone | None = None
) -> dict[str, object]:
    """The resources of every job; drop_zone: a listing already made for this run (by its plan)."""
    paths = paths or default_paths()
    warehouse = WarehouseResource(
        data_raw_dir=str(paths.data_raw), warehouse_dir=str(paths.warehouse)
    )
    return {
        "warehouse": warehouse,
        "drop_zone": drop_zone or drop_zone_listing,
        "published_copy": published_copy,
        "dbt": InstalledDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.project_dir),
            # started ahead by `ictbench run` (pipelines/transform/dbt_server.py), else dbt itself
            dbt_executable=dbt_server.launcher() or DBT_EXECUTABLE,
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
