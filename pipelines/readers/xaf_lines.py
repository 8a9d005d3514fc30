"""XAF transaction lines, from the texts of their elements to ledger columns, a block at a time.

The reader (xaf.py) collects what each `trLine` holds as text, many lines at once; here those
texts become values with Arrow compute over the whole block: trimmed, amounts in cents, dates,
signs from amntTp. Only what is rare goes value by value through Python (an amount written other
than 1234.56, each distinct date once), so a line costs about the same whatever its content.

A `canonical_lines` block is read straight from the bytes of a run of whole transactions, when
those bytes hold nothing but plain elements in the order of the XAF 3.2 schema; the reader
falls back to its event parser for anything else (attributes, prefixes, comments, character
references, another order, repeated or unknown elements), so both give the same lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.schemas import RowProblem

# The elements of a trLine the reader uses, as the raw columns name them.
LINE_FIELDS = ("nr", "accID", "docRef", "effDate", "desc", "amnt", "amntTp", "costID")
# Optional elements whose being present but empty is a tolerance note.
NOTED_EMPTY = ("docRef", "costID", "desc")
# What str.strip() strips: Unicode white space (the characters XML forbids included).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_NO_TEXT = pa.scalar(None, pa.string())
_USUAL_AMOUNT = r"^[0-9]{1,16}\.[0-9]{2}$"


@dataclass
class LineBlock:
    """The texts of consecutive transactions and their lines, as the file holds them.

    Per transaction: journal (already cleaned), nr, desc, trDt. Per line: `tx`, the index of its
    transaction in the block, the text of each of LINE_FIELDS (null when absent or empty) and,
    for NOTED_EMPTY, whether the element is there at all."""

    journals: pa.Array
    tx_nr: pa.Array
    tx_desc: pa.Array
    tx_day: pa.Array
    tx: pa.Array
    texts: dict[str, pa.Array]
    present: dict[str, pa.Array]

    @property
    def lines(self) -> int:
        return len(self.tx)

    @property
    def transactions(self) -> int:
        return len(self.tx_nr)

    @classmethod
    def concat(cls, blocks: Sequence[LineBlock]) -> LineBlock:
        if len(blocks) == 1:
            return blocks[0]
        offsets, first = [], 0
        for block in blocks:
            offsets.append(pc.add(block.tx, first))
            first += block.transactions

        def joined(arrays: list[pa.Array]) -> pa.Array:
            return pa.concat_arrays(arrays)

        return cls(
            journals=joined([b.journals for b in blocks]),
            tx_nr=joined([b.tx_nr for b in blocks]),
            tx_desc=joined([b.tx_desc for b in blocks]),
            tx_day=joined([b.tx_day for b in blocks]),
            tx=joined(offsets),
            texts={name: joined([b.texts[name] for b in blocks]) for name in LINE_FIELDS},
            present={name: joined([b.present[name] for b in blocks]) for name in NOTED_EMPTY},
        )


@dataclass
class LineTally:
    """What a file's lines add up to, for the header's totals and the tolerance notes."""

    lines: int = 0
    transactions: int = 0
    debit: int = 0  # cents, lines with a readable amount and D/C only
    credit: int = 0
    unreconciled: int = 0
    repeated_nr: int = 0
    first_repeated: tuple[str | None, str | None, str | None] | None = None
    no_eff_date: int = 0
    negative: int = 0

    def __post_init__(self) -> None:
        self.empty: Counter[str] = Counter()
        self.unknown_accounts: Counter[str] = Counter()


def clean(texts: pa.Array) -> pa.Array:
    """Texts stripped of white space, null where nothing is left (as _clean, for a column)."""
    trimmed = pc.utf8_trim(texts, characters=WHITESPACE)
    return pc.if_else(pc.greater(pc.binary_length(trimmed), 0), trimmed, _NO_TEXT)


def convert_lines(
    block: LineBlock,
    first_row: int,
    accounts: dict[str, str | None],
    tally: LineTally,
    problems: list[RowProblem],
    cents_of: Callable[[str], int | None],
    date_of: Callable[[str], date | None],
) -> dict[str, pa.Array]:
    """The pending ledger columns of a block (amount in cents); tallies and problems added."""
    n = block.lines
    texts = block.texts
    found: list[tuple[int, int, RowProblem]] = []  # (line, order within the line, problem)

    def problem(mask: pa.Array, order: int, column: str, values, rule: str, message) -> None:
        for i in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
            value = values[i] if isinstance(values, list) else values
            text = message(value) if callable(message) else message
            found.append((i, order, RowProblem(first_row + i, column, value, rule, text)))

    tx = block.tx
    journal = block.journals.take(tx)
    transaction_id = clean(block.tx_nr).take(tx)
    line_number = clean(texts["nr"])
    cost_centre = clean(texts["costID"])
    line_desc = clean(texts["desc"])
    description = pc.coalesce(line_desc, clean(block.tx_desc).take(tx))
    for name in NOTED_EMPTY:
        empty = pc.sum(pc.and_(block.present[name], pc.is_null(clean(texts[name])))).as_py()
        if empty:
            tally.empty[name] += empty

    account = clean(texts["accID"])
    known = pa.array(list(accounts), pa.string())
    where = pc.index_in(account, value_set=known)
    account_name = pa.array(list(accounts.values()), pa.string()).take(where)
    problem(pc.is_null(account), 0, "accID", None, "required", "the line has no account (accID)")
    unknown = pc.and_(pc.is_valid(account), pc.is_null(where))
    if pc.any(unknown).as_py():
        for entry in pc.value_counts(account.filter(unknown)).to_pylist():
            tally.unknown_accounts[entry["values"]] += entry["counts"]

    booking_date = _booking_dates(block, journal, problem, tally, date_of)
    amount = _amounts(block, tx, problem, tally, cents_of)
    _repeated_line_numbers(block, line_number, transaction_id, journal, tally)

    found.sort(key=lambda entry: (entry[0], entry[1]))
    problems.extend(entry[2] for entry in found)
    tally.lines += n
    tally.transactions += block.transactions
    return {
        "journal": journal,
        "transaction_id": transaction_id,
        "line_number": line_number,
        "account_code": account,
        "account_name": account_name,
        "booking_date": booking_date,
        "cost_centre": cost_centre,
        "description": description,
        "amount": amount,
        "raw:trLine/nr": texts["nr"],
        "raw:accID": texts["accID"],
        "raw:costID": texts["costID"],
        "raw:amnt": texts["amnt"],
        "raw:amntTp": texts["amntTp"],
        "raw:effDate": texts["effDate"],
        "raw:trDt": block.tx_day.take(tx),
        "raw:desc": texts["desc"],
    }


def _booking_dates(block, journal, problem, tally: LineTally, date_of) -> pa.Array:
    eff = clean(block.texts["effDate"])
    without = pc.is_null(eff)
    tally.no_eff_date += pc.sum(without).as_py() or 0
    day = clean(block.tx_day).take(block.tx)
    text = pc.coalesce(eff, day)
    problem(
        pc.and_(without, pc.is_null(day)),
        1,
        "trDt",
        None,
        "required",
        "the line has no date (effDate or trDt)",
    )
    # each distinct text is read once, by the same function as ever
    distinct = pc.unique(text.filter(pc.is_valid(text))).to_pylist()
    parsed = [date_of(value) for value in distinct]
    dates = pa.array(parsed, pa.date32()).take(
        pc.index_in(text, value_set=pa.array(distinct, pa.string()))
    )
    bad = {value for value, day_read in zip(distinct, parsed, strict=True) if day_read is None}
    if bad:
        unreadable = pc.is_in(text, value_set=pa.array(list(bad), pa.string()))
        values = text.to_pylist()
        for column, mask in (("effDate", pc.invert(without)), ("trDt", without)):
            problem(
                pc.and_(unreadable, mask),
                1,
                column,
                values,
                "date_format",
                lambda value: f"'{value}' is not a date (expected yyyy-mm-dd, e.g. 2024-12-31)",
            )
    return dates


def _amounts(block, tx, problem, tally: LineTally, cents_of) -> pa.Array:
    amount = clean(block.texts["amnt"])
    usual = pc.fill_null(pc.match_substring_regex(amount, _USUAL_AMOUNT), False)
    cents = pc.cast(pc.replace_substring(amount.filter(usual), ".", ""), pa.int64())
    if len(cents) == len(amount):
        cents_all = cents
    else:  # amounts written otherwise: one by one, as ever
        values = amount.to_pylist()
        usual_list = usual.to_pylist()
        usual_cents = iter(cents.to_pylist())
        cents_all = pa.array(
            [
                next(usual_cents) if is_usual else (cents_of(v) if v is not None else None)
                for v, is_usual in zip(values, usual_list, strict=True)
            ],
            pa.int64(),
        )
        problem(pc.is_null(amount), 2, "amnt", None, "required", "the line has no amount (amnt)")
        problem(
            pc.and_(pc.is_valid(amount), pc.is_null(cents_all)),
            2,
            "amnt",
            values,
            "amount_format",
            lambda value: (
                f"'{value}' is not an amount (expected a decimal point and at most two "
                "decimals, e.g. 1234.56)"
            ),
        )
        tally.negative += pc.sum(pc.less(cents_all, 0)).as_py() or 0
    side = clean(block.texts["amntTp"])
    debit = pc.fill_null(pc.equal(side, "D"), False)
    credit = pc.fill_null(pc.equal(side, "C"), False)
    one_side = pc.or_(debit, credit)
    if not pc.all(one_side).as_py():
        sides = side.to_pylist()
        problem(
            pc.invert(one_side),
            3,
            "amntTp",
            sides,
            "debit_credit",
            lambda value: (
                "amntTp is "
                + (f"'{value}'" if value is not None else "empty")
                + "; expected D (debit) or C (credit)"
            ),
        )
    tally.debit += _sum(cents_all.filter(debit))
    tally.credit += _sum(cents_all.filter(credit))
    unreadable = pc.or_(pc.is_null(cents_all), pc.invert(one_side))
    if pc.any(unreadable).as_py():
        tally.unreconciled += pc.count_distinct(tx.filter(unreadable)).as_py()
    signed = pc.if_else(debit, cents_all, pc.if_else(credit, pc.negate(cents_all), None))
    return signed.cast(pa.int64())


def _sum(cents: pa.Array) -> int:
    """Exact: a file's cents can add up past int64."""
    total = pc.sum(cents.cast(pa.decimal128(38, 0))).as_py()
    return int(total) if total is not None else 0


