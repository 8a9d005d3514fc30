"""A delivery too large to hold whole, checked and stored a batch at a time: ledgers, CSV or XAF.

The same check as check.py's, in the same order, on the same rows: the reader hands out batches
of rows (with their delivered text and problems), GX runs the row rules on each, check.Decision
decides each batch's rows and keeps what the verdict needs (counts, sums per voucher, the
problems), and the batch's accepted and quarantined rows go to pending files. Once the file is
read, the file rules (the row count) and the verdict: the pending files are stored, or dropped
when the delivery is rejected. A delivery rejected whole has every row quarantined, so it is read
a second time, a batch at a time, for their delivered text; rejection is rare, holding every
delivered line in case of it is not.

A worker then holds one batch, not the file. Checked in one process: Amsterdam's audit file of
SF 1 (208 MB, 518,000 lines) peaked at 528 MB resident against 599 MB whole, a copy four times its
size (834 MB, 2.07 million lines) at 651 MB against 1,307 MB; Rotterdam's CSV ledger at 468 MB
against 575 MB at SF 1 (38.6 MB, 367,018 lines), at 652 MB against 1,288 MB at SF 4 (153 MB,
1.47 million lines). What still grows with the file: the sums per voucher of the balance rule
(77 bytes per voucher: 46 MB for Rotterdam's 638,741 vouchers at SF 4, and a few times that for
a moment while a batch's sums are added to them) and the problems of the quarantined rows.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from pipelines.contract.delivery import Delivery
from pipelines.contract.errors import DeliveryRejected
from pipelines.contract.kinds import kind as delivery_kind
from pipelines.contract.suites import suite_parameters
from pipelines.ingest.check import (
    CheckOptions,
    Decision,
    LoadResult,
    Verdict,
    check_drift,
    file_refusal,
    new_result,
)
from pipelines.ingest.store import LandingStore, PendingDelivery
from pipelines.ingest.validation import (
    RecordedValidation,
    row_rules,
    run_file_rules,
    run_row_rules,
)

# A file at least this large is read a batch at a time, when its kind and format can be. It is
# the size of a worker's chunk (workers.CHUNK_BYTES): a file this large is alone in its chunk,
# and smaller ones are validated many at once.
STREAM_BYTES = 48 * 1024 * 1024
BATCH_ROWS = 100_000


def streams(delivery: Delivery, stream_bytes: int | None = None) -> bool:
    """Whether the delivery is checked a batch at a time."""
    reader = delivery_kind(delivery.kind).batch_reader(delivery.path.suffix)
    if reader is None:
        return False
    try:
        size = delivery.path.stat().st_size
    except OSError:
        return False  # the whole check reports it
    return size >= (STREAM_BYTES if stream_bytes is None else stream_bytes)


def check_and_store_streamed(
    delivery: Delivery,
    options: CheckOptions,
    store: LandingStore,
    *,
    record: list[RecordedValidation] | None = None,
    batch_rows: int | None = None,
) -> LoadResult:
    """Check the delivery a batch at a time and store what the verdict says; return the result.
    batch_rows: rows per batch (BATCH_ROWS)."""
    batch_rows = batch_rows or BATCH_ROWS
    kind = delivery_kind(delivery.kind)
    parameters = suite_parameters(delivery.fiscal_year)
    pending = PendingDelivery(store, delivery)
    decision = Decision(delivery, options)
    failed_rows: set[str] = set()  # the row rules that failed on any batch
    after = 0  # the last row of the batches decided
    try:
        if (refused := file_refusal(delivery, options)) is not None:
            raise refused
        batches = _batches(delivery, options, batch_rows)
        while True:
            try:
                batch = next(batches)
            except StopIteration as end:
                parsed = end.value
                break
            last = batch.raw["source_row"][-1].as_py() if batch.raw.num_rows else after
            part = f"rows-{after + 1}-{last}"
            [outcome] = run_row_rules(kind.name, [batch.rows], parameters, record=record, part=part)
            failed_rows.update(outcome.failed_expectations)
            accepted = decision.add(batch.rows, batch.problems, outcome.row_problems, batch.raw)
            quarantine = decision.quarantine(
                batch.raw, rejected_whole=False, after=after, up_to=last
            )
            pending.add(accepted, quarantine)
            after = last
        check_drift(delivery, parsed, options.previous_columns)
    except DeliveryRejected as error:
        result = new_result(delivery, options)
        result.message = error.describe()
        result.problems = [error.as_dict()]
        pending.reject(result)
        return result
    except BaseException:
        pending.discard()
        raise
    files = [[delivery.relative_path]] if decision.rows else [[]]
    [whole] = run_file_rules(kind.name, [decision.rows], files, parameters, record=record)
    failed = whole.failed_expectations + [r for r in row_rules(kind.name) if r in failed_rows]
    verdict = decision.close(parsed, replace(whole, failed_expectations=failed))
    if verdict is Verdict.LANDS:
        pending.finish(decision.result)
    elif verdict is Verdict.REJECTED_AS_FILE:
        pending.reject(decision.result)
    else:
        assert verdict is Verdict.REJECTED_WHOLE
        pending.quarantine_again()
        _quarantine_every_row(delivery, options, batch_rows, decision, pending)
        pending.finish(decision.result)
    return decision.result


def _batches(delivery: Delivery, options: CheckOptions, batch_rows: int):
    reader = delivery_kind(delivery.kind).batch_reader(delivery.path.suffix)
    return reader(delivery, options.profile, batch_size=batch_rows)


def _quarantine_every_row(
    delivery: Delivery,
    options: CheckOptions,
    batch_rows: int,
    decision: Decision,
    pending: PendingDelivery,
) -> None:
    """The second reading of a delivery rejected whole: every row, as delivered, to quarantine."""
    after = 0
    try:
        for batch in _batches(delivery, options, batch_rows):
            if not batch.raw.num_rows:
                continue
            last = batch.raw["source_row"][-1].as_py()
            pending.add(
                None, decision.quarantine(batch.raw, rejected_whole=True, after=after, up_to=last)
            )
            after = last
        # problems of rows after the last the reader made a row of
        empty = pa.table({"source_row": pa.array([], pa.int64())})
        pending.add(None, decision.quarantine(empty, rejected_whole=True, after=after, up_to=None))
    except DeliveryRejected as error:  # the file changed since its first reading
        pending.quarantine_again()
        decision.result.notes = [
            *decision.result.notes,
            f"its rows could not be quarantined: the file changed while it was checked "
            f"({error.describe()}); it is checked again in the next run",
        ]
