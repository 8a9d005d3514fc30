"""Imported first by the fork server the checking workers start from, and nowhere else.

Every chunk is checked in a fresh fork of the server, so what the server does once here, no worker
does again: importing every reader, reading the vocabularies, starting Arrow's CSV reader and
running every suite once (GX builds its metric registry and execution engine on first use).
Without it, a worker spent 0.3-0.7 s more on its chunk; with it, about 0.2 s (Arrow's first
allocations).
"""

import atexit
import contextlib
import gc
import io

from pyarrow import csv

from pipelines.contract import vocabulary
from pipelines.contract.kinds import KINDS
from pipelines.contract.suites import suite_parameters
from pipelines.ingest.validation import run_suite_batch


def _warm_up() -> None:
    vocabulary.preload()
    csv.read_csv(io.BytesIO(b"a;b\n1;2\n"), parse_options=csv.ParseOptions(delimiter=";"))
    for kind in KINDS.values():
        for suffix in kind.readers:
            kind.reader(suffix)
        run_suite_batch(kind.name, [kind.schema.empty_table()], suite_parameters(2000))


# only a head start: a worker that meets the same problem reports it with its delivery
with contextlib.suppress(Exception):
    _warm_up()
# The server holds Great Expectations' objects; collecting them when it stops at the end of a
# run took 0.6 s, and `ictbench run` waits for it.
atexit.register(gc.freeze)