def _repeated_line_numbers(block, line_number, transaction_id, journal, tally: LineTally) -> None:
    """Transactions in which a (cleaned) trLine/nr repeats; a missing nr is a value too."""
    keys = pc.binary_join_element_wise(
        block.tx.cast(pa.string()), pc.fill_null(line_number, "\x01"), "\x00"
    )
    if pc.count_distinct(keys).as_py() == block.lines:
        return
    counts = pc.value_counts(keys)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    transactions = sorted({int(key.split("\x00", 1)[0]) for key in repeated.to_pylist()})
    tally.repeated_nr += len(transactions)
    if tally.first_repeated is not None:
        return
    first = transactions[0]
    rows = pc.indices_nonzero(pc.equal(block.tx, first)).to_pylist()
    numbers = line_number.take(rows).to_pylist()
    seen: set[str | None] = set()
    for number in numbers:
        if number in seen:
            tally.first_repeated = (
                journal[rows[0]].as_py(),
                transaction_id[rows[0]].as_py(),
                number,
            )
            return
        seen.add(number)


# -- canonical runs of transactions, straight from their bytes ------------------------------


def _leaf(name: str, group: str) -> str:
    return rf"(?:<{name}(?:>(?P<{group}>{_TEXT})</{name}>|/>){_S})?+"


