"""GX Data Docs under warehouse/docs/: the suites and the validation results of the latest loads.

Nothing is validated twice for the docs. The ingest validates in `suites.run_suite_batch`, which
keeps a compact copy of every GX result (counts and GX's partial lists, not the per-row lists the
quarantine already holds). At the end of the run this module puts those results and the suites
into an ephemeral GX context with a filesystem Data Docs site and lets GX render its own site.
Rendering costs about a second plus a few milliseconds per validation page.

The results live in the memory of the process that validated, so the docs are built by the step
that runs after the ingest in the same process (the benchmark job uses the in-process executor).
A run that validated nothing, because every delivery was unchanged, keeps the previous site: it
still shows the latest loads.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.contract.suites import with_fixed_parameters
from pipelines.ingest.validation import (
    RecordedValidation,
    suite_definition,
    take_recorded_validations,
)
from pipelines.settings import EXPECTATIONS_DIR, Paths

if TYPE_CHECKING:  # imported where used: a run that validated nothing never loads GX
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

SITE = "ictbench"
RUN_NAME = "ingest"


def docs_dir(paths: Paths) -> Path:
    return paths.warehouse / "docs"


def build_data_docs(paths: Paths, validations: Sequence[RecordedValidation] | None = None) -> Path:
    """(Re)build the Data Docs site and return its index.html.

    validations: the GX results to show; by default those recorded since the last build.
    """
    if validations is None:
        validations = take_recorded_validations()
    index = docs_dir(paths) / "index.html"
    if not validations and index.exists():
        return index
    paths.warehouse.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".docs-", dir=paths.warehouse))
    try:
        _render(staging, validations)
        _replace_dir(staging, docs_dir(paths))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return index


def suite_kinds() -> list[str]:
    return sorted(path.stem for path in EXPECTATIONS_DIR.glob("*.json"))


def documented_suite(kind: str) -> gx.ExpectationSuite:
    """The suite as reviewed, with the values of the placeholders every delivery shares (the
    category codes) and `$fiscal_year_end` and the like shown as GX suite parameters."""
    import great_expectations as gx

    definition = copy.deepcopy(suite_definition(kind))
    for expectation in definition["expectations"]:
        kwargs = with_fixed_parameters(expectation["kwargs"])
        expectation["kwargs"] = {key: _as_suite_parameter(value) for key, value in kwargs.items()}
    return gx.ExpectationSuite(**definition)


def _as_suite_parameter(value: object) -> object:
    if isinstance(value, str) and value.startswith("$"):
        return {"$PARAMETER": value[1:]}
    if isinstance(value, list):
        return [_as_suite_parameter(item) for item in value]
    return value


def _render(site_dir: Path, validations: Sequence[RecordedValidation]) -> None:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    context = gx.get_context(mode="ephemeral")
    # the ephemeral context comes with a site in a temporary folder; this site is the only one
    for name in list(context.variables.data_docs_sites or {}):
        context.delete_data_docs_site(name)
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(site_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    for kind in suite_kinds():
        context.suites.add(documented_suite(kind))
    store = context.validation_results_store
    for validation in validations:
        run_id = RunIdentifier(run_name=RUN_NAME, run_time=validation.validated_at)
        # the page header shows the run from the result's meta, as a Checkpoint would set it
        result = copy.copy(validation.result)
        result.meta = {**result.meta, "run_id": run_id}
        store.set(_identifier(validation, run_id), result)
    context.build_data_docs(site_names=[SITE])


def _identifier(
    validation: RecordedValidation, run_id: RunIdentifier
) -> ValidationResultIdentifier:
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=validation.result.suite_name),
        run_id=run_id,
        batch_identifier=validation.label,
    )


def _replace_dir(new: Path, target: Path) -> None:
    """Swap the new site in with two renames, so a reader never browses a half-written site."""
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    os.chmod(
        target, 0o755
    )  # mkdtemp makes it private; the docs are for everyone who reads the mart
    shutil.rmtree(old, ignore_errors=True)
