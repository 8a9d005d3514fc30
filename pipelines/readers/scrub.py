"""Personal data typed into free-text cells, replaced by a marker before anything is stored.

HR exports are meant to hold no names or contact data outside the columns the reader drops, but
people type them into any cell: "Excel voor Jan Jansen 123456", "BHV (j.jansen [at] gemeente
[dot] nl)". Each rule finds one kind of personal data and puts `[verwijderd: <kind>]` in its place;
the rest of the cell stays, so an ordinary course name is not lost.

Rules run over whole Arrow columns with RE2 (pyarrow.compute): a cheap match finds the cells that
may hold something, and only those cells are looked at further. A rule with a check (the 11-proef
of a BSN, the check digits of an IBAN, the words of a name) runs its check per match in Python on
those few cells. Names are recognised only next to a number (employee number, BSN, phone, e-mail):
a name alone cannot be told from a course title.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.schemas import RowProblem

MARKER = "[verwijderd: {}]"
EMAIL, IBAN, PHONE, BSN, NAME = "e-mail", "IBAN", "telefoonnummer", "BSN", "naam en nummer"
KINDS = (EMAIL, IBAN, PHONE, BSN, NAME)

# -- e-mail addresses, written out or disguised ------------------------------------------------
_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_DOT = rf"(?:\.|\s*{_OPEN}\s*(?:dot|punt)\s*{_CLOSE}\s*|\s+(?:dot|punt)\s+)"
_AT = (
    r"(?:\s*(?:@|＠|﹫|&#0*64;|&commat;|%40)\s*"
    rf"|\s*{_OPEN}\s*(?:at|a|@|ape?nstaart(?:je)?)\s*{_CLOSE}\s*"
    r"|\s*[-_]at[-_]\s*"
    r"|\s+(?:at|ape?nstaart(?:je)?)\s+)"
)
_LABEL = r"[\p{L}\p{N}_%+'-]+"
_EMAIL = rf"(?i)(?:mailto:\s*)?{_LABEL}(?:{_DOT}{_LABEL})*{_AT}{_LABEL}(?:{_DOT}{_LABEL})+"
# an address without a dot in its domain, written tight (`jan@gemeente`)
_EMAIL_SHORT = r"(?i)(?:mailto:\s*)?[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]{2,}"

# -- bank accounts -----------------------------------------------------------------------------
_IBAN = r"(?i)\b[A-Z]{2}\s?\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b"
_IBAN_NL = re.compile(r"(?i)NL\d{2}[A-Z]{4}\d{10}")

# -- Dutch phone numbers: +31 / 0031 / 0, then 9 digits (mobile 6 + 8, area code 2 or 3 digits)
_PHONE = (
    r"(?:(?:\+|\b00)\s?31\s?(?:\(\s?0\s?\)\s?)?[\s.-]?|\(?\b0)"
    r"(?:6[\s.-]?(?:\d[\s.]?){7}\d"
    r"|[1-57-9]\d\)?[\s.-]?(?:\d[\s.]?){6}\d"
    r"|[1-57-9]\d\d\)?[\s.-]?(?:\d[\s.]?){5}\d)\b"
)

# -- BSN: 9 digits as written (plain, or grouped by dots, spaces or dashes); the 11-proef decides
_G = r"[ .-]"
_BSN = (
    rf"\b(?:\d{{9}}|\d{{3}}{_G}\d{{3}}{_G}\d{{3}}|\d{{4}}{_G}\d{{2}}{_G}\d{{3}}"
    rf"|\d{{3}}{_G}\d{{2}}{_G}\d{{4}}|\d{{2}}{_G}\d{{3}}{_G}\d{{4}})\b"
)

# -- a name next to a number -------------------------------------------------------------------
_UP, _LO = "[A-ZÀ-ÖØ-Þ]", "[a-zß-öø-ÿ]"
_WORD = rf"{_UP}{_LO}+(?:-{_UP}{_LO}+)?"
_INITIALS = rf"(?:{_UP}\.\s?){{1,4}}"
_TUSSEN = r"(?:van|de|der|den|ter|ten|te|het|'t|in|op|la|le|el|al|von|du|da|dos|di|d')"
_NAME = (
    rf"(?:(?:{_INITIALS}|{_WORD}\s+(?:{_WORD}\s+)?)(?:{_TUSSEN}\s+){{0,3}}{_WORD}"
    rf"|{_WORD},\s?{_INITIALS}(?:\s?{_TUSSEN}){{0,3}})"
)
_NUMBER = (
    r"(?:(?:nr|nummer|pnr|persnr|personeelsnummer|#)\.?:?\s?)?"
    r"(?:[A-Za-z]{0,2}\d{4,10}\b|\[verwijderd: [a-zA-Z -]+\])"
)
_BETWEEN = r"\s*(?:[-,:/|–]\s*)?\(?\s*"
_NAME_NUMBER = (
    rf"(?P<name>{_NAME}){_BETWEEN}(?P<number>{_NUMBER})\)?"
    rf"|\(?(?P<number2>{_NUMBER})\)?{_BETWEEN}(?P<name2>{_NAME})"
)
# Capitalised words of course titles and organisation units: two of them with a number are a
# course ("Lead Auditor 27001"), not a person.
_NOT_NAMES = frozenset(
    [
        "advanced",
        "afdeling",
        "agile",
        "auditor",
        "awareness",
        "basis",
        "blok",
        "bureau",
        "certificaat",
        "certificering",
        "cluster",
        "cursus",
        "dag",
        "deel",
        "dienst",
        "digitale",
        "editie",
        "examen",
        "excel",
        "expert",
        "fase",
        "foundation",
        "gemeente",
        "gevorderd",
        "groep",
        "implementer",
        "informatiebeveiliging",
        "jaar",
        "klas",
        "kwartaal",
        "lead",
        "lean",
        "level",
        "management",
        "manager",
        "microsoft",
        "module",
        "niveau",
        "norm",
        "office",
        "opleiding",
        "outlook",
        "periode",
        "practitioner",
        "privacy",
        "project",
        "ronde",
        "scrum",
        "sector",
        "security",
        "server",
        "sessie",
        "sigma",
        "six",
        "standaard",
        "team",
        "teams",
        "training",
        "unit",
        "vaardigheden",
        "versie",
        "week",
        "windows",
        "word",
        "workshop",
        "zaak",
    ]
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def _bsn_valid(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 9 or not any(digits):
        return False
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0


def _iban_valid(text: str) -> bool:
    compact = re.sub(r"\s", "", text).upper()
    if _IBAN_NL.fullmatch(compact):
        return True  # an NL account with a typo in its check digits is still someone's account
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return len(compact) >= 15 and int(number) % 97 == 1


def _replace_name(match: re.Match) -> str:
    """The name and its number replaced; leading course words of the match are kept."""
    name = match.group("name") or match.group("name2")
    number = match.group("number") or match.group("number2")
    if _YEAR.fullmatch(number):
        return match.group(0)
    text = match.group(0)
    kept = ""
    if match.group("name"):  # name first: course words before the name stay
        words = name.split()
        while words and words[0].casefold() in _NOT_NAMES:
            kept += words.pop(0) + " "
        name = " ".join(words)
        text = text[len(kept) :]
    words = re.findall(rf"{_UP}{_LO}+", name)
    initials = re.search(_INITIALS, name)
    if any(word.casefold() in _NOT_NAMES for word in words):
        return match.group(0)
    if len(words) < (1 if initials else 2):
        return match.group(0)
    return kept + MARKER.format(NAME)


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: str  # RE2 (pyarrow.compute); a rule with `replace` must also be valid Python `re`
    replace: Callable[[re.Match], str] | None = None  # per match, in Python, on candidate cells


def _checked(valid: Callable[[str], bool], kind: str) -> Callable[[re.Match], str]:
    marker = MARKER.format(kind)
    return lambda match: marker if valid(match.group(0)) else match.group(0)


_RULES = (
    _Rule(EMAIL, _EMAIL),
    _Rule(EMAIL, _EMAIL_SHORT),
    _Rule(IBAN, _IBAN, _checked(_iban_valid, IBAN)),
    _Rule(PHONE, _PHONE),
    _Rule(BSN, _BSN, _checked(_bsn_valid, BSN)),
    _Rule(NAME, _NAME_NUMBER, _replace_name),
)
_PYTHON = {rule.pattern: re.compile(rule.pattern) for rule in _RULES if rule.replace}


def scrub_array(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, Counter[str]]:
    """The string array with personal data replaced by markers, and the cells changed per kind."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    counts: Counter[str] = Counter()
    for rule in _RULES:
        found = pc.fill_null(pc.match_substring_regex(values, rule.pattern), False)
        if not pc.any(found).as_py():
            continue
        if rule.replace is None:
            scrubbed = pc.replace_substring_regex(values, rule.pattern, MARKER.format(rule.kind))
        else:
            pattern = _PYTHON[rule.pattern]
            candidates = values.filter(found).to_pylist()
            replaced = pa.array([pattern.sub(rule.replace, t) for t in candidates], pa.string())
            scrubbed = pc.replace_with_mask(values, found, replaced)
        changed = pc.sum(pc.fill_null(pc.not_equal(scrubbed, values), False)).as_py() or 0
        if changed:
            counts[rule.kind] += changed
            values = scrubbed
    return values, counts