def _noted(name: str, group: str) -> str:
    """A leaf whose presence counts: group `{group}_at` holds "<" when it is there."""
    return rf"(?:(?P<{group}_at><){name}(?:>(?P<{group}>{_TEXT})</{name}>|/>){_S})?+"


def _others(names: Sequence[str]) -> str:
    elements = "|".join(rf"{name}(?:>{_TEXT}</{name}>|/>)" for name in names)
    return rf"(?:<(?:{elements}){_S})*+"


_S = r"[ \t\r\n]*+"
# Element text: any character XML allows in content but `<`; `&` and `]]>` are checked apart.
_TEXT = r"[^<\x00-\x08\x0b\x0c\x0e-\x1f]*+"  # U+FFFE and U+FFFF: checked apart
_TX_OTHERS = _others(("periodNumber", "amnt", "amntTp", "sourceID", "userID"))
_LINE_OTHERS = _others(
    (
        "recRef",
        "matchKeyID",
        "custSupID",
        "invRef",
        "orderRef",
        "receivingDocRef",
        "shipDocRef",
        "prodID",
        "projID",
        "artGrpID",
        "workCostArrRef",
        "qntityID",
        "qntity",
        "bankAccNr",
        "bankIdCd",
    )
)
_VAT = rf"(?:<vat(?:>{_S}{_others(('vatID', 'vatPerc', 'vatAmnt', 'vatAmntTp'))}</vat>|/>){_S})*+"
_CURRENCY = (
    rf"(?:<currency(?:>{_S}{_others(('curCode', 'curAmnt', 'curAmntTp'))}</currency>|/>){_S})?+"
)
# One trLine in the schema's order, with the start of its transaction when it is the first;
# or one character of anything else, which makes the run not canonical (`odd`). Groups that
# only say whether something is there capture a single character, which Python does not copy.
_LINE = re.compile(
    (
        rf"(?:<(?P<close>/)transaction>{_S})?+"
        rf"(?:(?P<open><)transaction>{_S}{_leaf('nr', 't_nr')}{_leaf('desc', 't_desc')}"
        rf"{_TX_OTHERS}{_leaf('trDt', 't_day')}{_TX_OTHERS})?+"
        rf"<trLine>{_S}{_leaf('nr', 'nr')}{_leaf('accID', 'accID')}{_noted('docRef', 'docRef')}"
        rf"{_leaf('effDate', 'effDate')}{_noted('desc', 'desc')}{_leaf('amnt', 'amnt')}"
        rf"{_leaf('amntTp', 'amntTp')}{_LINE_OTHERS}{_noted('costID', 'costID')}{_LINE_OTHERS}"
        rf"{_VAT}{_CURRENCY}</trLine>{_S}"
        r"|(?P<odd>[\s\S])"
    ).encode()
)
# A match's groups as one struct: Arrow takes findall's tuples in one call, no transposing.
_MATCH = pa.struct([(name, pa.binary()) for name in _LINE.groupindex])
_TAIL = re.compile(rf"{_S}</transaction>{_S}".encode())
_NOT_AN_ENTITY = re.compile(rb"&(?!(?:lt|gt|amp|quot|apos);)")
# Not in canonical text, with a byte of each that is rare in ledgers: character references,
# the end of a CDATA section, U+FFFE and U+FFFF (a pattern on bytes cannot exclude those).
_NOT_CANONICAL = (
    (b"&#", 1),
    (b"]]>", 0),
    ("\ufffe".encode(), 0),
    ("\uffff".encode(), 0),
)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


