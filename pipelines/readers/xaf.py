"""XML Auditfile Financieel (XAF 3.2) ledger exports, streamed into LEDGER_SCHEMA.

Safety first, then speed. An XML file can only declare entities (the XXE and billion-laughs
attacks) inside a DOCTYPE, and a DOCTYPE can only stand before the root element. So a bare expat
parser reads the file up to the root's start tag and refuses any DOCTYPE (UnsafeFile); those same
bytes, then the rest of the file, go to the standard library's C parser, which never fetches
anything and, without a DTD, knows no entities but the five predefined ones. Expat is also what
checks that the file is well-formed and, where it declares UTF-8, valid UTF-8.

The C parser builds the tree in C and the reader walks it once per chunk of input: every element
that is complete is read and detached, so memory stays flat however many lines the ledger has.
Each `transactions/journal/transaction/trLine` becomes one row; its `source_row` is the ordinal
of the trLine in the file (1-based).

What real exports get wrong is tolerated, and every tolerance becomes a note: a UTF-8 BOM, a file
that declares UTF-8 (or ISO-8859-1) but holds Windows-1252 bytes, empty optional elements,
repeated line numbers inside a transaction, a `linesCount` that counts transactions. A line whose
amount, D/C indicator or date cannot be read is kept with a null and a RowProblem. What cannot be
tolerated rejects the delivery: a DTD (UnsafeFile), XML that is not well-formed (UnreadableFile),
another format (WrongLayout), another fiscal year (DeliveryRejected), and lines that differ from
the header's declared totals (Unbalanced). That every transaction closes is the rule of every
ledger format, checked on the read lines (pipelines/ingest/balance.py).

XAF 4.0 (2025) renamed and dropped line elements (`costID` became `cost`, `sourceID` became
`Source`, ...) and its published documents disagree on its namespace; it is refused with a
request to export XAF 3.2 rather than read half-right.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser
from xml.parsers import expat

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.errors import (
    DeliveryRejected,
    Unbalanced,
    UnreadableFile,
    UnsafeFile,
    WrongLayout,
)
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import AMOUNT, LEDGER_SCHEMA, ParsedDelivery, RowProblem

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
# The pending columns of a batch, in the order _transaction appends to them.
_PENDING = (
    "journal",
    "transaction_id",
    "line_number",
    "account_code",
    "account_name",
    "booking_date",
    "cost_centre",
    "description",
    "amount",
    *(
        f"raw:{name}"
        for name in ("trLine/nr", "accID", "costID", "amnt", "amntTp", "effDate", "trDt", "desc")
    ),
)
# Raw columns that hold what a row column holds whenever no text needed cleaning.
_RAW_AS_ROW = {
    "jrnID": "journal",
    "transaction/nr": "transaction_id",
    "trLine/nr": "line_number",
    "accID": "account_code",
    "costID": "cost_centre",
    "desc": "description",
}

# Read whole once complete (children included); other elements are read child by child.
_RECORDS = {("auditfile", "header"), ("generalLedger", "ledgerAccount"), ("journal", "transaction")}
_HEAD_SIZE = 4096
_CHUNK = 1 << 13  # bytes per feed: small, so parsed elements are freed before the GC promotes them
_SCAN_CHUNK = 1 << 20
_ARCHIVES = ((b"PK\x03\x04", "ZIP archive"), (b"\x1f\x8b", "gzip archive"))
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARED_TEXT = re.compile(r"""^(<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""")
_AMOUNT = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_CENT = Decimal("0.01")
_DATES_CACHED = 4096  # distinct valid dates remembered per file (a year has 366)


def read_xaf(
    delivery: Delivery, profile: KindProfile | None = None, *, batch_size: int = 50_000
) -> ParsedDelivery:
    """Read an XAF 3.2 auditfile into LEDGER_SCHEMA rows, or reject it with a specific error.

    The audit file's elements are a standard: a delivery profile has no columns to map in it,
    only whether its amounts include compensable VAT."""
    file = delivery.relative_path
    with delivery.path.open("rb") as handle:
        sniffed = _sniff_encoding(delivery.path, handle.read(_HEAD_SIZE), file)
        handle.seek(0)
        try:
            return _parse(delivery, handle, sniffed, batch_size, profile)
        except _NotWellFormed as error:
            if sniffed.encoding != "utf-8":
                raise error.unreadable(file) from None
            # Expat validates UTF-8 as it parses: only a file it refuses is scanned for the
            # first byte that is not UTF-8, and read again as Windows-1252 if there is one.
            bad = _first_invalid_utf8(delivery.path)
            if bad is None:
                raise error.unreadable(file) from None
        says = "declares UTF-8" if sniffed.declared else "has no encoding declaration (so UTF-8)"
        notes = [
            *sniffed.notes,
            f"file {says} but is not valid UTF-8 (first bad byte at offset {bad}); "
            "read as Windows-1252",
        ]
        handle.seek(0)
        transcoded = _Sniffed("windows-1252", notes, transcode=True, declared=sniffed.declared)
        try:
            return _parse(delivery, handle, transcoded, batch_size, profile)
        except _NotWellFormed as error:
            raise error.unreadable(file) from None


def _parse(
    delivery: Delivery,
    handle: BinaryIO,
    sniffed: _Sniffed,
    batch_size: int,
    profile: KindProfile | None,
) -> ParsedDelivery:
    file = delivery.relative_path
    stream = _Cp1252AsUtf8(handle, file) if sniffed.transcode else handle
    reader = _XafReader(delivery, batch_size, bool(profile and profile.amounts_include_vat))
    reader.notes.extend(sniffed.notes)
    chunk = _read_prolog(stream, file, reader.root)
    # The document's root becomes a child of `top`, so complete elements can be detached from
    # the tree while the parser is still feeding it.
    builder = TreeBuilder()
    top = builder.start("", {})
    parser = XMLParser(target=builder)
    try:
        while chunk:
            parser.feed(chunk)
            reader.drain(top)
            chunk = stream.read(_CHUNK)
        parser.close()
    except ParseError as error:
        line, column = error.position
        raise _NotWellFormed(line, column, error.code) from None
    reader.drain(top, final=True)
    return reader.finish(sniffed.encoding)


def header_fiscal_year(path: Path) -> int | None:
    """The fiscal year an audit file's header states (`fiscalYear`), from its first bytes; for a
    file that is not (yet) in a year folder. None when the head does not say."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)  # the header comes first; a long one still fits
    found = re.search(rb"<(?:[\w.-]+:)?fiscalYear>\s*(\d{4})\s*</", head)
    return int(found.group(1)) if found else None


class _RootFound(Exception):
    pass


def _read_prolog(stream: BinaryIO | _Cp1252AsUtf8, file: str, root: Callable[[str], None]) -> bytes:
    """Read up to the root element's start tag with a bare expat; return the bytes read.

    Entities can only be declared in a DOCTYPE, and a DOCTYPE can only stand before the root,
    so a file that passes here has no DTD at all: the parser that reads the rest needs no
    protection against entity expansion or external entities.
    """

    def doctype(name: str, *_: object) -> None:
        raise _unsafe(f"a DOCTYPE declaration (<!DOCTYPE {name}>)", file)

    def entity(name: str, *_: object) -> None:  # only reachable inside a DOCTYPE; kept as a net
        raise _unsafe(f"an entity declaration ({name})", file)

    def start(name: str, _attributes: object) -> None:
        root(f"{{{name}" if "}" in name else name)  # expat writes `namespace}local`
        raise _RootFound

    probe = expat.ParserCreate(namespace_separator="}")  # as xml.etree's own parser
    probe.StartDoctypeDeclHandler = doctype
    probe.EntityDeclHandler = entity
    probe.StartElementHandler = start
    read = []
    try:
        while True:
            chunk = stream.read(_HEAD_SIZE)
            read.append(chunk)
            probe.Parse(chunk, not chunk)
            if not chunk:
                break
    except _RootFound:
        pass
    except expat.ExpatError as error:
        raise _NotWellFormed(error.lineno, error.offset, error.code) from None
    return b"".join(read)


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


class _XafReader:
    def __init__(self, delivery: Delivery, batch_size: int, amounts_include_vat: bool) -> None:
        self.delivery = delivery
        self.amounts_include_vat = amounts_include_vat
        self.file = delivery.relative_path
        self.batch_size = batch_size
        self.notes: list[str] = []
        self.problems: list[RowProblem] = []
        self.header: dict[str, object] = {}
        self.accounts: dict[str, str | None] = {}
        self.account_types: dict[str, str] = {}
        self._type_lookup: tuple[pa.Array, pa.Array] | None = None
        self.declared: dict[str, str | None] = {}
        self.namespace = ""
        self.tags: _Tags | None = None
        self.names: dict[str, str] = {}
        self._delivery_id: str | None = None
        self._constant_columns: dict[str, pa.Array] | None = None
        self.journal: str | None = None
        self.pending: dict[str, list] = {}
        self.appenders: tuple = ()
        self.flushed = 0
        self.dates: dict[str, date] = {}
        self.batches: list[pa.RecordBatch] = []
        self.raw_batches: list[pa.RecordBatch] = []
        self.ordinal = 0
        self.transactions = 0
        self.debit = 0  # cents, lines with a readable amount and D/C only
        self.credit = 0
        self.unreconciled = 0
        self.repeated_nr = 0
        self.first_repeated: tuple[str | None, str | None, str | None] | None = None
        self.empty: Counter[str] = Counter()
        self.no_eff_date = 0
        self.negative = 0
        self.unknown_accounts: Counter[str] = Counter()
        self._new_batch()

    # -- streaming ------------------------------------------------------------------------

    def drain(self, top: Element, *, final: bool = False) -> None:
        """Read and detach every complete element under `top`, in document order.

        Of the children of an open element only the last can still be open, so walking down
        the last children (the parser's open path), every earlier child is complete.
        """
        if final:
            for child in top:
                self._complete("", child)
            del top[:]
            return
        node, name = top, ""
        while n := len(node):
            if n > 1:
                complete = node[: n - 1]
                del node[: n - 1]
                for child in complete:
                    self._complete(name, child)
            node, parent = node[0], name
            name = self._name(node.tag)
            if (parent, name) in _RECORDS:
                return  # a record is read whole, once it is complete

    def _name(self, tag: str) -> str:
        name = self.names.get(tag)
        if name is None:
            prefix = f"{{{self.namespace}}}"
            name = self.names[tag] = tag[len(prefix) :] if tag.startswith(prefix) else ""
        return name

    def _complete(self, parent: str, elem: Element) -> None:
        name = self._name(elem.tag)
        if (parent, name) in _RECORDS:
            self._record(name, elem)
        elif len(elem):
            for child in elem:
                self._complete(name, child)
        else:
            self._leaf(parent, name, elem)
        if parent == "transactions" and name == "journal":
            self.journal = None

    def root(self, tag: str) -> None:
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
                if fields.get("accTp"):
                    self.account_types[account] = fields["accTp"].upper()
        else:
            self._header(self._fields(elem))

    def _leaf(self, parent: str, name: str, elem: Element) -> None:
        if parent == "journal" and name == "jrnID":
            self.journal = _clean(elem.text)
        elif parent == "transactions" and name in ("linesCount", "totalDebit", "totalCredit"):
            self.declared[name] = _clean(elem.text)
        elif parent == "company" and name == "companyName":
            self.header["company_name"] = _clean(elem.text)

    def _fields(self, elem: Element) -> dict[str, str | None]:
        return {self._name(child.tag): _clean(child.text) for child in elem}

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
        """Read one complete transaction and queue its lines as pending rows.

        The hot path of the reader, written for speed: locals instead of attributes, texts
        cleaned inline (`(text and text.strip()) or None` is _clean without the call), one
        append per column, and the rare cases (problems, empty elements) in other methods.
        """
        t = self.tags
        nr = desc = tx_day = None
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
                tx_day = child.text
        self.transactions += 1
        (
            journals,
            transaction_ids,
            line_numbers,
            account_codes,
            account_names,
            booking_dates,
            cost_centres,
            descriptions,
            amounts,
            raw_nrs,
            raw_accounts,
            raw_costs,
            raw_amounts,
            raw_sides,
            raw_effs,
            raw_days,
            raw_descs,
        ) = self.appenders
        journal, accounts, dates = self.journal, self.accounts, self.dates
        tag_nr, tag_account, tag_cost, tag_desc = t.nr, t.accID, t.costID, t.desc
        tag_amount, tag_side, tag_eff, tag_doc = t.amnt, t.amntTp, t.effDate, t.docRef
        first_row = self.ordinal + 1
        debit = credit = 0
        readable = True
        seen: set[str | None] = set()
        repeated = None
        for row, line in enumerate(lines, first_row):
            fields = {c.tag: c.text for c in line}
            get = fields.get
            raw_nr, raw_account, raw_cost = get(tag_nr), get(tag_account), get(tag_cost)
            raw_amount, raw_side, raw_eff = get(tag_amount), get(tag_side), get(tag_eff)
            raw_desc = get(tag_desc)

            line_nr = (raw_nr and raw_nr.strip()) or None
            if line_nr in seen and repeated is None:
                repeated = line_nr
            seen.add(line_nr)
            cost_centre = (raw_cost and raw_cost.strip()) or None
            description = (raw_desc and raw_desc.strip()) or None
            if (cost_centre is None and tag_cost in fields) or (
                description is None and tag_desc in fields
            ):
                self._empty(fields)
            elif tag_doc in fields and not _clean(fields[tag_doc]):
                self.empty["docRef"] += 1

            account = (raw_account and raw_account.strip()) or None
            account_name = accounts.get(account)
            if account_name is None:
                self._account_without_name(row, account)

            eff = (raw_eff and raw_eff.strip()) or None
            day = dates.get(eff) if eff is not None else None
            if day is None:
                day = self._date(row, eff, tx_day)

            amount = (raw_amount and raw_amount.strip()) or None
            cents = _cents(amount) if amount is not None else None
            side = (raw_side and raw_side.strip()) or None
            if side == "D" and cents is not None and cents >= 0:
                debit += cents
                signed = cents
            elif side == "C" and cents is not None and cents >= 0:
                credit += cents
                signed = -cents
            else:
                self._amount_problems(row, amount, cents, side)
                if side not in ("D", "C"):
                    side = None
                if cents is None or side is None:
                    readable = False
                    signed = None
                elif side == "D":
                    debit += cents
                    signed = cents
                else:
                    credit += cents
                    signed = -cents

            journals(journal)
            transaction_ids(nr)
            line_numbers(line_nr)
            account_codes(account)
            account_names(account_name)
            booking_dates(day)
            cost_centres(cost_centre)
            descriptions(description or desc)
            amounts(signed)
            raw_nrs(raw_nr)
            raw_accounts(raw_account)
            raw_costs(raw_cost)
            raw_amounts(raw_amount)
            raw_sides(raw_side)
            raw_effs(raw_eff)
            raw_days(tx_day)
            raw_descs(raw_desc)
        self.ordinal += len(lines)
        self.debit += debit
        self.credit += credit
        if repeated is not None:
            self.repeated_nr += 1
            if self.first_repeated is None:
                self.first_repeated = (self.journal, nr, repeated)
        if not readable:
            self.unreconciled += 1
        if len(self.pending["amount"]) >= self.batch_size:
            self._flush(whole_batches_only=True)

    def _amount_problems(
        self, row: int, amount: str | None, cents: int | None, side: str | None
    ) -> None:
        if amount is None:
            self._problem(row, "amnt", None, "required", "the line has no amount (amnt)")
        elif cents is None:
            self._problem(
                row,
                "amnt",
                amount,
                "amount_format",
                f"'{amount}' is not an amount (expected a decimal point and at most two "
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

    def _empty(self, fields: dict[str, str | None]) -> None:
        t = self.tags
        for name, tag in (("docRef", t.docRef), ("costID", t.costID), ("desc", t.desc)):
            if tag in fields and not _clean(fields[tag]):
                self.empty[name] += 1

    def _account_without_name(self, row: int, account: str | None) -> None:
        if account is None:
            self._problem(row, "accID", None, "required", "the line has no account (accID)")
        elif account not in self.accounts:
            self.unknown_accounts[account] += 1

    def _date(self, row: int, eff: str | None, tx_day: str | None) -> date | None:
        """The booking date of a line whose effDate is not a date seen before."""
        column, text = "effDate", eff
        if eff is None:
            self.no_eff_date += 1
            column, text = "trDt", _clean(tx_day)
            if text is None:
                self._problem(
                    row, column, None, "required", "the line has no date (effDate or trDt)"
                )
                return None
            if text in self.dates:
                return self.dates[text]
        day = _parse_date(text)
        if day is None:
            self._problem(
                row,
                column,
                text,
                "date_format",
                f"'{text}' is not a date (expected yyyy-mm-dd, e.g. 2024-12-31)",
            )
        elif len(self.dates) < _DATES_CACHED:
            self.dates[text] = day
        return day

    def _problem(self, row: int, column: str, value: str | None, rule: str, message: str) -> None:
        self.problems.append(RowProblem(row, column, value, rule, message))

    # -- batches --------------------------------------------------------------------------

    def _new_batch(self) -> None:
        self.pending = {name: [] for name in _PENDING}
        self.appenders = tuple(column.append for column in self.pending.values())

    def _flush(self, *, whole_batches_only: bool = False) -> None:
        """Turn the pending columns into record batches of batch_size rows (the last: fewer)."""
        size = self.batch_size
        while (n := len(self.pending["amount"])) >= (size if whole_batches_only else 1):
            pending = self.pending
            if n > size:
                rest = {name: column[size:] for name, column in pending.items()}
                pending = {name: column[:size] for name, column in pending.items()}
                n = size
            else:
                rest = None
            self._new_batch()
            if rest is not None:
                for name, column in rest.items():
                    self.pending[name].extend(column)
            self._batch(pending, n)

    def _batch(self, pending: dict[str, list], n: int) -> None:
        first = self.flushed + 1
        self.flushed += n
        columns = self._constants(n)
        columns["source_row"] = pa.array(range(first, first + n), pa.int64())
        for schema_field in LEDGER_SCHEMA:
            name = schema_field.name
            if name == "amount":
                columns[name] = _cents_to_amount(pending[name])
            elif name == "account_type":
                columns[name] = self._account_types(columns["account_code"])
            elif name not in columns:
                columns[name] = pa.array(pending[name], schema_field.type)
        self.batches.append(pa.RecordBatch.from_pydict(columns, schema=LEDGER_SCHEMA))
        raw_columns = [columns["source_row"]]
        for raw_field in RAW_SCHEMA:
            name = raw_field.name
            if name == "source_row":
                continue
            same = _RAW_AS_ROW.get(name)
            values = pending.get(f"raw:{name}")
            if values is None:
                raw_columns.append(columns[same])  # the row column is the original text
            elif same is not None and values == pending[same]:
                # most original texts need no cleaning: then raw and rows share one buffer
                raw_columns.append(columns[same])
            else:
                raw_columns.append(pa.array(values, raw_field.type))
        self.raw_batches.append(pa.RecordBatch.from_arrays(raw_columns, schema=RAW_SCHEMA))

    def _account_types(self, account_codes: pa.Array) -> pa.Array:
        """accTp of each line's account: looked up per batch, the hot path stays as it is."""
        if self._type_lookup is None:
            self._type_lookup = (
                pa.array(list(self.account_types), pa.string()),
                pa.array(list(self.account_types.values()), pa.string()),
            )
        accounts, types = self._type_lookup
        return pc.take(types, pc.index_in(account_codes, value_set=accounts))

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
                "amounts_include_vat": pa.repeat(self.amounts_include_vat, size),
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
    whole, dot, fraction = text.partition(".")
    if dot and len(fraction) == 2 and len(whole) <= 16 and (whole + fraction).isdecimal():
        return int(whole + fraction)  # the usual 1234.56
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if not (whole or fraction) or fraction[2:].strip("0") or len(whole.lstrip("0")) > 16:
        return None
    cents = int(whole or "0") * 100 + int(fraction[:2].ljust(2, "0"))
    return -cents if sign == "-" else cents


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


@dataclass(frozen=True)
class _Sniffed:
    encoding: str  # the effective encoding
    notes: list[str]
    transcode: bool = False  # Windows-1252 bytes, handed to expat as UTF-8
    declared: str | None = None


def _sniff_encoding(path: Path, head: bytes, file: str) -> _Sniffed:
    if not head:
        raise UnreadableFile("the file is empty (0 bytes)", file=file)
    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            raise UnreadableFile(
                f"the file is a {what}, not XML; deliver the auditfile (.xaf) inside it",
                file=file,
            )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _Sniffed("utf-16", [])  # expat reads UTF-16 with a BOM itself
    notes = []
    bom = head.startswith(codecs.BOM_UTF8)
    if bom:
        notes.append("the file starts with a UTF-8 byte-order mark (BOM); it was skipped")
    match = _DECLARATION.match(head[len(codecs.BOM_UTF8) :] if bom else head)
    declared = match[1].decode("ascii") if match else None
    codec = _codec(declared)
    if codec in (None, "utf-8"):
        return _Sniffed("utf-8", notes, declared=declared)  # read_xaf falls back to cp1252
    if codec == "iso8859-1":
        c1 = _first_match(path, re.compile(rb"[\x80-\x9f]"))
        if c1 is not None:
            notes.append(
                f"file declares {declared} but contains Windows-1252 characters such as the "
                f"euro sign (first at offset {c1}); read as Windows-1252"
            )
            return _Sniffed("windows-1252", notes, transcode=True, declared=declared)
    return _Sniffed(declared, notes, declared=declared)  # other encodings are left to expat


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
            chunk = handle.read(_SCAN_CHUNK)
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
        while chunk := handle.read(_SCAN_CHUNK):
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


def _unsafe(what: str, file: str) -> UnsafeFile:
    return UnsafeFile(
        f"the file contains {what}; auditfiles never need one, and it can make an XML reader "
        "read local files (XXE) or exhaust memory (billion laughs), so the file was not read",
        file=file,
        hint="Export the auditfile again from the financial package; it must not contain a "
        "DOCTYPE.",
    )


class _NotWellFormed(Exception):
    """Expat refused the bytes; read_xaf decides whether that is an encoding to fall back from."""

    def __init__(self, line: int, column: int, code: int) -> None:
        super().__init__(line, column, code)
        self.line, self.column, self.code = line, column, code

    def unreadable(self, file: str) -> UnreadableFile:
        reason = expat.ErrorString(self.code)
        if reason == expat.errors.XML_ERROR_NO_ELEMENTS:
            message = (
                f"the XML ends at line {self.line} before the auditfile is complete "
                "(no element found or elements left open); is the file truncated?"
            )
        else:
            message = f"not well-formed XML at line {self.line}, column {self.column + 1}: {reason}"
        return UnreadableFile(
            message, file=file, hint="Export the auditfile again; do not edit it by hand."
        )
