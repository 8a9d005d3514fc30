"""Dutch-formatted text to typed Arrow values: amounts, numbers, dates, and free text onto codes.

One set of rules for every reader (ledger, asset register, training records). Each parser takes
a text array and returns the typed array plus a `failed` mask, so the caller can name the exact
rows and columns that did not parse. An empty cell is null and not a failure: whether a value is
required is the caller's business. A value is never guessed: `1234.56` is not an amount, it is
a row problem.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.schemas import AMOUNT

# A euro sign at either end, also behind a leading sign: `€ 12,50`, `-€ 12,50`, `12,50 €`.
_LEADING_EURO = r"^([-+]?) *€"
_TRAILING_EURO = r"€$"
# One sign, in front or behind; thousands in groups of three, separated by dots (or spaces);
# a decimal comma. `,-` (whole euros) is rewritten to `,00` first. Spaces inside are plain
# spaces only: a no-break space counts as whitespace only at either end of the cell.
_INTEGER = r"(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+|\d+)"


def _signed(decimals: str) -> str:
    number = _INTEGER + r"(?:," + decimals + r")?"
    return rf"^(?:[-+] *)?{number}$|^{number} *-$"


_AMOUNT = _signed(r"\d{1,2}")  # cents: a third decimal is a typo, not something to round away
_NUMBER = _signed(r"\d+")
_MAX_INTEGER_DIGITS = 16  # decimal128(18, 2) holds 16 digits before the comma
_DUTCH_DATE = r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$"
_ISO_DATE = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"
_TIME_OF_DAY = r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"

Parsed = tuple[pa.Array, pa.Array]  # (typed values, failed mask)


def blank(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """True where a text cell is null or only whitespace."""
    return pc.is_null(blank_to_null(values))


def blank_to_null(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trimmed text, null where the cell is empty or only whitespace."""
    text = pc.utf8_trim_whitespace(_text(values))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def parse_amount(values: pa.Array | pa.ChunkedArray) -> Parsed:
    """Parse euro amounts to decimal(18, 2): `1.234,56`, `-1234,56`, `1.234,56-`, `1.234,-`,
    `€ 1.234,56`, `1 234,56`.

    More than two decimals fails: an amount in euros that is not a whole number of cents is a
    typo, not something to round away. So do a decimal point, two signs, parentheses, `EUR`,
    and more than 16 digits before the comma (too large for decimal(18, 2)).
    """
    return _per_distinct(values, _parse_amount)


def parse_number(values: pa.Array | pa.ChunkedArray) -> Parsed:
    """Parse Dutch decimal numbers (`0,89`, `7,5`, `1.600`) of any precision to float64."""
    return _per_distinct(values, _parse_number)


def parse_date(values: pa.Array | pa.ChunkedArray, *, iso_and_time: bool = False) -> Parsed:
    """Parse `dd-mm-yyyy` (also `d-m-yyyy`) to date32; impossible dates such as `31-02-2024` fail.

    With `iso_and_time`, `yyyy-mm-dd` and a time of day after the date (`14-03-2024 00:00:00`)
    pass too, as CMDB and HR exports write them; the ledger contract allows `dd-mm-yyyy` only.
    Date and timestamp arrays (real Excel date cells) pass through.
    """
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        dates = pc.cast(_combined(values), pa.date32())
        return dates, pa.nulls(len(dates), pa.bool_()).fill_null(False)
    return _per_distinct(values, lambda text: _parse_date(text, iso_and_time=iso_and_time))