def canonical_lines(data: bytes, journal: str | None) -> tuple[LineBlock | None, int]:
    """The lines of the canonical transactions UTF-8 `data` starts with (whole transactions of
    one journal), and how many of its bytes they take.

    Canonical text is a small part of XML: elements of the schema without attributes or
    prefixes, in its order, text without character references, comments, CDATA sections or
    processing instructions. Whatever it matches is well-formed XML; whatever it does not, the
    reader leaves to expat, which says what is wrong with it."""
    first = _LINE.match(data)
    if first is None or first["odd"] is not None:
        return None, 0
    size = len(data)
    odd_text = min((_find(data, *needle) for needle in _NOT_CANONICAL), default=size)
    if b"&" in data and (entity := _NOT_AN_ENTITY.search(data)):
        odd_text = min(odd_text, entity.start())
    if odd_text < size:
        return canonical_lines(data[: _transaction_at(data, odd_text)], journal)
    lines_end = data.rfind(b"</trLine>") + len(b"</trLine>")
    if not _TAIL.fullmatch(data, lines_end):
        return canonical_lines(data[: _transaction_at(data, lines_end)], journal)
    matches = pa.array(_LINE.findall(data, 0, lines_end), _MATCH)
    opens = _captured(matches.field("open"))
    read = size
    lines = pc.index(_captured(matches.field("odd")), True).as_py()
    if lines >= 0:  # one byte of something else, right after the last line read
        at = 0
        for _ in range(lines):
            at = data.find(b"</trLine>", at) + len(b"</trLine>")
        while data[at : at + 1] in (b" ", b"\t", b"\r", b"\n"):
            at += 1
        read = _transaction_at(data, at)
        if not data.startswith(b"<transaction>", at):  # the lines of the transaction at fault
            lines = pc.indices_nonzero(opens.slice(0, lines))[-1].as_py()
        if not lines:
            return None, 0
        matches = matches.slice(0, lines)
        opens = opens.slice(0, lines)
    closes = _captured(matches.field("close"))
    if not opens[0].as_py() or closes[0].as_py() or not opens.slice(1).equals(closes.slice(1)):
        return None, 0
    return _block(matches, opens, _decoder(data), journal), read


