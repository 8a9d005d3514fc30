"""Which dbt models a run can leave out: those that no landed source it may change feeds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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
