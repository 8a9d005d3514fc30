"""Which dbt models a run can leave out: those that no landed source it may change feeds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.settings import DBT_MANIFEST, Paths
from pipelines.storage.files import read_json
from pipelines.transform.build_state import (
    BuildState,
    landed_files_digest,
    landed_sources,
    partitioned_sources,
)

BUILT_TYPES = ("model", "seed")


def _source_id(manifest: Mapping[str, Any], source: str) -> str:
    return f"source.{manifest['metadata']['project_name']}.landing.{source}"


def downstream(manifest: Mapping[str, Any], sources: Iterable[str]) -> set[str]:
    """Names of the models and seeds that read any of the sources, directly or not."""
    seen: set[str] = set()
    queue = [_source_id(manifest, source) for source in sources]
    while queue:
        for child in manifest["child_map"].get(queue.pop(), []):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return {
        manifest["nodes"][node]["name"]
        for node in seen
        if node in manifest["nodes"] and manifest["nodes"][node]["resource_type"] in BUILT_TYPES
    }


def left_out(manifest: Mapping[str, Any], changing_sources: Iterable[str]) -> set[str]:
    """Models and seeds that none of the changing sources feed: their tables stay as they are."""
    everything = {
        node["name"] for node in manifest["nodes"].values() if node["resource_type"] in BUILT_TYPES
    }
    return everything - downstream(manifest, changing_sources)


def built_sources(
    manifest: Mapping[str, Any], sources: Iterable[str], selected: set[str]
) -> list[str]:
    """The sources whose models all ran in a build of the selected models."""
    return [source for source in sources if downstream(manifest, [source]) <= selected]


def models_left_out(
    paths: Paths, ingested_kinds: set[str], landed_as_they_are: Iterable[str] = ()
) -> frozenset[str]:
    """The dbt models and seeds that no source a run may change feeds: the sources landed
    again by every run (but those it will land as they are), those of the kinds it ingests, and
    those that changed since the last build. Nothing when the build must be made whole."""
    import duckdb

    # the manifest's path, not dagster-dbt's DbtProject: planning does not wait for importing dbt
    build = BuildState(paths.build_db)
    try:
        whole = not DBT_MANIFEST.exists() or build.full_refresh_reason() is not None
    except duckdb.Error:  # another run is writing the build: its dbt step decides, under the lock
        whole = True
    if whole:
        return frozenset()
    manifest = read_json(DBT_MANIFEST)
    landed = landed_sources(manifest)
    partitioned = partitioned_sources()
    changing = set(landed) - set(partitioned.values()) - set(landed_as_they_are)
    changing |= {partitioned[kind] for kind in ingested_kinds if kind in partitioned}
    changing |= set(build.changed_sources(landed_files_digest(paths.landing, landed)))
    return frozenset(left_out(manifest, changing))
