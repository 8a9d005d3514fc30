"""One load path for every kind: parse, validate, split, land or quarantine, and record the result.

Accounting always closes: rows read = rows landed + rows quarantined. A rejected delivery never
replaces what was landed before, so the published mart keeps the last good figures.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.errors import (
    DeliveryRejected,
    Unbalanced,
    WrongDeliveryFolder,
    WrongLayout,
)
from pipelines.contract.kinds import kind as delivery_kind
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import GAPS_FIELD, ParsedDelivery, RowProblem
from pipelines.contract.suites import contract_version, soft_fields, suite_parameters
from pipelines.ingest.balance import BalanceTally
from pipelines.ingest.statuses import ACCEPTED, PARTIAL, REJECTED, UNCHANGED  # noqa: F401
from pipelines.ingest.validation import RecordedValidation, SuiteOutcome, run_suite_batch

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("delivery_key", pa.string()),
        pa.field("delivery_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_row", pa.int64()),
        pa.field("original", pa.string()),  # the row's own fields as JSON text, as delivered
        pa.field("columns", pa.list_(pa.string())),
        pa.field("rules", pa.list_(pa.string())),
        pa.field("reasons", pa.list_(pa.string())),
        # true: the row landed without the values of its soft fields named in `columns`
        pa.field("landed", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class LoadPolicy:
    """How much of a delivery may be quarantined before the whole delivery is rejected."""

    max_quarantined_row_share: float = 0.01
    max_quarantined_amount_share: float = 0.01


DEFAULT_POLICY = LoadPolicy()


@dataclass
class LoadResult:
    delivery_key: str
    kind: str
    municipality_code: str
    fiscal_year: int | None
    source_file: str
    delivery_id: str | None
    status: str
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    rows_with_gaps: int = 0  # landed without a soft value that was missing or broke a rule
    rows_dated_after_check: int = 0  # ledger lines landed with a booking date after checked_at
    failed_expectations: list[str] = field(default_factory=list)
    message: str | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    contract_version: str | None = None
    profile: str | None = None  # digest of the delivery profile the check used, if any
    columns: list[str] | None = None  # canonical columns the file had, for header-drift checks
    checked_at: str | None = None

    @property
    def landed(self) -> bool:
        return self.status in (ACCEPTED, PARTIAL)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckedDelivery:
    """Everything decided about a delivery, before anything is written."""

    result: LoadResult
    accepted: pa.Table | None = None
    quarantine: pa.Table | None = None


@dataclass(frozen=True)
class CheckOptions:
    """What a check needs besides the file.

    known_municipalities: CBS codes a delivery may come from (None: not checked).
    previous_columns: the columns of the last accepted delivery of this municipality and kind; a
    column that disappears is header drift and rejects the file.
    profile: the municipality's delivery profile for this kind; profile_error: why its profile
    cannot be used (the delivery is then rejected); profile_digest: which profile it was.
    delivery_id: the file's content hash when the caller has it, so that a rejected file is
    remembered and not read again while its bytes stay the same.
    """

    policy: LoadPolicy = DEFAULT_POLICY
    pseudonymiser: Callable[[str], str] | None = None
    known_municipalities: frozenset[str] | None = None
    previous_columns: list[str] | None = None
    profile: KindProfile | None = None
    profile_error: DeliveryRejected | None = None
    profile_digest: str | None = None
    delivery_id: str | None = None


def now() -> dt.datetime:
    """When a delivery is checked; a booking date after this day cannot be a posted line."""
    return dt.datetime.now(dt.UTC)


def new_result(delivery: Delivery, options: CheckOptions) -> LoadResult:
    return LoadResult(
        delivery_key=delivery.key,
        kind=delivery.kind,
        municipality_code=delivery.municipality_code,
        fiscal_year=delivery.fiscal_year,
        source_file=delivery.relative_path,
        delivery_id=options.delivery_id,
        status=REJECTED,
        contract_version=contract_version(delivery.kind),
        profile=options.profile_digest,
        checked_at=now().isoformat(timespec="seconds"),
    )


def parse(delivery: Delivery, options: CheckOptions) -> ParsedDelivery | CheckedDelivery:
    """Read the file; a file-level problem gives a rejected CheckedDelivery instead."""
    try:
        if (refused := file_refusal(delivery, options)) is not None:
            raise refused
        kind = delivery_kind(delivery.kind)
        parsed = kind.read(delivery, options.pseudonymiser, options.profile)
        check_drift(delivery, parsed, options.previous_columns)
    except DeliveryRejected as error:
        result = new_result(delivery, options)
        result.message = error.describe()
        result.problems = [error.as_dict()]
        return CheckedDelivery(result)
    return parsed


def file_refusal(delivery: Delivery, options: CheckOptions) -> DeliveryRejected | None:
    """Why the delivery is refused before it is read, if it is: an unknown municipality, or a
    delivery profile that cannot be used."""
    known = options.known_municipalities
    if known is not None and delivery.municipality_code not in known:
        return WrongDeliveryFolder(
            f"unknown municipality code {delivery.municipality_code}: it is not in the CBS "
            "municipality list (data_raw/reference/gemeenten.csv)",
            file=delivery.relative_path,
            hint="Check the folder name; merged municipalities deliver under the new code.",
        )
    return options.profile_error


def decide(parsed: ParsedDelivery, outcome: SuiteOutcome, options: CheckOptions) -> CheckedDelivery:
    """Split validated rows into what lands and what is quarantined, or reject the delivery."""
    decision = Decision(parsed.delivery, options, parsed.delivery_id)
    accepted = decision.add(parsed.rows, parsed.row_problems, outcome.row_problems, parsed.raw)
    verdict = decision.close(parsed, outcome)
    if verdict is Verdict.REJECTED_AS_FILE:
        return CheckedDelivery(decision.result)
    whole = verdict is Verdict.REJECTED_WHOLE
    quarantine = decision.quarantine(parsed.raw, rejected_whole=whole, up_to=None)
    return CheckedDelivery(decision.result, None if whole else accepted, quarantine)


class Verdict(enum.Enum):
    REJECTED_AS_FILE = "rejected as a file"  # nothing of it lands or is quarantined
    REJECTED_WHOLE = "rejected whole"  # every row is quarantined
    LANDS = "lands"  # the accepted parts land, the quarantined rows are kept


class Decision:
    """What lands of a delivery and what is quarantined, decided a part at a time (the whole
    delivery, or one batch of a delivery too large to hold), and the verdict once all is seen.

    The verdict takes every part: a delivery whose quarantined rows pass the policy's limits, or
    whose ledger does not balance, is only known at the end. So each part's accepted rows are kept
    aside (in memory or a pending file) until close() says whether they land."""

    def __init__(
        self, delivery: Delivery, options: CheckOptions, delivery_id: str | None = None
    ) -> None:
        self.delivery = delivery
        self.options = options
        self.kind = delivery_kind(delivery.kind)
        self.soft = soft_fields(delivery.kind)
        self.result = new_result(delivery, options)
        self.problems: dict[int, list[RowProblem]] = {}
        self.gaps: set[int] = set()
        self.rows = 0  # parsed rows
        self.broken_only = 0  # rows with a problem that the reader could not make a row of
        self.everything = 0  # the rows a quarantine of the whole delivery holds
        self.landed_rows = 0
        self.absolute_amount = Decimal(0)
        self.quarantined_amount = Decimal(0)
        self.ahead = 0  # landed lines dated after the day of the check
        self.first_ahead: tuple[int, dt.date] | None = None  # (row, date) of the first of them
        self.balance = BalanceTally() if self.kind.must_balance else None
        self.delivery_id = delivery_id

    def add(
        self,
        rows: pa.Table,
        parse_problems: list[RowProblem],
        suite_problems: list[RowProblem],
        raw: pa.Table,
    ) -> pa.Table:
        """Decide the rows of one part (`raw`: their delivered text); return those that land if
        the delivery does. quarantine() gives its quarantined rows."""
        problems = _merge(parse_problems, suite_problems)
        self.problems.update(problems)
        gaps = {row: ps for row, ps in problems.items() if all(p.field in self.soft for p in ps)}
        self.gaps.update(gaps)
        bad_rows = sorted(row for row in problems if row not in gaps)
        present = pc.is_in(pa.array(bad_rows, pa.int64()), rows["source_row"]).to_pylist()
        self.broken_only += sum(not found for found in present)
        self.rows += rows.num_rows
        in_raw = pc.is_in(pa.array(sorted(problems), pa.int64()), raw["source_row"])
        self.everything += raw.num_rows + (len(in_raw) - (pc.sum(in_raw).as_py() or 0))
        if self.balance is not None:
            self.balance.add(rows)
        if bad_rows:
            keep = pc.invert(pc.is_in(rows["source_row"], pa.array(bad_rows, pa.int64())))
            accepted = rows.filter(keep)
            self._count_amounts(rows, keep)
        else:  # the parsed rows themselves: a copy of a large delivery costs hundreds of MB
            accepted = rows
            self._count_amounts(rows, None)
        if gaps:
            accepted = _without_gap_values(accepted, gaps)
        if "booking_date" in accepted.column_names:
            self._count_dated_after_check(accepted)
        self.landed_rows += accepted.num_rows
        if self.delivery_id is None and "delivery_id" in rows.column_names and rows.num_rows:
            self.delivery_id = rows["delivery_id"][0].as_py()
        return accepted

    def _count_amounts(self, rows: pa.Table, keep: pa.Array | None) -> None:
        if "amount" not in rows.column_names or rows.num_rows == 0:
            return
        absolute = pc.abs(pc.fill_null(rows["amount"], Decimal(0)))
        total = pc.sum(absolute).as_py() or Decimal(0)
        self.absolute_amount += total
        if keep is not None:
            kept = pc.sum(absolute.filter(keep)).as_py() or Decimal(0)
            self.quarantined_amount += total - kept

    def _count_dated_after_check(self, accepted: pa.Table) -> None:
        checked_on = dt.date.fromisoformat(self.result.checked_at[:10])
        ahead = pc.fill_null(pc.greater(accepted["booking_date"], pa.scalar(checked_on)), False)
        count = pc.sum(ahead.cast(pa.int64())).as_py() or 0
        if count:
            self.ahead += count
            first = accepted.filter(ahead).sort_by("source_row").slice(0, 1).to_pylist()[0]
            found = (first["source_row"], first["booking_date"])
            self.first_ahead = min(self.first_ahead or found, found)

    def close(self, parsed: ParsedDelivery, outcome: SuiteOutcome) -> Verdict:
        """The verdict, once every part was added: `parsed` is the delivery without its rows
        (its header and notes) and `outcome` the file rules' (row count) outcome."""
        delivery, policy, result = self.delivery, self.options.policy, self.result
        result.delivery_id = parsed.delivery_id
        result.notes = parsed.notes
        result.columns = parsed.header.get("canonical_columns")
        result.failed_expectations = outcome.failed_expectations
        # every line refused by the reader (e.g. unreadable): its rows' reasons say more than what
        # the suite says of an empty table ("only a header")
        every_row_refused = self.rows == 0 and bool(self.problems)
        if outcome.table_failures and not every_row_refused:
            result.message = f"{delivery.relative_path}: " + "; ".join(outcome.table_failures)
            result.problems = [
                {"file": delivery.relative_path, "message": m} for m in outcome.table_failures
            ]
            return Verdict.REJECTED_AS_FILE
        problems, gaps = self.problems, self.gaps
        unusable = {
            row: [p for p in ps if p.field not in self.soft]
            for row, ps in problems.items()
            if row not in gaps
        }
        bad_rows = sorted(unusable)
        result.rows_read = self.rows + self.broken_only
        result.problems = [
            {"file": delivery.relative_path, "row": row, **asdict(p), "landed": row in gaps}
            for row in sorted(problems)
            for p in problems[row]
        ]
        if self.balance is not None:
            columns = parsed.header.get("canonical_columns")
            try:
                result.notes = result.notes + self.balance.close(
                    file=delivery.relative_path,
                    per_voucher=columns is None or "transaction_id" in columns,
                    broken=parsed.header.get("broken_row_vouchers"),
                )
            except Unbalanced as error:
                result.message = error.describe()
                result.problems = [error.as_dict(), *result.problems]
                result.rows_quarantined = self.everything
                return Verdict.REJECTED_WHOLE

        share_rows = len(bad_rows) / max(result.rows_read, 1)
        share_amount = (
            float(self.quarantined_amount / self.absolute_amount) if self.absolute_amount else 0.0
        )
        # only rows that no figure can use count against the delivery; a gap in a soft field does not
        if (
            share_rows > policy.max_quarantined_row_share
            or share_amount > policy.max_quarantined_amount_share
        ):
            result.status = REJECTED
            result.message = (
                f"{delivery.relative_path}: {len(bad_rows)} of {result.rows_read} rows "
                f"({share_rows:.1%} of rows, {share_amount:.1%} of the absolute amount) break the "
                f"contract; more than {policy.max_quarantined_row_share:.0%} is not accepted. "
                + _most_common(unusable)
            )
            result.rows_quarantined = self.everything
            return Verdict.REJECTED_WHOLE

        if gaps:
            result.rows_with_gaps = len(gaps)
            result.notes = [
                *result.notes,
                f"{len(gaps)} row(s) landed without a value that was missing or wrong, which the "
                "figures that need it leave out. "
                + _most_common({row: problems[row] for row in gaps}),
            ]
        if self.ahead:
            row, date = self.first_ahead
            checked_on = dt.date.fromisoformat(result.checked_at[:10])
            result.rows_dated_after_check = self.ahead
            result.notes = [
                *result.notes,
                f"{self.ahead} line(s) are dated after {checked_on:%d-%m-%Y}, the day the file "
                f"was checked (first: row {row}, {date:%d-%m-%Y}); a posted line cannot lie "
                "ahead: they landed and are counted in load_quality, check the booking dates",
            ]
        result.status = PARTIAL if bad_rows else ACCEPTED
        result.rows_landed = self.landed_rows
        result.rows_quarantined = len(bad_rows)
        if bad_rows:
            result.message = (
                f"{delivery.relative_path}: {len(bad_rows)} row(s) quarantined, "
                f"first: {unusable[bad_rows[0]][0].message} (row {bad_rows[0]})"
            )
        return Verdict.LANDS

    def quarantine(
        self, raw: pa.Table, *, rejected_whole: bool, after: int = 0, up_to: int | None
    ) -> pa.Table:
        """The quarantine of the rows after `after` up to `up_to` (None: the last), `raw` their
        delivered text: every row of a delivery rejected whole (with its problems), else the rows
        with a problem."""
        problems = {
            row: found
            for row, found in self.problems.items()
            if row > after and (up_to is None or row <= up_to)
        }
        landed = set() if rejected_whole else self.gaps & set(problems)
        return _quarantine_table(
            self.delivery,
            self.delivery_id or self.options.delivery_id,
            raw,
            problems,
            landed,
            rejected_whole=rejected_whole,
        )