def _captured(group: pa.Array) -> pa.Array:
    """Whether an optional group matched, for the groups that capture one character when so."""
    return pc.greater(pc.binary_length(group), 0)


def _block(matches: pa.StructArray, opens: pa.Array, decode, journal) -> LineBlock:
    def column(name: str, mask: pa.Array | None = None) -> pa.Array:
        values = matches.field(name).cast(pa.string())
        if mask is not None:
            values = values.filter(mask)
        return decode(pc.if_else(pc.greater(pc.binary_length(values), 0), values, _NO_TEXT))

    return LineBlock(
        journals=pa.array([journal] * pc.sum(opens).as_py(), pa.string()),
        tx_nr=column("t_nr", opens),
        tx_desc=column("t_desc", opens),
        tx_day=column("t_day", opens),
        tx=pc.subtract(pc.cumulative_sum(opens.cast(pa.int64())), 1),
        texts={name: column(name) for name in LINE_FIELDS},
        present={name: _captured(matches.field(f"{name}_at")) for name in NOTED_EMPTY},
    )


def _find(data: bytes, needle: bytes, rare: int) -> int:
    """data.find(needle), or len(data): found by its rare byte, which memchr finds fast."""
    key = needle[rare : rare + 1]
    at = data.find(key)
    while at >= 0:
        if data.startswith(needle, at - rare):
            return at - rare
        at = data.find(key, at + 1)
    return len(data)


def _transaction_at(data: bytes, at: int) -> int:
    """Where the transaction that holds `at` starts."""
    return max(data.rfind(b"<transaction>", 0, at + 1), 0)


def _decoder(data: bytes) -> Callable[[pa.Array], pa.Array]:
    """What expat makes of element text: the five entities and line ends, where there are any."""
    entities = b"&" in data
    returns = b"\r" in data

    def decode(values: pa.Array) -> pa.Array:
        if returns:
            values = pc.replace_substring(values, "\r\n", "\n")
            values = pc.replace_substring(values, "\r", "\n")
        if entities and pc.any(pc.match_substring(values, "&")).as_py():
            for entity, character in _ENTITIES:
                values = pc.replace_substring(values, entity, character)
        return values

    return decode
