"""GX Data Docs under warehouse/docs/: the suites and the validation results of the latest loads,
with a page per delivery (delivery_pages.py) as the index.

Nothing is validated twice for the docs. The ingest validates in `validation.run_suite_batch`,
which gives a compact copy of every GX result (counts and GX's partial lists, not the per-row
lists the quarantine already holds); the landing store keeps them as files until the load_results
step puts them and the suites into an ephemeral GX context with a filesystem Data Docs site and
lets GX render its own site. Rendering costs about a second plus a few milliseconds per
validation page. A run that validated nothing, because every delivery was unchanged, keeps the
previous site: it still shows the latest loads.
"""

from __future__ import annotations

import copy
import os
import pickle
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.contract.kinds import KINDS
from pipelines.contract.suites import suite_definition, with_fixed_parameters
from pipelines.ingest.delivery_pages import GX_INDEX, offline, write_pages
from pipelines.ingest.load_results import LoadResults, kept_results
from pipelines.ingest.store import LandingStore
from pipelines.ingest.validation import RecordedValidation
from pipelines.settings import Paths
from pipelines.storage.litter import owned_prefix

if TYPE_CHECKING:  # imported where used: a run that validated nothing never loads GX
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

SITE = "ictbench"
RUN_NAME = "ingest"


def docs_dir(paths: Paths) -> Path:
    return paths.data_docs


def refresh_pages(paths: Paths, results: LoadResults | None = None) -> Path:
    """The delivery pages and the index, from the latest load results, without GX: a run that
    validated nothing still has refused files or withdrawn deliveries to show.

    results: the load results when the caller has read them (read here when not given)."""
    write_pages(docs_dir(paths), _or_collected(results, paths), previous=docs_dir(paths))
    return docs_dir(paths) / "index.html"


def build_data_docs(
    paths: Paths,
    validations: Sequence[RecordedValidation],
    results: LoadResults | None = None,
) -> Path:
    """(Re)build the Data Docs site from these GX results and the suites; return its index.html."""
    index = docs_dir(paths) / "index.html"
    if not validations and index.exists():
        return index
    paths.warehouse.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=owned_prefix(".docs"), dir=paths.warehouse))
    try:
        _render(staging, validations)
        # our index lists every delivery; GX's needs its CDN scripts to list anything
        os.replace(staging / "index.html", staging / GX_INDEX)
        offline(staging)
        write_pages(staging, _or_collected(results, paths), previous=docs_dir(paths))
        _replace_dir(staging, docs_dir(paths))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return index


def build_kept_data_docs(paths: Paths, results: LoadResults | None = None) -> Path:
    """The Data Docs of the validations the landing store kept since the last build; once the
    site is in place they are dropped (a run that validated nothing keeps the site as it is)."""
    kept = LandingStore(paths).kept_validations()
    validations = [v for path in kept for v in pickle.loads(path.read_bytes())]
    index = build_data_docs(paths, sorted(validations, key=lambda v: v.validated_at), results)
    for path in kept:
        path.unlink()
    return index


def _or_collected(results: LoadResults | None, paths: Paths) -> LoadResults:
    return results if results is not None else kept_results(paths)


def suite_kinds() -> list[str]:
    return sorted(KINDS)


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
