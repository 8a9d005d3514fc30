"""Propose a municipality's delivery profile from its files (`ictbench profile suggest`).

For every kind of delivery with columns it reads the file as the kind's reader does (the CSV
text table with its encoding handling, the workbook's sheet and header row), shows which
canonical columns the built-in aliases or the existing profile already find, guesses the others
among the headers left (profile_guess.py), and lists every word of a vocabulary column that
nothing knows yet, with its rows. The proposal is YAML that read_profile accepts as it stands
(profile_yaml.py); nothing is written unless asked, and then only the profile itself.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.contract.delivery import MUNICIPALITY_CODE, delivery_from_path
from pipelines.contract.errors import DeliveryRejected, WrongDeliveryFolder, WrongLayout
from pipelines.contract.header_matching import (
    count_known,
    match_columns,
    normalise_header,
    with_profile,
)
from pipelines.contract.kinds import KINDS
from pipelines.contract.profile import PROFILE_FILE, DeliveryProfile, KindProfile, read_profile
from pipelines.contract.vocabulary import (
    column_aliases,
    columns_with_words,
    has_columns,
    required_columns,
)
from pipelines.ingest.profile_guess import (
    Guess,
    UnknownValue,
    guess_columns,
    personal_headers,
    unknown_values,
)
from pipelines.readers.dutch_csv import read_text_csv
from pipelines.readers.ledger_csv import header_lookup, known_columns
from pipelines.readers.ledger_csv import normalise_header as ledger_header
from pipelines.readers.register_text import MIN_KNOWN_HEADERS, read_register_text
from pipelines.storage.files import write_bytes_atomic

# the file formats whose headers a profile can name (an XAF audit file has fixed element names)
_TABULAR = (".csv", ".xlsx")
MAPPABLE_SUFFIXES = {
    k.name: tuple(s for s in k.suffixes if s in _TABULAR)
    for k in KINDS.values()
    if has_columns(k.name)
}


class UsageError(ValueError):
    """The command was given something it cannot work with (exit code 2)."""


@dataclass(frozen=True)
class Target:
    """One file to read for one kind, and how messages name it."""

    kind: str
    path: Path
    label: str
    not_read: tuple[int, ...] = ()  # the kind's older fiscal years in the folder


@dataclass(frozen=True)
class Targets:
    municipality: str | None  # None for loose files outside the drop-zone layout
    folder: Path | None  # the municipality folder, where the profile lives
    files: tuple[Target, ...]
    notes: tuple[str, ...] = ()  # which files were left out, and why


@dataclass(frozen=True)
class Placement:
    """Where a canonical column is in the file, and how that was decided."""

    canonical: str
    header: str | None
    # built-in | profile | stale (the profile's, not in the file) | guess | missing (required,
    # not found) | absent (optional, not found)
    source: str
    reason: str = ""
    nearest: str | None = None  # for a column not found: the header that came closest


@dataclass
class KindSuggestion:
    kind: str
    file: str
    described: str  # format, sheet and header row, rows; the older years not read
    columns: list[Placement]
    unknown: list[UnknownValue]
    unused: list[str]  # headers placed nowhere
    personal: list[str]  # headers with personal data: never proposed
    sheet: str | None = None
    sheet_reason: str = ""
    notes: list[str] = field(default_factory=list)

    def placement(self, canonical: str) -> Placement:
        return next(p for p in self.columns if p.canonical == canonical)

    def header_of(self, canonical: str) -> str | None:
        return self.placement(canonical).header

    def unknown_in(self, column: str) -> list[UnknownValue]:
        return [u for u in self.unknown if u.column == column]


@dataclass
class Suggestion:
    targets: Targets
    existing: DeliveryProfile | None
    kinds: list[KindSuggestion]
    errors: list[DeliveryRejected]

    @property
    def profile_path(self) -> Path | None:
        return self.targets.folder / PROFILE_FILE if self.targets.folder else None


def find_targets(paths: Sequence[Path], kind: str | None = None) -> Targets:
    """The files to read: for a municipality folder the newest year's file of every kind with
    columns; for files, those files (their kind from the name, or `kind`)."""
    if kind is not None and (kind not in KINDS or not has_columns(kind)):
        mappable = ", ".join(k for k in KINDS if has_columns(k))
        raise UsageError(f"'{kind}' is not a kind of delivery with columns ({mappable})")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError("no such file or folder: " + ", ".join(missing))
    files: list[Target] = []
    notes: list[str] = []
    places: set[tuple[str | None, Path | None]] = set()
    for path in paths:
        if path.is_dir():
            folder = _municipality_folder(path)
            found, left_out = _newest_per_kind(folder, kind)
            files += found
            notes += left_out
            places.add((folder.name, folder))
        else:
            target, municipality, folder = _file_target(path, kind)
            files.append(target)
            places.add((municipality, folder))
    if len(places) > 1:
        named = sorted(code or "a folder outside the drop zone" for code, _ in places)
        raise UsageError(
            "the paths belong to more than one municipality (" + ", ".join(named) + "); "
            "a profile is one municipality's: suggest one at a time"
        )
    kinds = [target.kind for target in files]
    twice = sorted({k for k in kinds if kinds.count(k) > 1})
    if twice:
        raise UsageError(
            f"more than one {twice[0]} file given; give one file per kind (the profile names "
            "one set of headers per kind)"
        )
    [(municipality, folder)] = places or {(None, None)}
    return Targets(municipality, folder, tuple(files), tuple(notes))


def _municipality_folder(path: Path) -> Path:
    path = path.resolve()
    if MUNICIPALITY_CODE.match(path.name):
        return path
    if path.name.isdigit() and MUNICIPALITY_CODE.match(path.parent.name):
        raise UsageError(
            f"{path} is a fiscal year's folder: give the municipality folder ({path.parent}) "
            "or the files themselves"
        )
    raise UsageError(
        f"{path} is not a municipality folder (named GM followed by 4 digits, holding a folder "
        "per fiscal year); give such a folder or delivery files"
    )


def _newest_per_kind(folder: Path, only: str | None) -> tuple[list[Target], list[str]]:
    newest: dict[str, list] = {}
    for path in sorted(folder.glob("*/*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            delivery = delivery_from_path(path, folder.parent)
        except WrongDeliveryFolder:
            continue  # discovery refuses it in a run; it is no delivery to learn from
        if not has_columns(delivery.kind) or (only and delivery.kind != only):
            continue
        newest.setdefault(delivery.kind, []).append(delivery)
    targets, notes = [], []
    for kind in (k for k in KINDS if k in newest):
        by_year = sorted(newest[kind], key=lambda d: d.fiscal_year or 0, reverse=True)
        chosen, older = by_year[0], by_year[1:]
        if chosen.path.suffix.lower() not in MAPPABLE_SUFFIXES[kind]:
            notes.append(f"{kind}: {chosen.relative_path} has fixed element names, nothing to map")
            continue
        years = tuple(d.fiscal_year for d in older if d.fiscal_year is not None)
        targets.append(Target(kind, chosen.path, chosen.relative_path, years))
    if not targets and not notes:
        what = f"{only} file" if only else "delivery file with columns"
        raise UsageError(f"{folder} holds no {what} in a fiscal year's folder")
    return targets, notes


def _file_target(path: Path, kind: str | None) -> tuple[Target, str | None, Path | None]:
    path = path.resolve()
    # the municipality folder: GMxxxx/<year>/<file>, or a loose GMxxxx/<file>
    folder = next((p for p in path.parents[:2] if MUNICIPALITY_CODE.match(p.name)), None)
    municipality = folder.name if folder else None
    label = str(path.relative_to(folder.parent)) if folder else str(path)
    try:
        named = delivery_from_path(path).kind
    except DeliveryRejected:  # outside the layout: the kind may still be in the name
        named = next((k.name for k in KINDS.values() if k.file_stem == path.stem.lower()), None)
    chosen = kind or named
    if chosen is None:
        names = ", ".join(k for k in KINDS if has_columns(k))
        raise UsageError(
            f"cannot tell the kind of {path.name} from its name: pass --kind ({names})"
        )
    if not has_columns(chosen):
        raise UsageError(f"{label}: a {chosen} file has nothing to map")
    if path.suffix.lower() not in MAPPABLE_SUFFIXES[chosen]:
        allowed = " or ".join(MAPPABLE_SUFFIXES[chosen])
        raise UsageError(
            f"{label}: a {chosen} file with headers to map is {allowed}"
            + (" (an XAF audit file has fixed element names)" if chosen == "ledger" else "")
        )
    return Target(chosen, path, label), municipality, folder


def suggest(paths: Sequence[Path], kind: str | None = None) -> Suggestion:
    """Read the files and propose a profile; a file or profile that cannot be read is an error
    in the result (the other kinds are still proposed)."""
    targets = find_targets(paths, kind)
    existing = None
    errors: list[DeliveryRejected] = []
    if targets.folder and (targets.folder / PROFILE_FILE).is_file():
        label = f"{targets.municipality}/{PROFILE_FILE}"
        # a broken profile cannot be added to: InvalidProfile names the line to mend first
        existing = read_profile(targets.folder / PROFILE_FILE, label=label)
    kinds = []
    for target in targets.files:
        own = existing.for_kind(target.kind) if existing else None
        try:
            kinds.append(suggest_kind(target, own or KindProfile()))
        except DeliveryRejected as error:
            errors.append(error)
    return Suggestion(targets, existing, kinds, errors)


@dataclass
class _Read:
    table: pa.Table  # all text, columns named by the header (made unique)
    header: list[str]  # as the kind's column matching sees it
    source_rows: pa.Array
    described: str
    notes: list[str]
    sheet: str | None = None
    header_row: int = 1


def _read(target: Target, profile: KindProfile) -> _Read:
    if ".xlsx" in MAPPABLE_SUFFIXES[target.kind]:  # a register: CSV, or a workbook's sheet
        aliases = column_aliases(target.kind)
        register = read_register_text(
            target.path, target.label, aliases, profile, guess_header=True
        )
        table = register.table
        if register.meta.get("format") == "xlsx":
            sheet = str(register.meta["sheet"])
            described = f"sheet '{sheet}', header on row {register.header_row}"
        else:
            sheet, described = None, _encoding(str(register.meta["encoding"]))
        return _Read(
            table,
            table.column_names,
            register.source_rows,
            f"{described}, {_rows(table.num_rows)}",
            list(register.notes),
            sheet,
            register.header_row,
        )
    text = read_text_csv(target.path, file=target.label)
    notes = list(text.notes)
    if text.broken_rows:
        first = text.broken_rows[0]
        notes.append(
            f"{len(text.broken_rows)} rows do not have the header's number of fields (first "
            f"on row {first.line}); they are left out here"
        )
    if text.unreadable_lines:
        first_line = text.unreadable_lines[0]
        notes.append(
            f"{len(text.unreadable_lines)} lines cannot be read as a row (first on row "
            f"{first_line.line}: {first_line.message}); they are left out here"
        )
    header = text.header if target.kind == "ledger" else text.table.column_names
    described = f"{_encoding(text.encoding)}, {_rows(text.table.num_rows)}"
    return _Read(text.table, header, text.source_rows, described, notes)


def _encoding(name: str) -> str:
    return {"utf-8": "UTF-8", "windows-1252": "Windows-1252"}.get(name, name)


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}".replace(",", " ")


def _known(target: Target, read: _Read, profile: KindProfile, notes: list[str]) -> dict[str, str]:
    """Canonical column -> table column the kind's reader finds without new profile lines."""
    present = set(read.header)
    own = {c: h for c, h in profile.columns.items() if _present(h, present, target.kind)}
    for canonical, header in profile.columns.items():
        if canonical not in own:
            notes.append(
                f"your profile names `{header}` for {canonical}, which {target.label} does not "
                "have: correct that line"
            )
    if target.kind == "ledger":
        names = read.table.column_names
        found = known_columns(read.header, own)
        notes.extend(_ledger_refusals(read.header, own, found))
        return {c: names[read.header.index(h)] for c, h in found.items()}
    try:
        match = match_columns(
            read.header,
            column_aliases(target.kind),
            frozenset(),
            file=target.label,
            header_row=read.header_row,
            show_found=target.kind != "training",
            profile_columns=own,
        )
    except WrongLayout as error:  # a header the profile names twice over, say
        notes.append(error.describe())
        return {}
    notes.extend(match.duplicates)
    return dict(match.headers)


