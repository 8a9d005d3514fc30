"""Guesses for a delivery profile: which of a file's unknown headers is which canonical column,
judged by the header's name and by its values, and which code an unknown word means, judged by
the vocabulary words inside it. Pure functions over all-text tables; every guess has its reason.

Nothing here reads a file or decides what lands: the readers still check whatever the
controller keeps of these guesses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.header_matching import normalise_header
from pipelines.contract.kinds import KINDS
from pipelines.contract.vocabulary import (
    column_aliases,
    personal_columns,
    value_words,
)
from pipelines.readers.dutch_values import (
    blank_to_null,
    lookup_values,
    parse_amount,
    parse_date,
    parse_number,
)

# What the values of each canonical column look like (each kind's column_shapes). Columns whose
# values say little (labels, references, line numbers) are only guessed from a header whose name
# is close to an alias; a column that must be there may also be placed by its values alone.
SHAPES: dict[str, dict[str, str]] = {
    kind.name: dict(kind.column_shapes) for kind in KINDS.values() if kind.column_shapes
}
_NAME_ONLY = {"label", "reference", "line"}

NAME_ENOUGH = 0.6  # a name this close to an alias, with values that fit, is a guess
VALUES_ENOUGH = 0.8  # values this typical place a column that must be there, whatever its name
VALUES_FIT = 0.5  # values fitting this well back up a name
_NAME_WEIGHT = 0.4
_DATE_FORMAT = {"ledger": "dd-mm-yyyy"}  # assets and training also take yyyy-mm-dd and a time
_YEARS_SUFFIX = r"(?i)\s*(jaren|jaar|jr|years|year|yrs|y)\.?$"
_CODE = r"^[\p{L}\p{N}][\p{L}\p{N}\-_./]{2,}$"  # an object or employee number: no spaces
_ACCOUNT = r"^\d[\d.\-]{2,11}$"
_EMAIL = r"[^\s@;]+@[^\s@;]+\.[^\s@;]+"
_MAX_DISTINCT_WORDS = 500  # a column with more distinct values is read for words from these
SAMPLE = 50_000  # filled values a column is judged by: its shares, not its size, tell its kind


def tokens(text: str) -> list[str]:
    """`PurchaseDate (dd-mm)` -> [purchase, date, dd, mm]."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return [t for t in re.split(r"[\W_]+", spaced.casefold()) if t]