def normalised_keys(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Lower case without spaces or punctuation: `In Gebruik` and `in-gebruik` give `ingebruik`."""
    return pc.replace_substring_regex(pc.utf8_lower(_text(values)), r"[^\p{L}\p{N}]+", "")


def lookup_values(
    values: pa.Array | pa.ChunkedArray,
    table: Mapping[str, Sequence[str]],
    own_words: Mapping[str, str] | None = None,
) -> pa.Array:
    """Map free text onto codes via `code -> accepted spellings`; null where nothing matches.

    own_words: a municipality's `word -> code` (delivery profile), which win over the table."""
    pairs = [*(own_words or {}).items()]
    pairs += [
        (spelling, code) for code, spellings in table.items() for spelling in (code, *spellings)
    ]
    keys, codes = _vocabulary(tuple(pairs))
    return pc.take(codes, pc.index_in(normalised_keys(values), value_set=keys))


@functools.lru_cache(maxsize=64)
def _vocabulary(pairs: tuple[tuple[str, str], ...]) -> tuple[pa.Array, pa.Array]:
    """Normalised spellings and their codes, the first spelling winning, in table order; kept,
    since every file of a kind looks its words up in the same vocabulary."""
    normalised = normalised_keys(pa.array([spelling for spelling, _ in pairs])).to_pylist()
    first_code: dict[str, str] = {}
    for key, (_, code) in zip(normalised, pairs, strict=True):
        first_code.setdefault(key, code)
    return pa.array(list(first_code), pa.string()), pa.array(list(first_code.values()), pa.string())


def unknown_words_note(values: pa.Array, header: str, outcome: str, *, shown: int = 10) -> str:
    """A load note naming the words of a column that no vocabulary knew, most frequent first:
    `column `Soort`: unknown asset classes counted as other: 'Dock' (3), 'Beamer' (1)`."""
    counts = pc.value_counts(values).to_pylist()
    counts.sort(key=lambda item: (-item["counts"], item["values"]))
    listed = ", ".join(f"'{item['values']}' ({item['counts']})" for item in counts[:shown])
    more = f" and {len(counts) - shown} more" if len(counts) > shown else ""
    return f"column `{header}`: {outcome}: {listed}{more}"


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.cast(_combined(values), pa.string())


def _combined(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _per_distinct(
    values: pa.Array | pa.ChunkedArray, parse: Callable[[pa.Array], Parsed]
) -> Parsed:
    """Parse each distinct text once: exports repeat the same dates and amounts on many lines."""
    encoded = pc.dictionary_encode(_text(values))
    typed, failed = parse(encoded.dictionary)
    return typed.take(encoded.indices), pc.fill_null(failed.take(encoded.indices), False)


def _decimal_text(text: pa.Array, pattern: str) -> tuple[pa.Array, pa.Array]:
    """Dutch numbers as dot-decimal text (`-1234.56`), null where they fail, and a failed mask."""
    text = blank_to_null(text)
    bare = text
    if pc.any(pc.match_substring(bare, "€")).as_py():
        bare = pc.replace_substring_regex(bare, _LEADING_EURO, r"\1")
        bare = pc.utf8_trim_whitespace(pc.replace_substring_regex(bare, _TRAILING_EURO, ""))
    if pc.any(pc.ends_with(bare, ",-")).as_py():
        bare = pc.replace_substring_regex(bare, r",-$", ",00")
    digits = bare
    for mark in (".", " ", "+", "-"):  # plain replacements: much faster than one regex
        digits = pc.replace_substring(digits, mark, "")
    digits = pc.replace_substring(digits, ",", ".")
    point = pc.find_substring(digits, ".")
    integer_digits = pc.if_else(pc.less(point, 0), pc.utf8_length(digits), point)
    ok = pc.and_(
        pc.match_substring_regex(bare, pattern),
        pc.less_equal(integer_digits, _MAX_INTEGER_DIGITS),
    )
    ok = pc.fill_null(ok, False)
    negative = pc.or_(pc.starts_with(bare, "-"), pc.ends_with(bare, "-"))
    signed = pc.binary_join_element_wise(pc.if_else(negative, "-", ""), digits, "")
    failed = pc.and_(pc.is_valid(text), pc.invert(ok))
    return pc.if_else(ok, signed, pa.scalar(None, pa.string())), failed


def _parse_amount(text: pa.Array) -> Parsed:
    decimal_text, failed = _decimal_text(text, _AMOUNT)
    return pc.cast(decimal_text, AMOUNT), failed


def _parse_number(text: pa.Array) -> Parsed:
    decimal_text, failed = _decimal_text(text, _NUMBER)
    return pc.cast(decimal_text, pa.float64()), failed


def _parse_date(text: pa.Array, *, iso_and_time: bool) -> Parsed:
    text = blank_to_null(text)
    shapes = [pc.extract_regex(text, _DUTCH_DATE)]
    if iso_and_time:
        without_time = pc.replace_substring_regex(text, _TIME_OF_DAY, "")
        shapes = [
            pc.extract_regex(without_time, _DUTCH_DATE),
            pc.extract_regex(without_time, _ISO_DATE),
        ]

    def part(name: str, width: int) -> pa.Array:
        value = pc.coalesce(*(pc.struct_field(shape, name) for shape in shapes))
        return pc.utf8_lpad(value, width=width, padding="0")

    iso_text = pc.binary_join_element_wise(part("y", 4), part("m", 2), part("d", 2), "-")
    parsed = pc.strptime(iso_text, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 29-02-2023 over to 01-03-2023; a round trip catches that.
    exact = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), iso_text), False)
    dates = pc.if_else(exact, pc.cast(parsed, pa.date32()), pa.scalar(None, pa.date32()))
    return dates, pc.and_(pc.is_valid(text), pc.is_null(dates))