def _ledger_refusals(header: list[str], own: dict[str, str], found: dict[str, str]) -> list[str]:
    """What the ledger reader refuses in a header that the profile could mend."""
    lookup = header_lookup(own)
    notes = []
    for canonical, first in found.items():
        others = [h for h in header if h != first and lookup.get(ledger_header(h)) == canonical]
        if others:
            notes.append(
                f"columns `{first}` and `{others[0]}` both mean {canonical}: the reader refuses "
                "that; keep one in the export"
            )
    if "amount" in found and ("debit" in found or "credit" in found):
        notes.append(
            "the file has a signed amount and debit/credit columns: the reader refuses both "
            "forms at once; deliver one"
        )
    return notes


def _present(header: str, present: set[str], kind: str) -> bool:
    key = ledger_header if kind == "ledger" else normalise_header
    return key(header) in {key(h) for h in present}


def suggest_kind(target: Target, profile: KindProfile) -> KindSuggestion:
    """The proposal for one file: its columns placed, its unknown words listed."""
    read = _read(target, profile)
    notes = list(read.notes)
    kind = target.kind
    known = _known(target, read, profile, notes)
    required = set(required_columns(kind))
    not_needed = _other_amount_form(kind, known)
    wanted = [c for c in column_aliases(kind) if c not in known and c not in not_needed]
    if kind == "ledger" and not not_needed:
        required.add("amount")  # a signed amount, or debit and credit
    used = set(known.values())
    left = [h for h in read.table.column_names if h not in used]
    personal = personal_headers(kind, read.table, left)
    candidates = [h for h in left if h not in personal]
    own_words = dict(profile.values)
    guesses, misses = guess_columns(
        kind, read.table, candidates, wanted, frozenset(required), own_words
    )
    guesses = _one_amount_form(kind, guesses)
    placed = dict(known) | {c: g.header for c, g in guesses.items()}
    columns = [
        _placement(c, known, guesses, misses, required, profile, not_needed.get(c))
        for c in column_aliases(kind)
    ]
    unknown = [
        value
        for column in columns_with_words(kind)
        if column in placed
        for value in unknown_values(
            kind,
            column,
            read.table.column(placed[column]).combine_chunks(),
            read.source_rows,
            own_words.get(column),
        )
    ]
    placed_headers = set(placed.values())
    described = read.described
    if target.not_read:
        years = ", ".join(str(year) for year in target.not_read)
        described += f"; the newest year, not read: {years}"
    suggestion = KindSuggestion(
        kind=kind,
        file=target.label,
        described=described,
        columns=columns,
        unknown=unknown,
        unused=[h for h in candidates if h not in placed_headers],
        personal=personal,
        sheet=profile.sheet,
        notes=notes,
    )
    if read.sheet is not None:
        _check_workbook(target, read, profile, suggestion)
    return suggestion


