"""XML Auditfile Financieel (XAF 3.2) ledger exports, streamed into LEDGER_SCHEMA.

Safety first, then speed. An XML file can only declare entities (the XXE and billion-laughs
attacks) inside a DOCTYPE, and a DOCTYPE can only stand before the root element. So a bare expat
parser reads the file up to the root's start tag and refuses any DOCTYPE (UnsafeFile); those same
bytes, then the rest of the file, go to a second expat parser, which never fetches anything and,
without a DTD, knows no entities but the five predefined ones. Expat is also what checks that the
file is well-formed and, where it declares UTF-8, valid UTF-8.

No tree is built. The header, the accounts and journal ids are read element by element from
expat's events. Transactions are most of a ledger: a run of them that is plain XML in the
schema's order (xaf_lines.canonical_lines says which: a grammar of well-formed XML small enough
to match with one regular expression) is read from its bytes as a block of columns, and only its
line breaks go to expat; any transaction it does not match goes to expat's events like the rest,
so expat still reports every fault with its line and column. The reader holds one read-ahead
region (1 MiB) and one block of lines at a time, so memory stays flat however many lines the
ledger has. Each `transactions/journal/transaction/trLine` becomes one row; its `source_row` is
the ordinal of the trLine in the file (1-based).

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
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
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
from pipelines.contract.schemas import (
    AMOUNT,
    LEDGER_SCHEMA,
    ParsedDelivery,
    ReadBatch,
    RowProblem,
    whole_delivery,
)
from pipelines.readers.xaf_lines import (
    LINE_FIELDS,
    NOTED_EMPTY,
    LineBlock,
    LineTally,
    canonical_lines,
    convert_lines,
)

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
# The pending columns of a batch, as xaf_lines.convert_lines returns them.
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
# Raw columns whose text is the row column's: the journal and transaction ids, as cleaned.
_RAW_AS_ROW = {"jrnID": "journal", "transaction/nr": "transaction_id"}

# Read whole once complete (children included); other elements are read child by child.
_RECORDS = {("auditfile", "header"), ("generalLedger", "ledgerAccount"), ("journal", "transaction")}
_HEAD_SIZE = 4096
_CHUNK = 1 << 13  # bytes per read
_REGION = 1 << 20  # bytes read before they are given to expat: runs of lines read as one block
_SMALL_REGION = 1 << 13  # after a run that was not all canonical, runs this small at first
_BLOCK = 8192  # lines are converted to ledger columns this many at a time
_SCAN_CHUNK = 1 << 20
_ARCHIVES = ((b"PK\x03\x04", "ZIP archive"), (b"\x1f\x8b", "gzip archive"))
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARED_TEXT = re.compile(r"""^(<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""")
_AMOUNT = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_CENT = Decimal("0.01")


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
            return whole_delivery(_parse(delivery, handle, sniffed, batch_size, profile))
        except _NotWellFormed as error:
            if sniffed.encoding != "utf-8":
                raise error.unreadable(file) from None
            # Expat validates UTF-8 as it parses: only a file it refuses is scanned for the
            # first byte that is not UTF-8, and read again as Windows-1252 if there is one.
            bad = _first_invalid_utf8(delivery.path)
            if bad is None:
                raise error.unreadable(file) from None
        handle.seek(0)
        try:
            return whole_delivery(
                _parse(delivery, handle, _as_cp1252(sniffed, bad), batch_size, profile)
            )
        except _NotWellFormed as error:
            raise error.unreadable(file) from None


def read_xaf_batches(
    delivery: Delivery, profile: KindProfile | None = None, *, batch_size: int = 100_000
) -> Generator[ReadBatch, None, ParsedDelivery]:
    """read_xaf a batch at a time, for a file too large to hold whole: yields each batch of rows
    with their delivered text and problems, and returns the ParsedDelivery without rows (its
    notes and header). The same reader and the same rows as read_xaf.

    A batch handed out cannot be taken back, so a file that declares UTF-8 is scanned for a byte
    that is not before it is read (read_xaf scans only a file expat refuses): one pass more over
    a large file, against reading it twice."""
    file = delivery.relative_path
    with delivery.path.open("rb") as handle:
        sniffed = _sniff_encoding(delivery.path, handle.read(_HEAD_SIZE), file)
        handle.seek(0)
        if sniffed.encoding == "utf-8" and (bad := _first_invalid_utf8(delivery.path)) is not None:
            sniffed = _as_cp1252(sniffed, bad)
        try:
            return (yield from _parse(delivery, handle, sniffed, batch_size, profile))
        except _NotWellFormed as error:
            raise error.unreadable(file) from None


def _as_cp1252(sniffed: _Sniffed, bad: int) -> _Sniffed:
    says = "declares UTF-8" if sniffed.declared else "has no encoding declaration (so UTF-8)"
    notes = [
        *sniffed.notes,
        f"file {says} but is not valid UTF-8 (first bad byte at offset {bad}); "
        "read as Windows-1252",
    ]
    return _Sniffed("windows-1252", notes, transcode=True, declared=sniffed.declared)


def _parse(
    delivery: Delivery,
    handle: BinaryIO,
    sniffed: _Sniffed,
    batch_size: int,
    profile: KindProfile | None,
) -> Generator[ReadBatch, None, ParsedDelivery]:
    file = delivery.relative_path
    stream = _Cp1252AsUtf8(handle, file) if sniffed.transcode else handle
    reader = _XafReader(delivery, batch_size, bool(profile and profile.amounts_include_vat))
    reader.notes.extend(sniffed.notes)
    # canonical runs of transactions are read from their bytes, which needs them as UTF-8
    reader.canonical_allowed = sniffed.encoding == "utf-8" or sniffed.transcode
    buffer = _read_prolog(stream, file, reader.root)
    ended = False
    try:
        while True:
            parts = [buffer]
            size = len(buffer)
            while not ended and size < _REGION:
                chunk = stream.read(_CHUNK)
                ended = not chunk
                parts.append(chunk)
                size += len(chunk)
            buffer = reader.feed(b"".join(parts), ended)
            yield from reader.take_batches()
            if ended and not buffer:
                break
        reader.parser.Parse(b"", True)
    except expat.ExpatError as error:
        line = error.lineno + reader.breaks_skipped
        raise _NotWellFormed(line, error.offset, error.code) from None
    parsed = reader.finish(sniffed.encoding)
    yield from reader.take_batches()
    return parsed


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


class _Frame:
    """An open element: its local name, the text before its first child, whether it has one."""

    __slots__ = ("name", "parent", "texts")

    def __init__(self, name: str, parent: str) -> None:
        self.name = name
        self.parent = parent
        self.texts: list[str] | None = []  # None once a child started: later text is a tail

    def text(self) -> str | None:
        return "".join(self.texts) if self.texts else None


class _XafReader:
    """Reads the auditfile as expat reports it, element by element, except for runs of plain
    transactions: those expat only checks, and xaf_lines reads them from their bytes."""

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
        self.names: dict[str, str] = {}
        self._delivery_id: str | None = None
        self._constant_columns: dict[str, pa.Array] | None = None
        self.journal: str | None = None
        self.tally = LineTally()
        self.pending: list[dict[str, pa.Array]] = []
        self.pending_rows = 0
        self.flushed = 0
        self.batches: list[pa.RecordBatch] = []
        self.raw_batches: list[pa.RecordBatch] = []
        self.canonical_allowed = False
        self.window = _REGION  # bytes of transactions tried as one canonical run
        # the element path; a record (header, ledgerAccount, transaction) is collected whole
        self.stack: list[_Frame] = []
        self.record: tuple[str, int] | None = None  # (name, depth)
        self.fields: dict[str, str | None] = {}
        self.line: dict[str, str | None] | None = None
        self.lines: list[dict[str, str | None]] = []
        self.slow = _SlowLines()
        self.unconverted: list[LineBlock] = []
        self.unconverted_lines = 0
        self.default_namespaces: list[str | None] = [None]
        self.fed = 0  # bytes given to expat
        self.breaks_skipped = 0  # line breaks in canonical runs, not given to expat
        self.last_markup = -1  # offset of the last `<!` or `<?` fed
        self.markup_closed = -1  # offset of the last comment, CDATA section or PI read whole
        self.parser = self._expat()

    # -- expat ----------------------------------------------------------------------------

    def _expat(self) -> expat.XMLParserType:
        parser = expat.ParserCreate(namespace_separator="}")  # as xml.etree's own parser
        parser.buffer_text = True
        parser.ordered_attributes = True
        parser.StartNamespaceDeclHandler = self._namespace_start
        parser.EndNamespaceDeclHandler = self._namespace_end
        parser.CommentHandler = self._markup
        parser.ProcessingInstructionHandler = self._markup
        parser.EndCdataSectionHandler = self._markup
        parser.XmlDeclHandler = self._markup
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        return parser

    def _markup(self, *_: object) -> None:
        self.markup_closed = self.parser.CurrentByteIndex

    def _namespace_start(self, prefix: str | None, uri: str | None) -> None:
        if prefix is None:
            self.default_namespaces.append(uri)

    def _namespace_end(self, prefix: str | None) -> None:
        if prefix is None:
            self.default_namespaces.pop()

    def feed(self, data: bytes, ended: bool) -> bytes:
        """Give expat what can be given of `data`; return the rest, to come back with more."""
        at, size = 0, len(data)
        journal_end = -1
        while at < size:
            if self.canonical_allowed and self._between_transactions():
                start = at
                while start < size and data[start] in b" \t\r\n":
                    start += 1
                if data.startswith(b"<transaction>", start):
                    if journal_end < start:
                        journal_end = data.find(b"</journal>", start) % (size + 1)
                    if self.window < _REGION:  # after transactions that were not canonical
                        limit = min(journal_end, start + self.window)
                    else:
                        limit = journal_end
                    end = data.rfind(b"</transaction>", start, limit)
                    if end < start:
                        end = data.rfind(b"</transaction>", start, journal_end)
                    if end > start:
                        at = self._run(data, at, start, end + len(b"</transaction>"))
                        continue
                    if not ended and size - start < 4 * _REGION:
                        break  # a transaction longer than what was read: read on
                elif not ended and b"<transaction>".startswith(data[start:]):
                    break
            # up to the next transaction, where the path may allow a canonical run again
            cut = data.find(b"<transaction>", at + 1)
            if cut < 0:
                cut = size if ended else data.rfind(b"<", at + 1)
                if cut < 0:
                    cut = size
            self._feed(data[at:cut])
            at = cut
        return data[at:]

    def _run(self, data: bytes, at: int, start: int, end: int) -> int:
        """Whole transactions from `start` to `end`: the canonical ones it starts with are read as
        a block, else the first event by event; return how far `data` was read."""
        block, read = self._canonical(data[start:end])
        if block is None:
            self.window = max(self.window // 2, _SMALL_REGION)
            after = data.find(b"<transaction>", start + 1, end)
            end = after if after > 0 else end
            self._feed(data[at:end])
            return end
        if start + read < end:
            self.window = max(self.window // 2, _SMALL_REGION)
        else:
            self.window = min(2 * self.window, _REGION)
        self._feed(data[at:start])
        self._skip(data[start : start + read])
        self._add_block(block)
        return start + read

    def _feed(self, data: bytes) -> None:
        """Bytes read event by event."""
        markup = max(data.rfind(b"<!"), data.rfind(b"<?"))
        if markup >= 0:
            self.last_markup = self.fed + markup
        self.parser.Parse(data, False)
        self.fed += len(data)

    def _skip(self, data: bytes) -> None:
        """A canonical run, read already: expat gets a line break and the width of its last line
        in blanks instead, so the columns it reports further on stay right; its lines are counted
        here."""
        breaks = data.count(b"\n")
        if b"\r" in data:
            breaks += data.count(b"\r") - data.count(b"\r\n")
        last_line = data[max(data.rfind(b"\n"), data.rfind(b"\r")) + 1 :].decode("utf-8")
        blanks = b"\n"[: min(breaks, 1)] + b" " * len(last_line)
        self.breaks_skipped += max(breaks - 1, 0)
        self.parser.Parse(blanks, False)
        self.fed += len(blanks)
        self.stack[-1].texts = None

    def _between_transactions(self) -> bool:
        """Whether the parser stands in a journal's content, outside any record or markup, where
        the default namespace is XAF's: then `<transaction>` starts a transaction record."""
        return (
            self.record is None
            and bool(self.stack)
            and self.stack[-1].name == "journal"
            and self.default_namespaces[-1] == self.namespace
            and self.last_markup <= self.markup_closed
        )

    def _canonical(self, data: bytes) -> tuple[LineBlock | None, int]:
        """canonical_lines of `data`, as far as it is UTF-8 (expat says where it is not)."""
        if not data.isascii() and not _is_utf8(data):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                data = data[: max(data.rfind(b"<transaction>", 0, error.start + 1), 0)]
        return canonical_lines(data, self.journal)

    # -- events ---------------------------------------------------------------------------

    def _name(self, tag: str) -> str:
        name = self.names.get(tag)
        if name is None:
            prefix = f"{self.namespace}}}"
            name = self.names[tag] = tag[len(prefix) :] if tag.startswith(prefix) else ""
        return name

    def _start(self, tag: str, _attributes: object) -> None:
        name = self._name(tag)
        stack = self.stack
        parent = stack[-1] if stack else None
        if parent is not None:
            parent.texts = None
        parent_name = parent.name if parent is not None else ""
        stack.append(_Frame(name, parent_name))
        if self.record is None:
            if (parent_name, name) in _RECORDS:
                self.record = (name, len(stack))
                self.fields = {}
                self.lines = []
        elif name == "trLine" and self.record == ("transaction", len(stack) - 1):
            self.line = {}

    def _text(self, text: str) -> None:
        texts = self.stack[-1].texts
        if texts is not None:
            texts.append(text)

    def _end(self, _tag: str) -> None:
        frame = self.stack.pop()
        depth = len(self.stack)
        record = self.record
        if record is not None:
            name, record_depth = record
            if depth == record_depth - 1:
                self.record = None
                self._record(name)
            elif depth == record_depth:
                if name == "transaction" and frame.name == "trLine":
                    self.lines.append(self.line or {})
                    self.line = None
                else:
                    self.fields[frame.name] = frame.text()
            elif depth == record_depth + 1 and self.line is not None:
                self.line[frame.name] = frame.text()
            return
        if frame.texts is not None:  # no child: a leaf
            self._leaf(frame.parent, frame.name, frame.text())
        if frame.parent == "transactions" and frame.name == "journal":
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
        version = READABLE_VERSIONS[namespace]
        self.header["xaf_version"] = version
        if version != "3.2":
            self.notes.append(f"XAF {version} file: read as XAF 3.2, which has the same elements")

    def _record(self, name: str) -> None:
        if name == "transaction":
            self._transaction()
            return
        fields = {key: _clean(value) for key, value in self.fields.items()}
        if name == "ledgerAccount":
            account = fields.get("accID")
            if account:
                self._convert()  # lines read before this account do not know it
                self.accounts[account] = fields.get("accDesc")
                if fields.get("accTp"):
                    self.account_types[account] = fields["accTp"].upper()
        else:
            self._header(fields)

    def _leaf(self, parent: str, name: str, text: str | None) -> None:
        if parent == "journal" and name == "jrnID":
            self.journal = _clean(text)
        elif parent == "transactions" and name in ("linesCount", "totalDebit", "totalCredit"):
            self.declared[name] = _clean(text)
        elif parent == "company" and name == "companyName":
            self.header["company_name"] = _clean(text)

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

    def _transaction(self) -> None:
        """A transaction read event by event joins the block of such transactions."""
        self.slow.add(self.journal, self.fields, self.lines)
        self.unconverted_lines += len(self.lines)
        if self.unconverted_lines >= _BLOCK:
            self._convert()

    def _add_block(self, block: LineBlock) -> None:
        """A block of canonical transactions, after those read event by event before it."""
        if self.slow.transactions:
            self.unconverted.append(self.slow.block())
            self.slow = _SlowLines()
        self.unconverted.append(block)
        self.unconverted_lines += block.lines
        if self.unconverted_lines >= _BLOCK:
            self._convert()

    def _convert(self) -> None:
        """Lines read so far become pending ledger columns; before an account is added, too."""
        if self.slow.transactions:
            self.unconverted.append(self.slow.block())
            self.slow = _SlowLines()
        if self.unconverted:
            self._lines(LineBlock.concat(self.unconverted))
            self.unconverted, self.unconverted_lines = [], 0

    def _lines(self, block: LineBlock) -> None:
        columns = convert_lines(
            block,
            self.tally.lines + 1,
            self.accounts,
            self.tally,
            self.problems,
            _cents,
            _parse_date,
        )
        if block.lines:
            self.pending.append(columns)
            self.pending_rows += block.lines
        if self.pending_rows >= self.batch_size:
            self._flush(whole_batches_only=True)

    # -- batches --------------------------------------------------------------------------

    def _flush(self, *, whole_batches_only: bool = False) -> None:
        """Turn the pending columns into record batches of batch_size rows (the last: fewer)."""
        size = self.batch_size
        if self.pending_rows < (size if whole_batches_only else 1):
            return
        pending = {
            name: pa.concat_arrays([part[name] for part in self.pending]) for name in _PENDING
        }
        n, at = self.pending_rows, 0
        while n - at >= (size if whole_batches_only else 1):
            rows = min(size, n - at)
            self._batch({name: column.slice(at, rows) for name, column in pending.items()}, rows)
            at += rows
        self.pending = [{name: column.slice(at) for name, column in pending.items()}]
        self.pending_rows = n - at

    def _batch(self, pending: dict[str, pa.Array], n: int) -> None:
        first = self.flushed + 1
        self.flushed += n
        columns = self._constants(n)
        columns["source_row"] = pa.array(range(first, first + n), pa.int64())
        for schema_field in LEDGER_SCHEMA:
            name = schema_field.name
            if name == "amount":
                columns[name] = _cents_to_amount(pending[name])
            elif name == "account_type":
                columns[name] = self._account_types(pending["account_code"])
            elif name not in columns:
                columns[name] = pending[name]
        self.batches.append(pa.RecordBatch.from_pydict(columns, schema=LEDGER_SCHEMA))
        raw_columns = [columns["source_row"]]
        for raw_field in RAW_SCHEMA:
            name = raw_field.name
            if name != "source_row":
                raw = pending.get(f"raw:{name}")
                raw_columns.append(columns[_RAW_AS_ROW[name]] if raw is None else raw)
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
        self._convert()
        self._flush()
        self._reconcile()
        self.notes.extend(self._tolerance_notes())
        self.header.update(
            encoding=encoding,
            accounts=len(self.accounts),
            transactions_read=self.tally.transactions,
            lines_read=self.tally.lines,
            total_debit=Decimal(self.tally.debit) * _CENT,
            total_credit=Decimal(self.tally.credit) * _CENT,
        )
        return ParsedDelivery(
            delivery=self.delivery,
            delivery_id=delivery_id,
            rows=LEDGER_SCHEMA.empty_table(),
            raw=RAW_SCHEMA.empty_table(),
            notes=self.notes,
            header=self.header,
        )

    def take_batches(self) -> Iterator[ReadBatch]:
        """The batches made so far, each with the problems of its rows (those of later rows stay)."""
        batches, raws = self.batches, self.raw_batches
        self.batches, self.raw_batches = [], []
        for rows, raw in zip(batches, raws, strict=True):
            last = rows.num_rows and rows["source_row"][-1].as_py()
            mine = [p for p in self.problems if p.source_row <= last]
            if mine:
                self.problems = [p for p in self.problems if p.source_row > last]
            yield ReadBatch(pa.Table.from_batches([rows]), pa.Table.from_batches([raw]), mine)

    def _reconcile(self) -> None:
        declared = self.declared
        if not declared:
            self.notes.append(
                "the auditfile declares no transaction totals (linesCount, totalDebit, "
                "totalCredit); only debit = credit per transaction was checked"
            )
            return
        self._check_lines_count(declared.get("linesCount"))
        if self.tally.unreconciled:
            self.notes.append(
                "declared totalDebit/totalCredit were not compared: some line amounts are "
                "unreadable (see the row problems)"
            )
            return
        for name, read in (("totalDebit", self.tally.debit), ("totalCredit", self.tally.credit)):
            self._check_total(name, declared.get(name), read)

    def _check_lines_count(self, text: str | None) -> None:
        if text is None:
            self.notes.append("the header declares no linesCount; the line count was not checked")
            return
        if not text.isdigit():
            self.notes.append(f"header linesCount '{text}' is not a number; not checked")
            return
        declared, lines = int(text), self.tally.lines
        if declared == lines:
            return
        if declared == self.tally.transactions:
            self.notes.append(
                f"header linesCount {declared} equals the number of transactions, not of "
                f"transaction lines ({lines} trLine elements were read); accepted"
            )
            return
        raise Unbalanced(
            f"the header declares {declared} transaction lines (linesCount) but the file "
            f"holds {lines} trLine elements in {self.tally.transactions} transactions",
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
        if self.tally.lines == 0:
            notes.append("the auditfile contains no transaction lines (trLine)")
        if self.tally.empty:
            counts = ", ".join(
                f"{name} on {n} line(s)" for name, n in sorted(self.tally.empty.items())
            )
            notes.append(f"empty optional elements were read as missing: {counts}")
        if self.tally.first_repeated is not None:
            journal, nr, line_nr = self.tally.first_repeated
            notes.append(
                f"trLine/nr repeats within {self.tally.repeated_nr} transaction(s) (first: journal "
                f"'{journal}', transaction '{nr}', line nr '{line_nr}'); the lines are kept "
                "apart by source_row"
            )
        if self.tally.no_eff_date:
            notes.append(
                f"{self.tally.no_eff_date} line(s) have no effDate; the transaction date (trDt) "
                "was used as booking date"
            )
        if self.tally.negative:
            notes.append(
                f"{self.tally.negative} line(s) have a negative amnt; the sign was combined with "
                "amntTp (D -10.00 is read as a credit of 10.00)"
            )
        if self.tally.unknown_accounts:
            examples = ", ".join(sorted(self.tally.unknown_accounts)[:5])
            notes.append(
                f"{sum(self.tally.unknown_accounts.values())} line(s) use accounts that are not in "
                f"generalLedger (e.g. {examples}); their account_name is empty"
            )
        if self.tally.unreconciled:
            notes.append(
                f"{self.tally.unreconciled} transaction(s) could not be checked for debit = credit "
                "because a line amount or D/C indicator is unreadable (see the row problems)"
            )
        return notes


class _SlowLines:
    """Transactions read event by event, gathered into a LineBlock."""

    def __init__(self) -> None:
        self.journals: list[str | None] = []
        self.tx_nr: list[str | None] = []
        self.tx_desc: list[str | None] = []
        self.tx_day: list[str | None] = []
        self.tx: list[int] = []
        self.texts: dict[str, list[str | None]] = {name: [] for name in LINE_FIELDS}
        self.present: dict[str, list[bool]] = {name: [] for name in NOTED_EMPTY}

    @property
    def lines(self) -> int:
        return len(self.tx)

    @property
    def transactions(self) -> int:
        return len(self.tx_nr)

    def add(
        self,
        journal: str | None,
        fields: dict[str, str | None],
        lines: list[dict[str, str | None]],
    ) -> None:
        index = len(self.tx_nr)
        self.journals.append(journal)
        self.tx_nr.append(fields.get("nr"))
        self.tx_desc.append(fields.get("desc"))
        self.tx_day.append(fields.get("trDt"))
        for line in lines:
            self.tx.append(index)
            for name, texts in self.texts.items():
                texts.append(line.get(name))
            for name, present in self.present.items():
                present.append(name in line)

    def block(self) -> LineBlock:
        def strings(values: list[str | None]) -> pa.Array:
            return pa.array(values, pa.string())

        return LineBlock(
            journals=strings(self.journals),
            tx_nr=strings(self.tx_nr),
            tx_desc=strings(self.tx_desc),
            tx_day=strings(self.tx_day),
            tx=pa.array(self.tx, pa.int64()),
            texts={name: strings(values) for name, values in self.texts.items()},
            present={name: pa.array(values, pa.bool_()) for name, values in self.present.items()},
        )


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


def _cents_to_amount(cents: pa.Array) -> pa.Array:
    whole = pc.cast(cents, pa.decimal128(19, 0))
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


def _is_utf8(data: bytes) -> bool:
    """Arrow checks UTF-8 in place, many times faster than Python decodes it to a string."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


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