def _without_gap_values(rows: pa.Table, gaps: dict[int, list[RowProblem]]) -> pa.Table:
    """The landed rows with each soft value that broke a rule left out (null), and the rules it
    broke added to the row's `gaps`, so every figure that needs the value can say why it lacks it."""
    source_rows = rows["source_row"]
    for name in sorted({p.field for problems in gaps.values() for p in problems}):
        hit = [row for row, problems in gaps.items() if any(p.field == name for p in problems)]
        mask = pc.is_in(source_rows, pa.array(hit, pa.int64()))
        position = rows.schema.get_field_index(name)
        column = rows.column(position)
        rows = rows.set_column(
            position,
            rows.schema.field(position),
            pc.if_else(mask, pa.scalar(None, column.type), column),
        )
    if GAPS_FIELD.name in rows.column_names:
        added = {row: sorted({p.rule for p in problems}) for row, problems in gaps.items()}
        merged = [
            (before or []) + added.get(row, [])
            for row, before in zip(
                source_rows.to_pylist(), rows[GAPS_FIELD.name].to_pylist(), strict=True
            )
        ]
        position = rows.schema.get_field_index(GAPS_FIELD.name)
        rows = rows.set_column(position, GAPS_FIELD, pa.array(merged, GAPS_FIELD.type))
    return rows