def scrub_text(text: str | None) -> str | None:
    """One value scrubbed, as scrub_array would."""
    if text is None:
        return None
    scrubbed, _ = scrub_array(pa.array([text], pa.string()))
    return scrubbed[0].as_py()


def scrub_table(table: pa.Table, columns: list[str] | None = None) -> tuple[pa.Table, Counter[str]]:
    """The table with the string `columns` (default: every string column) scrubbed.

    The columns go through the rules as one array: RE2 compiles each pattern per call, which on a
    small delivery costs more than matching, so one call per rule, not one per rule and column.
    """
    names = [
        name
        for name in (columns if columns is not None else table.column_names)
        if pa.types.is_string(table.schema.field(name).type)
    ]
    if not names or table.num_rows == 0:
        return table, Counter()
    stacked = pa.concat_arrays([table.column(name).combine_chunks() for name in names])
    scrubbed, counts = scrub_array(stacked)
    if counts:
        for i, name in enumerate(names):
            position = table.column_names.index(name)
            column = scrubbed.slice(i * table.num_rows, table.num_rows)
            table = table.set_column(position, name, column)
    return table, counts


def scrub_note(counts: Counter[str]) -> str | None:
    """What was removed, counted per kind, never quoted; None when nothing was."""
    if not counts:
        return None
    listed = ", ".join(f"{kind} {counts[kind]}" for kind in KINDS if counts[kind])
    return f"personal data removed from text cells, never stored (cells per kind): {listed}"


def scrub_problems(problems: list[RowProblem]) -> list[RowProblem]:
    """Problems quote the value at fault: personal data in it is replaced as in the raw text."""
    quoted = [i for i, problem in enumerate(problems) if problem.value]
    if not quoted:
        return problems
    values = pa.array([problems[i].value for i in quoted], pa.string())
    scrubbed, found = scrub_array(values)
    if not found:
        return problems
    problems = list(problems)
    for i, before, after in zip(quoted, values.to_pylist(), scrubbed.to_pylist(), strict=True):
        if before != after:
            problem = problems[i]
            problems[i] = replace(
                problem, value=after, message=problem.message.replace(before, after)
            )
    return problems
