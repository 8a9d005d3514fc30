"""Check and land deliveries on every core: reading XAF and CSV is Python-bound, one core each.

The deliveries are packed into chunks of one kind and year (so GX still validates many at once),
largest first, and each chunk is checked and stored in a process of its own, forked from a server
that imported the checking code once. A process that checked many chunks keeps growing (allocator
fragmentation, objects GX keeps): one kept for a whole ten-year build held 1.5 GB where a chunk
needs at most 0.6, so a process never outlives its chunk. Workers only write the files of their
own deliveries, so they never touch the same file. A file too large to hold whole (streamed.py)
is checked a batch at a time in its chunk, where it is alone.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import cache, partial
from multiprocessing import forkserver
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pipelines.contract.delivery import Delivery
from pipelines.ingest.check import CheckOptions, LoadResult, check_deliveries
from pipelines.ingest.store import LandingStore
from pipelines.ingest.streamed import STREAM_BYTES, check_and_store_streamed, streams
from pipelines.settings import Paths, available_cores

if TYPE_CHECKING:
    from pipelines.ingest.load_results import LoadResults

Batch = list[tuple[Delivery, CheckOptions]]
T = TypeVar("T")
R = TypeVar("R")

# Below this many bytes and deliveries a worker's start-up (about 3 s of imports) costs more
# than it saves.
MIN_PARALLEL_BYTES = 8 * 1024 * 1024
MIN_PARALLEL_DELIVERIES = 100
CHUNK_BYTES = STREAM_BYTES  # a file read a batch at a time is alone in its chunk
# GX costs a few tenths of a second per run, so small files are still validated many at a time
CHUNK_DELIVERIES = 64


def default_workers() -> int:
    return available_cores()


def plan_chunks(
    batch: Batch, chunk_bytes: int = CHUNK_BYTES, chunk_deliveries: int = CHUNK_DELIVERIES
) -> list[Batch]:
    """Chunks of one kind and year of at most chunk_bytes (a bigger file alone) and
    chunk_deliveries deliveries, largest first."""
    sizes = {delivery.key: _size(delivery) for delivery, _ in batch}
    groups: dict[tuple[str, int], Batch] = {}
    for item in sorted(batch, key=lambda item: -sizes[item[0].key]):
        groups.setdefault((item[0].kind, item[0].fiscal_year or 0), []).append(item)
    chunks: list[tuple[int, Batch]] = []
    for items in groups.values():
        chunk: Batch = []
        total = 0
        for item in items:
            size = sizes[item[0].key]
            if chunk and (len(chunk) >= chunk_deliveries or total + size > chunk_bytes):
                chunks.append((total, chunk))
                chunk, total = [], 0
            chunk.append(item)
            total += size
        chunks.append((total, chunk))
    return [chunk for _, chunk in sorted(chunks, key=lambda sized: -sized[0])]


def check_and_store(chunk: Batch, paths: Paths) -> list[LoadResult]:
    """Check the chunk, land or quarantine each delivery and keep the GX results for the Data
    Docs; return what happened."""
    store = LandingStore(paths)
    by_key = {delivery.key: delivery for delivery, _ in chunk}
    results = []
    validations: list = []
    whole: Batch = []
    for delivery, options in chunk:
        if streams(delivery):
            results.append(check_and_store_streamed(delivery, options, store, record=validations))
        else:
            whole.append((delivery, options))
    for checked in check_deliveries(whole, record=validations):
        store.store(checked, by_key[checked.result.delivery_key])
        results.append(checked.result)
    store.keep_validations(validations)
    return results


def start_workers_early() -> None:
    """Start the server now: it imports the checking code on another core while this process
    loads the Dagster definitions. Once it runs, a worker costs a fork, so even a single delivery
    is checked in one and this process never imports GX."""
    worker_context()
    forkserver.ensure_running()
    _server.append(os.getpid())


def _server_started() -> bool:
    return os.getpid() in _server  # a forked child does not inherit a started server


_server: list[int] = []


@cache
def worker_context() -> multiprocessing.context.BaseContext:
    """Workers fork from one server process that imported the checking code once (Great
    Expectations alone takes about 3 s), so every pool after the first in a run starts at once.
    Not a plain fork: the Dagster process that calls this runs threads."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipelines.ingest.fork_server", __name__, "great_expectations"])
    atexit.register(_stop_fork_server)
    return context