def check_delivery(delivery: Delivery, options: CheckOptions = CheckOptions()) -> CheckedDelivery:
    """Parse and validate one delivery and decide what lands; writes nothing."""
    [checked] = check_deliveries([(delivery, options)])
    return checked


def check_deliveries(
    batch: list[tuple[Delivery, CheckOptions]],
    *,
    max_rows: int = 1_000_000,
    record: list[RecordedValidation] | None = None,
) -> Iterator[CheckedDelivery]:
    """Check deliveries, validating those of one kind and year together in one GX run.

    Deliveries are parsed one by one and validated in groups of up to max_rows rows, so memory
    stays bounded however many deliveries there are. record: receives the GX results.
    """
    group: list[tuple[ParsedDelivery, CheckOptions]] = []
    rows = 0
    for delivery, options in sorted(batch, key=lambda item: _group_key(item[0])):
        if group and (_group_key(delivery) != _group_key(group[0][0].delivery) or rows >= max_rows):
            yield from _validate_group(group, record)
            group, rows = [], 0
        parsed = parse(delivery, options)
        if isinstance(parsed, CheckedDelivery):
            yield parsed
            continue
        group.append((parsed, options))
        rows += parsed.rows.num_rows
    if group:
        yield from _validate_group(group, record)


def _group_key(delivery: Delivery) -> tuple[str, int]:
    return delivery.kind, delivery.fiscal_year or 0