def _other_amount_form(kind: str, known: dict[str, str]) -> dict[str, str]:
    """A ledger has a signed amount or debit and credit: the form the file does not use is not
    looked for (column -> why)."""
    if kind != "ledger":
        return {}
    if "amount" in known:
        return dict.fromkeys(("debit", "credit"), "not needed: the file has a signed amount")
    if "debit" in known or "credit" in known:
        return {"amount": "not needed: the file has debit and credit"}
    return {}


def _one_amount_form(kind: str, guesses: dict[str, Guess]) -> dict[str, Guess]:
    """Keep debit and credit only as a pair, and only when they beat a signed amount."""
    if kind != "ledger":
        return guesses
    split = [guesses.get("debit"), guesses.get("credit")]
    if None in split:
        return {c: g for c, g in guesses.items() if c not in ("debit", "credit")}
    if "amount" in guesses:
        pair = sum(g.score for g in split if g) / 2
        drop = ("amount",) if pair > guesses["amount"].score else ("debit", "credit")
        return {c: g for c, g in guesses.items() if c not in drop}
    return guesses


def _placement(
    canonical: str,
    known: dict[str, str],
    guesses: dict[str, Guess],
    misses: dict[str, Guess],
    required: set[str],
    profile: KindProfile,
    not_needed: str | None,
) -> Placement:
    if canonical in known:
        source = "profile" if canonical in profile.columns else "built-in"
        return Placement(canonical, known[canonical], source)
    if canonical in profile.columns:  # kept as the profile says; the reader will refuse it
        closest = f"; closest: {guesses[canonical].header}" if canonical in guesses else ""
        reason = f"your profile, but the file has no such column: correct it{closest}"
        return Placement(canonical, profile.columns[canonical], "stale", reason)
    if canonical in guesses:
        guess = guesses[canonical]
        return Placement(canonical, guess.header, "guess", guess.reason)
    if not_needed:
        return Placement(canonical, None, "absent", not_needed)
    miss = misses.get(canonical)
    nearest = None
    if miss is not None:
        nearest = f"{miss.header}" + (f" ({miss.value_reason})" if miss.value_reason else "")
    return Placement(canonical, None, "missing" if canonical in required else "absent", "", nearest)