def _stop_fork_server() -> None:
    """Wait for the server at exit, so its workers' CPU time counts as this process's children's
    (as `time` and `make bench` measure it); a server left to stop by itself takes that time with
    it. multiprocessing offers no public way to stop it: this private method is the one CPython's
    own tests use, and tests/test_parallel_ingest.py fails when it goes or stops counting. A public
    spawn pool would import the checking code in every worker instead of forking: 4.4-4.6 s user
    CPU and 283 MB each here (5 imports), against a fork that shares the server's pages."""
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop:
        stop()


def stop_workers() -> None:
    """Stop the server once this run checks nothing more: the dbt build and the publish after it
    then have its memory (its imports, Great Expectations among them) to themselves. A later run
    in the same process starts a new one when it needs it."""
    if _server_started():
        _stop_fork_server()
        _server.remove(os.getpid())


def check_and_store_all(batch: Batch, paths: Paths, workers: int) -> Iterator[LoadResult]:
    """check_and_store over the whole batch, in worker processes when that pays off."""
    if not batch:
        return
    started = workers > 1 and _server_started()
    small = (
        sum(_size(d) for d, _ in batch) < MIN_PARALLEL_BYTES
        and len(batch) < MIN_PARALLEL_DELIVERIES
    )
    chunks = plan_chunks(batch) if started or not small else []
    # one chunk gains nothing from a worker that first spends seconds on its imports
    if workers <= 1 or (len(chunks) <= 1 and not started):
        yield from check_and_store(batch, paths)
        return
    for results in each_in_a_fresh_process(partial(check_and_store, paths=paths), chunks, workers):
        yield from results


def each_in_a_fresh_process(
    function: Callable[[T], R], items: list[T], workers: int
) -> Iterator[R]:
    """function(item) for every item, each in a new fork of the server, `workers` at a time, in
    the order they finish.

    One single-use pool per item: ProcessPoolExecutor's own max_tasks_per_child can deadlock on
    Python 3.11 (with four chunks per worker it hung here within a minute), and a pool still reports a worker that dies
    (killed for memory) as BrokenProcessPool instead of waiting for it forever."""
    waiting = iter(items)
    running: dict[Future, ProcessPoolExecutor] = {}

    def start_next() -> None:
        for item in waiting:
            pool = ProcessPoolExecutor(1, mp_context=worker_context())
            running[pool.submit(function, item)] = pool
            return

    try:
        for _ in range(workers):
            start_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future).shutdown()
                start_next()
                yield future.result()
    finally:
        for pool in running.values():
            pool.shutdown(cancel_futures=True)


def build_data_docs(paths: Paths, results: LoadResults | None = None) -> Path:
    """The Data Docs of the validations the store keeps, rendered in a worker when the server
    runs: this process then never imports GX. results: the load results, when read already."""
    from pipelines.ingest import data_docs

    index = data_docs.docs_dir(paths) / "index.html"
    if not LandingStore(paths).kept_validations() and index.exists():
        return data_docs.refresh_pages(paths, results)
    if not _server_started():
        return data_docs.build_kept_data_docs(paths, results)
    with ProcessPoolExecutor(1, mp_context=worker_context()) as pool:
        return pool.submit(data_docs.build_kept_data_docs, paths, results).result()


def _size(delivery: Delivery) -> int:
    try:
        return delivery.path.stat().st_size
    except OSError:
        return 0