def _validate_group(
    group: list[tuple[ParsedDelivery, CheckOptions]], record: list[RecordedValidation] | None
) -> Iterator[CheckedDelivery]:
    first = group[0][0].delivery
    outcomes = run_suite_batch(
        first.kind,
        [p.rows for p, _ in group],
        suite_parameters(first.fiscal_year),
        record=record,
    )
    for (parsed, options), outcome in zip(group, outcomes, strict=True):
        yield decide(parsed, outcome, options)


def check_drift(
    delivery: Delivery, parsed: ParsedDelivery, previous_columns: list[str] | None
) -> None:
    columns = parsed.header.get("canonical_columns")
    if not previous_columns or columns is None:
        return
    missing = [name for name in previous_columns if name not in columns]
    if missing:
        raise WrongLayout(
            "header drift: column(s) "
            + ", ".join(f"`{name}`" for name in missing)
            + " were in the last accepted delivery and are missing now",
            file=delivery.relative_path,
            row=1,
            hint="Export with the same columns as before, or tell the benchmark team what changed.",
        )


def _most_common(problems: dict[int, list[RowProblem]]) -> str:
    by_rule: dict[str, list[RowProblem]] = defaultdict(list)
    for row in sorted(problems):
        for problem in problems[row]:
            by_rule[problem.rule].append(problem)
    rule, examples = max(by_rule.items(), key=lambda item: len(item[1]))
    first = examples[0]
    # reader messages name their column already; the suite's quote only the value
    named = first.message.startswith("column `")
    column = f"column `{first.column}`: " if first.column and not named else ""
    return (
        f"Most common: {rule} ({len(examples)} rows), first at row {first.source_row}: "
        f"{column}{first.message}"
    )