def _contains_sequence(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def name_similarity(header: str, alias: str, distinctive: frozenset[str] = frozenset()) -> float:
    """How close a header is to an alias, 0-1: the same (1), an abbreviation of it (`Kostenpl.`),
    containing it (`Total Hours`, `Bedrag boeking`), spelled alike (difflib's ratio), or sharing
    words (`Org. unit` and `Org. eenheid`); sharing a `distinctive` word, one that only this
    column's aliases use, is as good as a close spelling."""
    h, a = normalise_header(header), normalise_header(alias)
    if not h or not a:
        return 0.0
    if h == a:
        return 1.0
    scores = [difflib.SequenceMatcher(None, h, a).ratio()]
    if len(h) >= 3 and a.startswith(h):
        scores.append(0.6 + 0.4 * len(h) / len(a))
    header_tokens, alias_tokens = tokens(header), tokens(alias)
    if _contains_sequence(header_tokens, alias_tokens) or (len(a) >= 5 and a in h):
        scores.append(0.6 + 0.4 * len(a) / len(h))
    shared = set(header_tokens) & set(alias_tokens)
    if shared:
        scores.append(2 * len(shared) / (len(set(header_tokens)) + len(set(alias_tokens))))
        if shared & distinctive:
            scores.append(NAME_ENOUGH)
    return max(scores)


def distinctive_words(kind: str) -> dict[str, frozenset[str]]:
    """Per canonical column, the words of its aliases that no other column's aliases use
    (`org` for department; not `opleiding`, which course, cost and date names share)."""
    words = {
        canonical: {t for alias in aliases for t in tokens(alias)}
        for canonical, aliases in column_aliases(kind).items()
    }
    return {
        canonical: frozenset(
            w
            for w in own
            if len(w) >= 2 and not any(w in words[o] for o in words if o != canonical)
        )
        for canonical, own in words.items()
    }


def best_alias(
    header: str, aliases: Sequence[str], distinctive: frozenset[str] = frozenset()
) -> tuple[float, str | None]:
    best = max(
        ((name_similarity(header, alias, distinctive), alias) for alias in aliases),
        default=(0, None),
    )
    return best if best[0] > 0 else (0.0, None)


def is_personal(kind: str, header: str) -> bool:
    """A header naming personal data the kind lists (a name, an e-mail address)."""
    header_tokens = tokens(header)
    return any(
        normalise_header(alias) == normalise_header(header)
        or _contains_sequence(header_tokens, tokens(alias))
        for aliases in personal_columns(kind).values()
        for alias in aliases
    )


def _free_text_names(kind: str) -> set[str]:
    """Headers another kind's vocabulary knows as free text (a description, a course name):
    such a column holds sentences, never the codes of a vocabulary."""
    return {
        normalise_header(alias)
        for other, shapes in SHAPES.items()
        if other != kind
        for canonical, shape in shapes.items()
        if shape == "free_text"
        for alias in column_aliases(other).get(canonical, ())
    }


def _share(mask: pa.Array, of: int) -> float:
    return (pc.sum(pc.cast(mask, pa.int64())).as_py() or 0) / of if of else 0.0


@dataclass
class ValueEvidence:
    """What the filled cells of one column look like, as shares of those cells."""

    kind: str
    values: pa.Array  # trimmed text, blanks removed: the first SAMPLE of them
    sampled: bool = False  # the column has more filled values than these

    @classmethod
    def of(cls, kind: str, column: pa.Array | pa.ChunkedArray) -> ValueEvidence:
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        values = blank_to_null(column.slice(0, SAMPLE * 2)).drop_null()
        sampled = len(values) > SAMPLE or len(column) > SAMPLE * 2
        return cls(kind, values.slice(0, SAMPLE), sampled)

    @property
    def filled(self) -> int:
        return len(self.values)

    @property
    def of_values(self) -> str:
        """`of 412 values`, or `of the first 50 000 values` of a longer column."""
        counted = f"{self.filled:,}".replace(",", " ")
        return f"of the first {counted} values" if self.sampled else f"of {counted} values"

    @cached_property
    def distinct(self) -> int:
        return pc.count_distinct(self.values).as_py() if self.filled else 0

    @cached_property
    def dates(self) -> float:
        dates, _ = parse_date(self.values, iso_and_time=self.kind not in _DATE_FORMAT)
        return _share(pc.is_valid(dates), self.filled)

    @cached_property
    def _amounts(self) -> pa.Array:
        return pc.is_valid(parse_amount(self.values)[0])

    @cached_property
    def amounts(self) -> float:
        return _share(self._amounts, self.filled)

    @cached_property
    def money(self) -> float:
        """Amounts, counted fully when written like money (a decimal comma or a sign), so that a
        column of prices beats a column of whole numbers."""
        money = pc.match_substring_regex(self.values, r",\d{1,2}$|,-$|^[-+]|-$|€")
        return self.amounts * (0.6 + 0.4 * _share(pc.and_(self._amounts, money), self.filled))

    @cached_property
    def _numbers(self) -> pa.Array:
        return parse_number(self.values)[0]

    def _numbers_between(self, low: float, high: float, *, low_open: bool = False) -> float:
        numbers = self._numbers
        above = pc.greater(numbers, low) if low_open else pc.greater_equal(numbers, low)
        return _share(
            pc.fill_null(pc.and_(above, pc.less_equal(numbers, high)), False), self.filled
        )

    @cached_property
    def fractions(self) -> float:
        """Numbers above 0 up to 1.5, as an FTE is."""
        return self._numbers_between(0, 1.5, low_open=True)

    @cached_property
    def hours(self) -> float:
        return self._numbers_between(0, 1000) * (1 - 0.5 * self.fractions)

    @cached_property
    def line_numbers(self) -> float:
        """Line numbers within a document: small whole numbers."""
        return _share(pc.match_substring_regex(self.values, r"^\d{1,4}$"), self.filled)

    @cached_property
    def years(self) -> float:
        bare = pc.replace_substring_regex(self.values, _YEARS_SUFFIX, "")
        numbers = parse_number(bare)[0]
        whole = pc.and_(pc.equal(pc.floor(numbers), numbers), pc.greater_equal(numbers, 1))
        return _share(pc.fill_null(pc.and_(whole, pc.less_equal(numbers, 50)), False), self.filled)

    @cached_property
    def counts(self) -> float:
        """Whole numbers of 0 or more (`1.250` too), as a number of users is."""
        numbers = self._numbers
        whole = pc.and_(pc.equal(pc.floor(numbers), numbers), pc.greater_equal(numbers, 0))
        return _share(pc.fill_null(whole, False), self.filled)

    @cached_property
    def codes(self) -> float:
        """Object or employee numbers: one word of letters and digits with a digit in it, not a
        date and not an amount with a decimal comma."""
        code = pc.and_(
            pc.match_substring_regex(self.values, _CODE),
            pc.match_substring_regex(self.values, r"\d"),
        )
        not_money = pc.invert(pc.match_substring(self.values, ","))
        dates, _ = parse_date(self.values, iso_and_time=True)
        return _share(pc.and_(pc.and_(code, not_money), pc.is_null(dates)), self.filled)

    @cached_property
    def accounts(self) -> float:
        """Account numbers: digits (with dots or dashes); one number throughout is not one."""
        share = _share(pc.match_substring_regex(self.values, _ACCOUNT), self.filled)
        return share * (0.5 if self.distinct == 1 and self.filled > 1 else 1.0)

    @cached_property
    def text(self) -> float:
        """Free text: letters, counted fully when there are several words."""
        letters = pc.match_substring_regex(self.values, r"\p{L}")
        spaced = pc.and_(letters, pc.match_substring_regex(self.values, r"\p{L}\s+\S"))
        return _share(letters, self.filled) * (0.5 + 0.5 * _share(spaced, self.filled))

    @cached_property
    def emails(self) -> float:
        return _share(pc.match_substring_regex(self.values, _EMAIL), self.filled)

    @cached_property
    def _distinct_values(self) -> list[str]:
        unique = pc.unique(self.values)
        return unique.slice(0, _MAX_DISTINCT_WORDS).to_pylist()

    def words(self, kind: str, column: str, own: Mapping[str, str] | None) -> tuple[float, str]:
        """Share of distinct values that are, or contain, words of the column's vocabulary, and
        the reason."""
        values = self._distinct_values
        if not values:
            return 0.0, ""
        known = lookup_values(pa.array(values, pa.string()), value_words(kind, column), own)
        exact = sum(1 for code in known.to_pylist() if code is not None)
        vocabulary = word_list(kind, column)
        contained = sum(
            1
            for value, code in zip(values, known.to_pylist(), strict=True)
            if code is None and propose_code(value, vocabulary)[0] is not None
        )
        score = (exact + contained) / len(values)
        n = len(values)
        if contained:
            reason = f"{exact + contained} of its {n} distinct values are or contain words"
        else:
            reason = f"{_percent(exact / n)} of its {n} distinct values are words"
        reason += f" of the {column} list"
        return score, reason


def _percent(share: float) -> str:
    return f"{round(100 * share)}%"


def value_fit(
    evidence: ValueEvidence, kind: str, canonical: str, own_words: Mapping[str, str] | None
) -> tuple[float, str]:
    """How well a column's values fit a canonical column, 0-1, and the reason in words."""
    shape = SHAPES[kind][canonical]
    n = evidence.filled
    of = evidence.of_values
    if shape == "words":
        return evidence.words(kind, canonical, own_words)
    if shape == "date":
        form = _DATE_FORMAT.get(kind, "dd-mm-yyyy or yyyy-mm-dd")
        return evidence.dates, f"{_percent(evidence.dates)} {of} are dates ({form})"
    if shape == "amount":
        return evidence.money, f"{_percent(evidence.amounts)} {of} are amounts (1.234,56)"
    if shape == "fraction":
        return evidence.fractions, f"{_percent(evidence.fractions)} {of} are between 0 and 1,5"
    if shape == "hours":
        return evidence.hours, f"{_percent(evidence.hours)} {of} are numbers of hours"
    if shape == "years":
        return evidence.years, f"{_percent(evidence.years)} {of} are whole numbers of years"
    if shape == "count":
        return evidence.counts, f"{_percent(evidence.counts)} {of} are whole numbers"
    if shape == "identifier":
        unique = evidence.distinct / n if n else 0.0
        score = evidence.codes * (1.0 if unique >= 0.95 else 0.5 * unique)
        return score, (
            f"{_percent(evidence.codes)} {of} are codes, {_percent(unique)} of them distinct"
        )
    if shape in ("person_id", "reference"):
        return evidence.codes, f"{_percent(evidence.codes)} {of} are codes"
    if shape == "line":
        return evidence.line_numbers, f"{_percent(evidence.line_numbers)} {of} are line numbers"
    if shape == "account":
        return evidence.accounts, f"{_percent(evidence.accounts)} {of} are account numbers"
    if shape == "free_text":
        return evidence.text, f"{_percent(evidence.text)} {of} are text"
    # labels: anything but dates and money fits
    fit = 1.0 - max(evidence.dates, evidence.amounts if evidence.amounts > 0.9 else 0.0)
    return fit, ""


@dataclass(frozen=True)
class Guess:
    canonical: str
    header: str
    score: float
    name: float
    alias: str | None  # the alias the header is most like
    values: float
    value_reason: str
    weak: bool = False  # placed only because it fits best of the columns left

    @property
    def reason(self) -> str:
        parts = [self.value_reason] if self.value_reason and self.values >= VALUES_FIT else []
        if self.alias and self.name >= 0.5:
            parts.append(f"name like '{self.alias}'")
        if self.weak:
            parts.append("the best fit of the columns left: check it")
        return "; ".join(parts)


@dataclass
class Candidates:
    """The unknown headers of one file and the evidence of their values."""

    kind: str
    table: pa.Table
    headers: list[str]  # not matched by the built-ins or the profile, not personal data
    evidence: dict[str, ValueEvidence] = field(default_factory=dict)

    def of(self, header: str) -> ValueEvidence:
        if header not in self.evidence:
            self.evidence[header] = ValueEvidence.of(self.kind, self.table.column(header))
        return self.evidence[header]


def personal_headers(kind: str, table: pa.Table, headers: Sequence[str]) -> list[str]:
    """Headers that name personal data, or whose cells hold e-mail addresses: never proposed."""
    found = []
    for header in headers:
        if is_personal(kind, header) or ValueEvidence.of(kind, table.column(header)).emails > 0:
            found.append(header)
    return found


def guess_columns(
    kind: str,
    table: pa.Table,
    unknown: Sequence[str],
    wanted: Sequence[str],
    required: frozenset[str],
    own_words: Mapping[str, Mapping[str, str]],
) -> tuple[dict[str, Guess], dict[str, Guess]]:
    """Place the canonical columns `wanted` among the `unknown` headers.

    Each pair gets a score from the name (40%) and the values (60%); the best pair is placed
    first, then the best of the rest, so a header is used once. A pair counts when the name is
    close and the values fit, or, for a column that must be there, when the values alone are
    typical. A column that must be there and is still not placed then takes the header left
    whose values fit it best, if they fit at all (a municipality's own device kinds are words
    no vocabulary knows). Returns the guesses and, for required columns not placed, the
    nearest miss.
    """
    candidates = Candidates(kind, table, list(unknown))
    free_text = _free_text_names(kind)
    aliases = column_aliases(kind)
    distinctive = distinctive_words(kind)
    pairs: list[Guess] = []
    fallbacks: list[Guess] = []
    for canonical in wanted:
        shape = SHAPES[kind][canonical]
        for header in candidates.headers:
            evidence = candidates.of(header)
            if evidence.filled == 0:
                continue
            if shape == "words" and normalise_header(header) in free_text:
                continue
            name, alias = best_alias(header, aliases[canonical], distinctive[canonical])
            values, reason = value_fit(evidence, kind, canonical, own_words.get(canonical))
            score = _NAME_WEIGHT * name + (1 - _NAME_WEIGHT) * values
            guess = Guess(canonical, header, score, name, alias, values, reason)
            by_name = name >= NAME_ENOUGH and values >= VALUES_FIT
            must = canonical in required and shape not in _NAME_ONLY
            by_values = (must or shape == "free_text") and values >= VALUES_ENOUGH
            if by_name or by_values:
                pairs.append(guess)
            elif must:
                fallbacks.append(guess)
    placed = _assign(pairs, wanted, {})
    weak = [g for g in fallbacks if g.values >= VALUES_FIT]
    for canonical, guess in _assign(weak, wanted, placed).items():
        placed[canonical] = replace(guess, weak=True)
    misses = {}
    for guess in sorted(fallbacks, key=lambda g: g.score):
        if guess.canonical not in placed and guess.score > 0.3:
            misses[guess.canonical] = guess
    return placed, misses


def _assign(pairs: list[Guess], wanted: Sequence[str], taken: dict[str, Guess]) -> dict[str, Guess]:
    """Best pair first; each column and each header once."""
    placed: dict[str, Guess] = {}
    used = {guess.header for guess in taken.values()}
    for guess in sorted(pairs, key=lambda g: (-g.score, wanted.index(g.canonical))):
        if guess.canonical in placed or guess.canonical in taken or guess.header in used:
            continue
        placed[guess.canonical] = guess
        used.add(guess.header)
    return placed


@dataclass(frozen=True)
class UnknownValue:
    """A delivered word neither the built-ins nor the profile know, where it occurs, and the code
    proposed for it (None: the controller fills it in)."""

    column: str
    word: str
    count: int
    rows: tuple[int, ...]  # the first rows it occurs in, as the file numbers them
    code: str | None
    because: str | None  # the vocabulary word it contains
    alternatives: tuple[str, ...] = ()  # codes just as likely, when no single one is


def word_list(kind: str, column: str) -> list[tuple[str, list[str]]]:
    """(code, tokens of one accepted word) for every word of a column's vocabulary, codes too."""
    return [
        (code, tokens(word))
        for code, words in value_words(kind, column).items()
        for word in (code, *words)
        if tokens(word)
    ]


def _contains_word(value: list[str], word: list[str]) -> bool:
    """The word's tokens in a row in the value's; its last may start a longer one (`Servers`,
    `Netwerkcomponenten`) when it has four letters or more."""
    n, last = len(word), word[-1]
    for start in range(len(value) - n + 1):
        window = value[start : start + n]
        if window[:-1] != word[:-1]:
            continue
        if window[-1] == last or (len(last) >= 4 and window[-1].startswith(last)):
            return True
    return False


def propose_code(
    value: str, vocabulary: list[tuple[str, list[str]]]
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The code whose word the value contains (the longest such word wins), that word, and the
    other codes when two words of the same length point different ways."""
    value_tokens = tokens(value)
    hits = [(len(" ".join(word)), code, word) for code, word in vocabulary]
    hits = [hit for hit in hits if _contains_word(value_tokens, hit[2])]
    if not hits:
        return None, None, ()
    longest = max(length for length, _, _ in hits)
    codes = sorted({code for length, code, _ in hits if length == longest})
    if len(codes) > 1:
        return None, None, tuple(codes)
    word = next(" ".join(w) for length, code, w in hits if length == longest)
    return codes[0], word, ()


def unknown_values(
    kind: str,
    column: str,
    values: pa.Array,
    source_rows: pa.Array,
    own_words: Mapping[str, str] | None,
    *,
    first_rows: int = 5,
) -> list[UnknownValue]:
    """Every distinct filled value the built-ins and the profile do not know, most frequent
    first, with its rows and a proposed code. Spellings that differ only in case, spaces or
    punctuation are one word (one profile line covers them all), shown as the most frequent."""
    text = blank_to_null(values)
    known = lookup_values(text, value_words(kind, column), own_words)
    unknown = pc.and_(pc.is_valid(text), pc.is_null(known))
    if not pc.any(unknown).as_py():
        return []
    words = text.filter(unknown).to_pylist()
    rows = source_rows.filter(unknown).to_pylist()
    where: dict[str, list[int]] = {}
    spellings: dict[str, dict[str, int]] = {}
    for word, row in zip(words, rows, strict=True):
        key = normalise_header(word)
        where.setdefault(key, []).append(row)
        spellings.setdefault(key, {}).setdefault(word, 0)
        spellings[key][word] += 1
    vocabulary = word_list(kind, column)
    found = []
    for key, occurs in sorted(where.items(), key=lambda item: (-len(item[1]), item[0])):
        word = max(spellings[key], key=lambda spelling: spellings[key][spelling])
        code, because, alternatives = propose_code(word, vocabulary)
        found.append(
            UnknownValue(
                column, word, len(occurs), tuple(occurs[:first_rows]), code, because, alternatives
            )
        )
    return found
