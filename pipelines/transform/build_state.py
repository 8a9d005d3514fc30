"""The dbt build database, and what its tables were built from.

fct_ict_cost_line and int_ledger_accounts_classified are rebuilt only for the municipality-years
whose deliveries changed. Their rows cannot tell which SQL or which contract made them, so the
build records both after every successful `dbt build`; when either moved, the next build is a
full refresh.

The build also records which landed files each dbt source read: when none changed and the
published mart is this build, there is nothing to build or publish.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipelines.contract.kinds import KINDS, yearly_kinds
from pipelines.contract.suites import contract_version
from pipelines.settings import DBT_PROJECT_DIR
from pipelines.storage.duckdb_format import damage as database_damage
from pipelines.storage.duckdb_format import in_bi_storage_format, storage_version
from pipelines.storage.files import read_json, write_json_atomic
from pipelines.transform.manifest import project_fingerprint


def built_from() -> dict:
    """The dbt project files and the data contract this code builds with."""
    return {
        "dbt_project": project_fingerprint(DBT_PROJECT_DIR),
        "contracts": {kind: contract_version(kind) for kind in sorted(KINDS)},
    }


OTHER_FORMAT = "the build database is in another storage format; made again"
DAMAGED = "the build database is damaged ({}); made again from the landing zone"


def landed_sources(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Per dbt landing source, the glob of the files it reads under warehouse/landing, taken from
    its `external_location` in the manifest (e.g. `ledger_lines` -> `ledger/*.parquet`)."""
    sources = {}
    for source in manifest["sources"].values():
        location = source["meta"].get("external_location", "")
        if source["source_name"] == "landing" and (found := LANDING_GLOB.search(location)):
            sources[source["name"]] = found.group(1)
    return sources


LANDING_GLOB = re.compile(r"/landing/([^']+)'")


def partitioned_sources() -> dict[str, str]:
    """Kind -> the dbt source of a kind delivered per year. A run changes these only when it
    ingests a delivery partition of their kind; the other sources (account mappings, reference
    data, load results) are landed again by every run."""
    return {kind.name: kind.dbt_source for kind in yearly_kinds()}


def landed_files_digest(landing: Path, sources: Mapping[str, str]) -> dict[str, str]:
    """Per dbt source (landed_sources), a digest of the names, sizes, inodes and modification
    times of its files.

    Landing files are only ever replaced whole (and left alone when the same bytes would be
    written again), so a changed digest means changed rows, without reading a gigabyte.
    """
    digests = {}
    for source, pattern in sources.items():
        digest = hashlib.sha256()
        for path in sorted(landing.glob(pattern)):
            stat = path.stat()
            digest.update(f"{path.name}|{stat.st_size}|{stat.st_ino}|{stat.st_mtime_ns}\n".encode())
        digests[source] = digest.hexdigest()
    return digests


class BuildState:
    def __init__(self, build_db: Path) -> None:
        self.build_db = build_db
        self.stamp = build_db.with_name("built_from.json")
        self.inputs = build_db.with_name("built_inputs.json")
        self.reason: str | None = None
        self.damaged: set[str] = set()  # reasons that say the file cannot be opened

    def full_refresh_reason(self, *, forced: bool = False) -> str | None:
        """Why the incremental tables must be rebuilt whole, or None; changes nothing."""
        if not self.build_db.exists():
            return "first build"
        if damage := database_damage(self.build_db):
            self.damaged.add(reason := DAMAGED.format(damage))
            return reason
        if not in_bi_storage_format(storage_version(self.build_db)):
            return OTHER_FORMAT
        if forced:
            return "asked for"
        if read_json(self.stamp) != built_from():
            return "the dbt project or the data contract changed since the last build"
        return None

    def needs_full_refresh(self, *, forced: bool = False) -> bool:
        """True when the incremental tables must be rebuilt whole; `reason` says why. A build
        database in another storage format, or one that cannot be opened, is deleted, to be made
        again (its tables are all made from the landing zone)."""
        self.build_db.parent.mkdir(parents=True, exist_ok=True)
        self.reason = self.full_refresh_reason(forced=forced)
        if self.reason == OTHER_FORMAT or self.reason in self.damaged:
            self.build_db.unlink()
            self.build_db.with_name(self.build_db.name + ".wal").unlink(missing_ok=True)
        return self.reason is not None

    def changed_sources(self, landed: dict[str, str]) -> list[str]:
        """The dbt sources whose landed files differ from those the last finished build read."""
        recorded = (read_json(self.inputs) or {}).get("sources", {})
        return [source for source, digest in landed.items() if recorded.get(source) != digest]

    def is_published(self, publication: dict | None) -> bool:
        """True when `publication` (what is published now, publish.publication) is what was
        published from this build: not rolled back, and by the publishing code of today."""
        recorded = (read_json(self.inputs) or {}).get("published")
        return recorded is not None and recorded == publication

    def finish(
        self, landed: dict[str, str], built: Iterable[str] | None = None, *, whole: bool = True
    ) -> None:
        """Record what the build was made from; only called after dbt succeeded.

        built: the sources whose models this build ran, all by default. A source left out keeps
        the digest of the build that last ran its models, so a change to it is built next time.
        whole: False when only some models ran; the project and contract they were built with are
        then not recorded, so a full refresh that is due still reaches every model.
        """
        if whole:
            write_json_atomic(built_from(), self.stamp)
        sources = (read_json(self.inputs) or {}).get("sources", {})
        for source in landed if built is None else built:
            sources[source] = landed[source]
        write_json_atomic({"sources": sources, "published": None}, self.inputs)

    def published(self, publication: dict | None) -> None:
        """Record that the file described by `publication` (publish.publication) holds this build."""
        inputs = read_json(self.inputs) or {}
        write_json_atomic({**inputs, "published": publication}, self.inputs)