def _merge(parse_problems: list[RowProblem], suite_problems: list[RowProblem]) -> dict:
    """Problems per row; a value that did not parse is reported once, by the parser."""
    by_row: dict[int, list[RowProblem]] = defaultdict(list)
    for problem in parse_problems:
        by_row[problem.source_row].append(problem)
    for problem in suite_problems:
        already = by_row.get(problem.source_row)
        if already and problem.value is None:
            continue
        by_row[problem.source_row].append(problem)
    return dict(by_row)


def _quarantine_table(
    delivery: Delivery,
    delivery_id: str | None,
    raw: pa.Table,
    problems: dict,
    landed: set[int],
    *,
    rejected_whole: bool,
) -> pa.Table:
    """Every row with a problem, with its original text and reasons: those that did not land,
    and (landed) those that landed without a soft value; a rejected delivery's rows all."""
    raw_rows = raw["source_row"].to_pylist() if "source_row" in raw.column_names else []
    originals = {}
    fields = [name for name in raw.column_names if name != "source_row"]
    wanted = set(problems) if not rejected_whole else set(raw_rows) | set(problems)
    if wanted:
        mask = pc.is_in(raw["source_row"], pa.array(sorted(wanted), pa.int64()))
        for record in raw.filter(mask).to_pylist():
            line = record.pop("source_row")
            originals[line] = json.dumps({k: record[k] for k in fields}, ensure_ascii=False)
    records = []
    for line in sorted(wanted):
        row_problems = problems.get(line, [])
        original = originals.get(line) or json.dumps(
            # a line that is no row (wrong field count, unbalanced quote, too long): its text
            {"line": next((p.value for p in row_problems if p.column is None), None)},
            ensure_ascii=False,
        )
        reasons = [_reason(p) for p in row_problems] or ["delivery rejected as a whole"]
        records.append(
            {
                "delivery_key": delivery.key,
                "delivery_id": delivery_id,
                "kind": delivery.kind,
                "source_file": delivery.relative_path,
                "source_row": line,
                "original": original,
                "columns": [p.column for p in row_problems if p.column],
                "rules": [p.rule for p in row_problems] or ["delivery_rejected"],
                "reasons": reasons,
                "landed": line in landed,
            }
        )
    return pa.Table.from_pylist(records, schema=QUARANTINE_SCHEMA)


def _reason(problem: RowProblem) -> str:
    column = f"column `{problem.column}`: " if problem.column else ""
    return f"{column}{problem.message}"
