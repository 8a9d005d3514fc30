"""The published file, copied while the run still ingests and builds.

Publishing updates a copy of the published file (publish.py). After ten years kept that file
holds 1.3 GB, and its copy took 2.9 s of a re-delivery's publish step, right after dbt had
written its own file: the disk's time, which the steps before publishing leave free. So the run
starts the copy when it starts (the `published_copy` resource) and the publish step takes it,
provided the published file is still the one copied: anything that replaced it meanwhile (a
rollback) makes the copy worthless and publishing copies again. A run that writes the file fresh
(`ictbench run --full`) or fails before publishing leaves the copy unused; it is removed when the
run ends, or swept by the next run when the process was killed (storage/litter.py).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from pipelines.publish.publication import publication
from pipelines.storage.duckdb_format import in_bi_storage_format, storage_version
from pipelines.storage.litter import owned_prefix


class PublishedCopy:
    def __init__(self, published_db: Path):
        self.published_db = published_db
        self.path = published_db.with_name(owned_prefix(f".{published_db.name}") + "copy")
        self.basis: dict | None = None
        self._failed: BaseException | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def started(cls, published_db: Path) -> PublishedCopy:
        """A copy under way, or none when there is no published file to update."""
        copy = cls(published_db)
        if published_db.exists() and in_bi_storage_format(storage_version(published_db)):
            copy.basis = publication(published_db)
            # a thread, not a process: the copy is the kernel's work (sendfile), without the GIL
            copy._thread = threading.Thread(target=copy._copy, name="published-copy", daemon=True)
            copy._thread.start()
        return copy

    def _copy(self) -> None:
        try:
            shutil.copyfile(self.published_db, self.path)
        except BaseException as error:  # reported by take(), in the step that needs the copy
            self._failed = error

    def take(self) -> tuple[Path, dict] | None:
        """The finished copy and the publication() of the file it is a copy of, for the caller
        to own; None when there is none or the published file was replaced since. Raises what
        stopped the copy of the file still published (a full disk)."""
        if self._thread is None:
            return None
        self._thread.join()
        self._thread = None
        replaced = publication(self.published_db) != self.basis
        if self._failed is not None or replaced:
            self.path.unlink(missing_ok=True)
            if self._failed is not None and not replaced:
                raise self._failed
            return None
        return self.path, self.basis

    def discard(self) -> None:
        """Remove the copy if nobody took it (the run failed or published nothing)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self.path.unlink(missing_ok=True)
