"""XML Auditfile Financieel (XAF 3.2) ledger exports, streamed into LEDGER_SCHEMA.

The file is parsed with defusedxml's iterparse: a DOCTYPE is refused before anything in it is
resolved, and every element is detached once it has been read, so memory stays flat however many
lines the ledger has. Each `transactions/journal/transaction/trLine` becomes one row; its
`source_row` is the ordinal of the trLine in the file (1-based).

What real exports get wrong is tolerated, and every tolerance becomes a note: a UTF-8 BOM, a file
that declares UTF-8 (or ISO-8859-1) but holds Windows-1252 bytes, empty optional elements,
repeated line numbers inside a transaction, a `linesCount` that counts transactions. A line whose
amount, D/C indicator or date cannot be read is kept with a null and a RowProblem. What cannot be
tolerated rejects the delivery: a DTD (UnsafeFile), XML that is not well-formed (UnreadableFile),
another format (WrongLayout), another fiscal year (DeliveryRejected), and a ledger whose debit
and credit differ, per transaction or against the header's declared totals (Unbalanced).

XAF 4.0 (2025) renamed and dropped line elements (`costID` became `cost`, `sourceID` became
`Source`, ...) and its published documents disagree on its namespace; it is refused with a
request to export XAF 3.2 rather than read half-right.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as safe_etree
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.readers.delivery import Delivery
from pipelines.readers.errors import (
    DeliveryRejected,
    Unbalanced,
    UnreadableFile,
    UnsafeFile,
    WrongLayout,
)
from pipelines.readers.schema import AMOUNT, LEDGER_SCHEMA, ParsedDelivery, RowProblem

XAF_32 = "http://www.auditfiles.nl/XAF/3.2"
# XAF 3.2.1 (2024) only moved 3.2 to a new namespace and refreshed the code lists.
XAF_321 = (
    "http://www.odb.belastingdienst.nl/Belastingdienst/BCPP/1.0/structures/"
    "XmlAuditfileFinancieel3.2.1"
)
READABLE_VERSIONS = {XAF_32: "3.2", XAF_321: "3.2.1"}
# The 4.0 XSD, the 4.0 explanation and several exporters each use a different namespace.
XAF_40_NAMESPACES = (
    "http://www.odb.belastingdienst.nl/Belastingdienst/BCPP/1.1/structures/XmlauditfileXAF_4.0",
    "http://www.odb.belastingdienst.nl/XAF/4.0",
    "http://www.auditfiles.nl/XAF/4.0",
)
_XAF_40 = re.compile(r"xaf[/_]?4\.\d", re.IGNORECASE)

RAW_SCHEMA = pa.schema(
    [
        pa.field("source_row", pa.int64(), nullable=False),
        *(
            pa.field(name, pa.string())
            for name in (
                "jrnID",
                "transaction/nr",
                "trLine/nr",
                "accID",
                "costID",
                "amnt",
                "amntTp",
                "effDate",
                "trDt",
                "desc",
            )
        ),
    ]
)
_RAW_AS_ROW = {
    "source_row": "source_row",
    "jrnID": "journal",
    "transaction/nr": "transaction_id",
    "trLine/nr": "line_number",
    "accID": "account_code",
    "costID": "cost_centre",
}
_ROW_TEXT = ("journal", "transaction_id", "line_number", "account_code", "account_name")
_ROW_TEXT_AFTER_DATE = ("cost_centre", "description")

# Read whole at their end (children included); every other element is detached when it ends.
_RECORDS = {("auditfile", "header"), ("generalLedger", "ledgerAccount"), ("journal", "transaction")}
_OPTIONAL_LINE_ELEMENTS = ("docRef", "costID", "desc")
_HEAD_SIZE = 4096
_CHUNK = 1 << 20
_ARCHIVES = ((b"PK\x03\x04", "ZIP archive"), (b"\x1f\x8b", "gzip archive"))
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARED_TEXT = re.compile(r"""^(<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""")
_AMOUNT = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_CENT = Decimal("0.01")


def read_xaf(delivery: Delivery, *, batch_size: int = 50_000) -> ParsedDelivery:
    """Read an XAF 3.2 auditfile into LEDGER_SCHEMA rows, or reject it with a specific error."""
    file = delivery.relative_path
    reader = _XafReader(delivery, batch_size)
    with _xml_stream(delivery.path, file) as (stream, encoding, notes):
        reader.notes.extend(notes)
        events = safe_etree.iterparse(
            stream,
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        try:
            reader.consume(events)
        except defusedxml.DefusedXmlException as error:
            raise _unsafe(error, file) from None
        except ParseError as error:
            raise _not_well_formed(error, file) from None
    return reader.finish(encoding)


@dataclass(frozen=True)
class _Tags:
    """Namespace-qualified tags of the hot path, so lines are read without string slicing."""

    trLine: str
    nr: str
    desc: str
    trDt: str
    accID: str
    docRef: str
    effDate: str
    amnt: str
    amntTp: str
    costID: str

    @classmethod
    def of(cls, namespace: str) -> _Tags:
        return cls(*(f"{{{namespace}}}{name}" for name in cls.__dataclass_fields__))


@dataclass
class _Unbalanced:
    journal: str | None
    nr: str | None
    debit: int
    credit: int
    source_row: int


class _XafReader:
    def __init__(self, delivery: Delivery, batch_size: int) -> None:
        self.delivery = delivery
        self.file = delivery.relative_path
        self.batch_size = batch_size
        self.notes: list[str] = []
        self.problems: list[RowProblem] = []
        self.header: dict[str, object] = {}
        self.accounts: dict[str, str | None] = {}
        self.declared: dict[str, str | None] = {}
        self.namespace = ""
        self.tags: _Tags | None = None
        self.optional_tags: tuple[tuple[str, str], ...] = ()
        self._delivery_id: str | None = None
        self._constant_columns: dict[str, pa.Array] | None = None
        self.journal: str | None = None
        self.rows: dict[str, list] = {}
        self.raw: dict[str, list] = {}
        self.batches: list[pa.RecordBatch] = []
        self.raw_batches: list[pa.RecordBatch] = []
        self.ordinal = 0
        self.transactions = 0
        self.debit = 0  # cents, lines with a readable amount and D/C only
        self.credit = 0
        self.unbalanced = 0
        self.first_unbalanced: _Unbalanced | None = None
        self.unreconciled = 0
        self.repeated_nr = 0
        self.first_repeated: tuple[str | None, str | None, str | None] | None = None
        self.empty: Counter[str] = Counter()
        self.no_eff_date = 0
        self.negative = 0
        self.unknown_accounts: Counter[str] = Counter()
        self._reset_columns()

    # -- streaming ------------------------------------------------------------------------

    def consume(self, events: Iterator[tuple[str, Element]]) -> None:
        names: dict[str, str] = {}
        path: list[str] = []
        stack: list[Element] = []
        inside = 0  # depth inside a record; its descendants are read with it when it ends
        for event, elem in events:
            if inside:
                if event == "start":
                    inside += 1
                    continue
                inside -= 1
                if inside:
                    continue
                self._record(path.pop(), elem)
            else:
                tag = elem.tag
                name = names.get(tag)
                if name is None:
                    if not path:
                        self._root(tag)
                    name = names[tag] = self._local(tag)
                if event == "start":
                    if ((path[-1] if path else None), name) in _RECORDS:
                        inside = 1
                    path.append(name)
                    stack.append(elem)
                    continue
                path.pop()
                if path:
                    self._leaf(path[-1], name, elem)
            stack.pop()
            if stack:
                stack[-1].remove(elem)

    def _local(self, tag: str) -> str:
        prefix = f"{{{self.namespace}}}"
        return tag[len(prefix) :] if tag.startswith(prefix) else ""

    def _root(self, tag: str) -> None:
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if _XAF_40.search(namespace) or namespace in XAF_40_NAMESPACES:
            raise WrongLayout(
                f"this is an XAF 4.0 auditfile (namespace {namespace}); "
                "XAF 4.0 is not supported yet, export as XAF 3.2",
                file=self.file,
                hint="Financial packages still offer XAF 3.2 in the auditfile export dialog.",
            )
        if local != "auditfile" or namespace not in READABLE_VERSIONS:
            found = f"namespace '{namespace}'" if namespace else "no namespace"
            raise WrongLayout(
                f"not an XAF auditfile: the root element is <{local}> with {found}; expected "
                f"<auditfile> in namespace '{XAF_32}'",
                file=self.file,
                hint="Deliver the XML Auditfile Financieel (XAF 3.2) export of the ledger.",
            )
        self.namespace = namespace
        self.tags = _Tags.of(namespace)
        self.optional_tags = tuple(
            (name, getattr(self.tags, name)) for name in _OPTIONAL_LINE_ELEMENTS
        )
        version = READABLE_VERSIONS[namespace]
        self.header["xaf_version"] = version
        if version != "3.2":
            self.notes.append(f"XAF {version} file: read as XAF 3.2, which has the same elements")

    def _record(self, name: str, elem: Element) -> None:
        if name == "transaction":
            self._transaction(elem)
        elif name == "ledgerAccount":
            fields = self._fields(elem)
            account = fields.get("accID")
            if account:
                self.accounts[account] = fields.get("accDesc")
        else:
            self._header(self._fields(elem))

    def _leaf(self, parent: str, name: str, elem: Element) -> None:
        if parent == "journal" and name == "jrnID":
            self.journal = _clean(elem.text)
        elif parent == "transactions" and name == "journal":
            self.journal = None
        elif parent == "transactions" and name in ("linesCount", "totalDebit", "totalCredit"):
            self.declared[name] = _clean(elem.text)
        elif parent == "company" and name == "companyName":
            self.header["company_name"] = _clean(elem.text)

    def _fields(self, elem: Element) -> dict[str, str | None]:
        return {self._local(child.tag): _clean(child.text) for child in elem}

    # -- header ---------------------------------------------------------------------------

    def _header(self, fields: dict[str, str | None]) -> None:
        year = fields.get("fiscalYear")
        expected = self.delivery.fiscal_year
        slot = f"{self.delivery.municipality_code}/{expected}"
        if not year:
            raise WrongLayout(
                "the header has no fiscalYear", file=self.file, column="header/fiscalYear"
            )
        if not (year.isdigit() and len(year) == 4):
            raise DeliveryRejected(
                f"header fiscalYear '{year}' is not a year; this delivery slot ({slot}) expects "
                f"{expected}",
                file=self.file,
                column="header/fiscalYear",
            )
        if int(year) != expected:
            raise DeliveryRejected(
                f"the auditfile is for fiscal year {year} (header fiscalYear) but was delivered "
                f"as fiscal year {expected} (folder {slot})",
                file=self.file,
                column="header/fiscalYear",
                hint=f"Move the file to {self.delivery.municipality_code}/{year}/ or export "
                f"fiscal year {expected}.",
            )
        self.header.update(
            fiscal_year=int(year),
            start_date=fields.get("startDate"),
            end_date=fields.get("endDate"),
            currency=fields.get("curCode"),
            date_created=fields.get("dateCreated"),
            software_desc=fields.get("softwareDesc"),
            software_version=fields.get("softwareVersion"),
        )

    # -- transactions ---------------------------------------------------------------------

    def _transaction(self, elem: Element) -> None:
        t = self.tags
        nr = desc = day = None
        lines = []
        for child in elem:
            tag = child.tag
            if tag == t.trLine:
                lines.append(child)
            elif tag == t.nr:
                nr = _clean(child.text)
            elif tag == t.desc:
                desc = _clean(child.text)
            elif tag == t.trDt:
                day = child.text
        self.transactions += 1
        first_row = self.ordinal + 1
        debit = credit = 0
        readable = True
        seen: set[str | None] = set()
        repeated = None
        for line in lines:
            fields = {child.tag: child.text for child in line}
            line_nr, side, cents = self._line(fields, nr, desc, day)
            if line_nr in seen and repeated is None:
                repeated = line_nr
            seen.add(line_nr)
            if cents is None or side is None:
                readable = False
            elif side == "D":
                debit += cents
            else:
                credit += cents
        if repeated is not None:
            self.repeated_nr += 1
            if self.first_repeated is None:
                self.first_repeated = (self.journal, nr, repeated)
        if not readable:
            self.unreconciled += 1
        elif debit != credit:
            self.unbalanced += 1
            if self.first_unbalanced is None:
                self.first_unbalanced = _Unbalanced(self.journal, nr, debit, credit, first_row)

    def _line(
        self, fields: dict[str, str | None], nr: str | None, tx_desc: str | None, tx_day: str | None
    ) -> tuple[str | None, str | None, int | None]:
        """Append one trLine to the pending columns; return (line nr, D/C, amount in cents)."""
        t = self.tags
        journal = self.journal
        self.ordinal += 1
        row = self.ordinal
        get = fields.get
        for name, tag in self.optional_tags:
            if tag in fields and not _clean(fields[tag]):
                self.empty[name] += 1

        line_nr = _clean(get(t.nr))
        account = _clean(get(t.accID))
        if account is None:
            self._problem(row, "accID", None, "required", "the line has no account (accID)")
        account_name = self.accounts.get(account) if account else None
        if account and account not in self.accounts:
            self.unknown_accounts[account] += 1

        eff = _clean(get(t.effDate))
        if eff is not None:
            day = self._date(row, "effDate", eff)
        else:
            self.no_eff_date += 1
            day = self._date(row, "trDt", _clean(tx_day))

        side, cents = self._amount(row, _clean(get(t.amnt)), _clean(get(t.amntTp)))
        signed = None if cents is None or side is None else (cents if side == "D" else -cents)

        rows = self.rows
        rows["source_row"].append(row)
        rows["journal"].append(journal)
        rows["transaction_id"].append(nr)
        rows["line_number"].append(line_nr)
        rows["account_code"].append(account)
        rows["account_name"].append(account_name)
        rows["booking_date"].append(day)
        rows["cost_centre"].append(_clean(get(t.costID)))
        rows["description"].append(_clean(get(t.desc)) or tx_desc)
        rows["amount"].append(signed)
        raw = self.raw
        raw["source_row"].append(row)
        raw["jrnID"].append(journal)
        raw["transaction/nr"].append(nr)
        for column, tag in (
            ("trLine/nr", t.nr),
            ("accID", t.accID),
            ("costID", t.costID),
            ("amnt", t.amnt),
            ("amntTp", t.amntTp),
            ("effDate", t.effDate),
            ("desc", t.desc),
        ):
            raw[column].append(get(tag))
        raw["trDt"].append(tx_day)
        if len(rows["source_row"]) >= self.batch_size:
            self._flush()
        return line_nr, side, cents

    def _amount(
        self, row: int, text: str | None, side: str | None
    ) -> tuple[str | None, int | None]:
        cents = _cents(text) if text is not None else None
        if text is None:
            self._problem(row, "amnt", None, "required", "the line has no amount (amnt)")
        elif cents is None:
            self._problem(
                row,
                "amnt",
                text,
                "amount_format",
                f"'{text}' is not an amount (expected a decimal point and at most two "
                "decimals, e.g. 1234.56)",
            )
        elif cents < 0:
            self.negative += 1
        if side not in ("D", "C"):
            shown = f"'{side}'" if side is not None else "empty"
            self._problem(
                row,
                "amntTp",
                side,
                "debit_credit",
                f"amntTp is {shown}; expected D (debit) or C (credit)",
            )
            return None, cents
        if cents is not None:
            if side == "D":
                self.debit += cents
            else:
                self.credit += cents
        return side, cents

    def _date(self, row: int, column: str, text: str | None) -> date | None:
        if text is None:
            self._problem(row, column, None, "required", "the line has no date (effDate or trDt)")
            return None
        day = _parse_date(text)
        if day is None:
            self._problem(
                row,
                column,
                text,
                "date_format",
                f"'{text}' is not a date (expected yyyy-mm-dd, e.g. 2024-12-31)",
            )
        return day

    def _problem(self, row: int, column: str, value: str | None, rule: str, message: str) -> None:
        self.problems.append(RowProblem(row, column, value, rule, message))

    # -- batches --------------------------------------------------------------------------

    def _reset_columns(self) -> None:
        self.rows = {name: [] for name in ("source_row", *_ROW_TEXT, "booking_date")}
        self.rows.update({name: [] for name in (*_ROW_TEXT_AFTER_DATE, "amount")})
        self.raw = {name: [] for name in RAW_SCHEMA.names}

    def _flush(self) -> None:
        rows, raw = self.rows, self.raw
        n = len(rows["source_row"])
        if not n:
            return
        constants = self._constants(n)
        columns: dict[str, pa.Array] = {}
        for schema_field in LEDGER_SCHEMA:
            name = schema_field.name
            if name in constants:
                columns[name] = constants[name]
            elif name == "amount":
                columns[name] = _cents_to_amount(rows[name])
            else:
                columns[name] = pa.array(rows[name], schema_field.type)
        self.batches.append(pa.RecordBatch.from_pydict(columns, schema=LEDGER_SCHEMA))
        raw_columns = []
        for raw_field in RAW_SCHEMA:
            same = _RAW_AS_ROW.get(raw_field.name)
            # most original texts need no cleaning: then raw and rows share one buffer
            if same is not None and raw[raw_field.name] == rows[same]:
                raw_columns.append(columns[same])
            else:
                raw_columns.append(pa.array(raw[raw_field.name], raw_field.type))
        self.raw_batches.append(pa.RecordBatch.from_arrays(raw_columns, schema=RAW_SCHEMA))
        self._reset_columns()

    def _constants(self, n: int) -> dict[str, pa.Array]:
        """Columns with one value for the whole file: every batch shares the same buffers."""
        if self._constant_columns is None:
            delivery, size = self.delivery, self.batch_size
            self._constant_columns = {
                "delivery_id": pa.repeat(self.delivery_id, size),
                "municipality_code": pa.repeat(delivery.municipality_code, size),
                "fiscal_year": pa.repeat(pa.scalar(delivery.fiscal_year, pa.int32()), size),
                "source_file": pa.repeat(delivery.relative_path, size),
                "cost_type": pa.nulls(size, pa.string()),
            }
        return {name: column.slice(0, n) for name, column in self._constant_columns.items()}

    @property
    def delivery_id(self) -> str:
        if self._delivery_id is None:
            self._delivery_id = self.delivery.content_hash()
        return self._delivery_id

    # -- the end --------------------------------------------------------------------------

    def finish(self, encoding: str) -> ParsedDelivery:
        if "fiscal_year" not in self.header:
            raise WrongLayout(
                "the auditfile has no header (fiscalYear, startDate, endDate)", file=self.file
            )
        delivery_id = self.delivery_id
        self._flush()
        self._reconcile()
        self.notes.extend(self._tolerance_notes())
        self.header.update(
            encoding=encoding,
            accounts=len(self.accounts),
            transactions_read=self.transactions,
            lines_read=self.ordinal,
            total_debit=Decimal(self.debit) * _CENT,
            total_credit=Decimal(self.credit) * _CENT,
        )
        return ParsedDelivery(
            delivery=self.delivery,
            delivery_id=delivery_id,
            rows=pa.Table.from_batches(self.batches, schema=LEDGER_SCHEMA),
            raw=pa.Table.from_batches(self.raw_batches, schema=RAW_SCHEMA),
            notes=self.notes,
            row_problems=self.problems,
            header=self.header,
        )

    def _reconcile(self) -> None:
        if self.unbalanced:
            raise self._unbalanced_error()
        declared = self.declared
        if not declared:
            self.notes.append(
                "the auditfile declares no transaction totals (linesCount, totalDebit, "
                "totalCredit); only debit = credit per transaction was checked"
            )
            return
        self._check_lines_count(declared.get("linesCount"))
        if self.unreconciled:
            self.notes.append(
                "declared totalDebit/totalCredit were not compared: some line amounts are "
                "unreadable (see the row problems)"
            )
            return
        for name, read in (("totalDebit", self.debit), ("totalCredit", self.credit)):
            self._check_total(name, declared.get(name), read)

    def _unbalanced_error(self) -> Unbalanced:
        first = self.first_unbalanced
        debit, credit = self.debit, self.credit
        if debit != credit:
            overall = (
                f"debit {_euros(debit)} != credit {_euros(credit)}, "
                f"difference {_euros(abs(debit - credit))} EUR"
            )
        else:
            overall = f"debit and credit both add up to {_euros(debit)}, but not per transaction"
        message = (
            f"the ledger does not balance: {overall}; first unbalanced transaction: journal "
            f"'{first.journal}', nr '{first.nr}' (debit {_euros(first.debit)} != credit "
            f"{_euros(first.credit)}, difference {_euros(abs(first.debit - first.credit))} EUR)"
        )
        if self.unbalanced > 1:
            message += f"; {self.unbalanced:,} transactions do not balance".replace(",", " ")
        return Unbalanced(
            message,
            file=self.file,
            row=first.source_row,
            hint="Every transaction must balance to the cent; export the complete, posted "
            "ledger of the fiscal year.",
        )

    def _check_lines_count(self, text: str | None) -> None:
        if text is None:
            self.notes.append("the header declares no linesCount; the line count was not checked")
            return
        if not text.isdigit():
            self.notes.append(f"header linesCount '{text}' is not a number; not checked")
            return
        declared, lines = int(text), self.ordinal
        if declared == lines:
            return
        if declared == self.transactions:
            self.notes.append(
                f"header linesCount {declared} equals the number of transactions, not of "
                f"transaction lines ({lines} trLine elements were read); accepted"
            )
            return
        raise Unbalanced(
            f"the header declares {declared} transaction lines (linesCount) but the file "
            f"holds {lines} trLine elements in {self.transactions} transactions",
            file=self.file,
            column="transactions/linesCount",
            hint="The export looks incomplete; export the ledger again.",
        )

    def _check_total(self, name: str, text: str | None, read: int) -> None:
        if text is None:
            self.notes.append(f"the header declares no {name}; it was not checked")
            return
        declared = _cents(text)
        if declared is None:
            self.notes.append(f"header {name} '{text}' is not an amount; not checked")
            return
        if declared != read:
            raise Unbalanced(
                f"the header declares {name} {_euros(declared)} but the lines add up to "
                f"{_euros(read)}, difference {_euros(abs(declared - read))} EUR",
                file=self.file,
                column=f"transactions/{name}",
                hint="The export looks incomplete or altered; export the ledger again.",
            )

    def _tolerance_notes(self) -> list[str]:
        notes = []
        if self.ordinal == 0:
            notes.append("the auditfile contains no transaction lines (trLine)")
        if self.empty:
            counts = ", ".join(f"{name} on {n} line(s)" for name, n in sorted(self.empty.items()))
            notes.append(f"empty optional elements were read as missing: {counts}")
        if self.first_repeated is not None:
            journal, nr, line_nr = self.first_repeated
            notes.append(
                f"trLine/nr repeats within {self.repeated_nr} transaction(s) (first: journal "
                f"'{journal}', transaction '{nr}', line nr '{line_nr}'); the lines are kept "
                "apart by source_row"
            )
        if self.no_eff_date:
            notes.append(
                f"{self.no_eff_date} line(s) have no effDate; the transaction date (trDt) "
                "was used as booking date"
            )
        if self.negative:
            notes.append(
                f"{self.negative} line(s) have a negative amnt; the sign was combined with "
                "amntTp (D -10.00 is read as a credit of 10.00)"
            )
        if self.unknown_accounts:
            examples = ", ".join(sorted(self.unknown_accounts)[:5])
            notes.append(
                f"{sum(self.unknown_accounts.values())} line(s) use accounts that are not in "
                f"generalLedger (e.g. {examples}); their account_name is empty"
            )
        if self.unreconciled:
            notes.append(
                f"{self.unreconciled} transaction(s) could not be checked for debit = credit "
                "because a line amount or D/C indicator is unreadable (see the row problems)"
            )
        return notes


# -- values -------------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


def _cents(text: str) -> int | None:
    """XML decimal -> cents; None when it is not a decimal or has non-zero digits past cents."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if not (whole or fraction) or fraction[2:].strip("0") or len(whole.lstrip("0")) > 16:
        return None
    cents = int(whole or "0") * 100 + int(fraction[:2].ljust(2, "0"))
    return -cents if sign == "-" else cents


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> date | None:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _cents_to_amount(cents: list[int | None]) -> pa.Array:
    whole = pc.cast(pa.array(cents, pa.int64()), pa.decimal128(19, 0))
    return pc.multiply(whole, pa.scalar(_CENT, pa.decimal128(3, 2))).cast(AMOUNT)


def _euros(cents: int) -> str:
    whole, fraction = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{whole:,}.{fraction:02d}".replace(",", " ")


# -- bytes in -----------------------------------------------------------------------------


@contextmanager
def _xml_stream(path: Path, file: str) -> Iterator[tuple[BinaryIO, str, list[str]]]:
    """The file as a byte stream expat can read, its effective encoding, and notes on it."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_SIZE)
        handle.seek(0)
        encoding, notes, transcode = _sniff_encoding(path, head, file)
        yield (_Cp1252AsUtf8(handle, file) if transcode else handle), encoding, notes


def _sniff_encoding(path: Path, head: bytes, file: str) -> tuple[str, list[str], bool]:
    if not head:
        raise UnreadableFile("the file is empty (0 bytes)", file=file)
    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            raise UnreadableFile(
                f"the file is a {what}, not XML; deliver the auditfile (.xaf) inside it",
                file=file,
            )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", [], False  # expat reads UTF-16 with a BOM itself
    notes = []
    bom = head.startswith(codecs.BOM_UTF8)
    if bom:
        notes.append("the file starts with a UTF-8 byte-order mark (BOM); it was skipped")
    match = _DECLARATION.match(head[len(codecs.BOM_UTF8) :] if bom else head)
    declared = match[1].decode("ascii") if match else None
    codec = _codec(declared)
    if codec in (None, "utf-8"):
        bad = _first_invalid_utf8(path)
        if bad is None:
            return "utf-8", notes, False
        says = "declares UTF-8" if declared else "has no encoding declaration (so UTF-8)"
        notes.append(
            f"file {says} but is not valid UTF-8 (first bad byte at offset {bad}); "
            "read as Windows-1252"
        )
        return "windows-1252", notes, True
    if codec == "iso8859-1":
        c1 = _first_match(path, re.compile(rb"[\x80-\x9f]"))
        if c1 is not None:
            notes.append(
                f"file declares {declared} but contains Windows-1252 characters such as the "
                f"euro sign (first at offset {c1}); read as Windows-1252"
            )
            return "windows-1252", notes, True
    return declared, notes, False  # any other declared encoding is left to expat


def _codec(declared: str | None) -> str | None:
    if declared is None:
        return None
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return declared  # expat reports the unknown encoding as a parse error


def _first_invalid_utf8(path: Path) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return offset - pending + error.start
            if not chunk:
                return None
            offset += len(chunk)


def _first_match(path: Path, pattern: re.Pattern[bytes]) -> int | None:
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            match = pattern.search(chunk)
            if match:
                return offset + match.start()
            offset += len(chunk)
    return None


class _Cp1252AsUtf8:
    """A Windows-1252 file read as UTF-8 bytes, chunk by chunk, declaring UTF-8."""

    def __init__(self, handle: BinaryIO, file: str) -> None:
        self._handle = handle
        self._file = file
        self._offset = 0
        self._first = True

    def read(self, size: int = -1) -> bytes:
        while True:
            raw = self._handle.read(size)
            if self._first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
                self._offset = len(codecs.BOM_UTF8)
            try:
                text = raw.decode("cp1252")  # single-byte: no state across chunks
            except UnicodeDecodeError as error:
                offset = self._offset + error.start
                raise UnreadableFile(
                    f"the file is neither UTF-8 nor Windows-1252 text (byte "
                    f"0x{raw[error.start]:02X} at offset {offset})",
                    file=self._file,
                    hint="Export the auditfile again as UTF-8.",
                ) from None
            self._offset += len(raw)
            if self._first:
                text = _DECLARED_TEXT.sub(r"\g<1>UTF-8\g<2>", text, count=1)
                self._first = False
            if text or not raw:
                return text.encode("utf-8")


# -- errors -------------------------------------------------------------------------------


def _unsafe(error: defusedxml.DefusedXmlException, file: str) -> UnsafeFile:
    if isinstance(error, defusedxml.DTDForbidden):
        what = f"a DOCTYPE declaration (<!DOCTYPE {error.name}>)"
    elif isinstance(error, defusedxml.EntitiesForbidden):
        what = f"an entity declaration ({error.name})"
    else:
        what = "a reference to an external resource"
    return UnsafeFile(
        f"the file contains {what}; auditfiles never need one, and it can make an XML reader "
        "read local files (XXE) or exhaust memory (billion laughs), so the file was not read",
        file=file,
        hint="Export the auditfile again from the financial package; it must not contain a "
        "DOCTYPE.",
    )


def _not_well_formed(error: ParseError, file: str) -> UnreadableFile:
    line, column = error.position
    reason = expat.ErrorString(error.code)
    if reason == expat.errors.XML_ERROR_NO_ELEMENTS:
        message = (
            f"the XML ends at line {line} before the auditfile is complete "
            "(no element found or elements left open); is the file truncated?"
        )
    else:
        message = f"not well-formed XML at line {line}, column {column + 1}: {reason}"
    return UnreadableFile(
        message, file=file, hint="Export the auditfile again; do not edit it by hand."
    )