def _check_workbook(
    target: Target, read: _Read, profile: KindProfile, suggestion: KindSuggestion
) -> None:
    """Would the reader, given the proposed columns, take the same sheet and header row? If it
    would take another sheet, the proposal names the sheet."""
    columns = {
        p.canonical: p.header for p in suggestion.columns if p.source in ("profile", "guess")
    }
    aliases = with_profile(column_aliases(target.kind), columns)
    header_cells = read.table.column_names
    if count_known(header_cells, aliases) < MIN_KNOWN_HEADERS:
        suggestion.notes.append(
            f"the header on row {read.header_row} names fewer than {MIN_KNOWN_HEADERS} columns "
            "the reader knows, so it will not find it: place more columns below"
        )
        return
    if profile.sheet:
        return
    planned = KindProfile(columns=columns, values=profile.values)
    found = read_register_text(target.path, target.label, column_aliases(target.kind), planned)
    if found.meta.get("sheet") != read.sheet:
        suggestion.sheet = read.sheet
        suggestion.sheet_reason = (
            f"the register; without this line the reader takes sheet '{found.meta.get('sheet')}'"
        )


def write_profile(suggestion: Suggestion, text: str, *, force: bool = False) -> Path:
    """Write the proposal as the municipality's delivery_profile.yml (only when asked: a run
    never writes into the drop zone). An existing profile is replaced only with `force`; the
    proposal already holds everything it said."""
    path = suggestion.profile_path
    if path is None:
        raise UsageError(
            "--write needs a municipality folder (GMxxxx) or files inside one: these files are "
            "outside the drop-zone layout"
        )
    if path.exists() and not force:
        raise UsageError(
            f"{suggestion.targets.municipality}/{PROFILE_FILE} exists: pass --force to replace it "
            "(the proposal keeps every line it has), or leave out --write and copy what you need"
        )
    read_profile_text(text, f"{suggestion.targets.municipality}/{PROFILE_FILE}")
    write_bytes_atomic(text.encode("utf-8"), path)
    return path


def read_profile_text(text: str, label: str) -> DeliveryProfile:
    """Check a proposal the way a run will read it, before it is written."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / PROFILE_FILE
        path.write_text(text, encoding="utf-8")
        return read_profile(path, label=label)
