"""Find the canonical columns in a file's header: a municipality's profile first, then the
built-in aliases (vocabularies/columns.yml).

Headers are compared case-, space- and punctuation-insensitively (`Afschrijvingstermijn (jaren)`
matches `afschrijvingstermijn_jaren`). The first alias of a canonical column that the file has is
used; a second column matching the same canonical name is ignored with a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contract.errors import WrongLayout


def normalise_header(name: str) -> str:
    """`Afschrijvingstermijn (jaren)` -> `afschrijvingstermijnjaren`."""
    return re.sub(r"[\W_]+", "", name.casefold())


def _lookup(aliases: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, int]]:
    """normalised header -> (canonical name, preference); each alias must mean one thing."""
    table: dict[str, tuple[str, int]] = {}
    for canonical, names in aliases.items():
        for preference, alias in enumerate(names):
            key = normalise_header(alias)
            if key in table and table[key][0] != canonical:
                raise ValueError(f"alias {alias!r} is listed for {table[key][0]} and {canonical}")
            table.setdefault(key, (canonical, preference))
    return table


@dataclass
class ColumnMatch:
    """Where each canonical column is in the file, and what was left out."""

    positions: dict[str, int]  # canonical name -> column position in the file
    headers: dict[str, str]  # canonical name -> the file's own header
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # second matches, ignored

    def notes(self, unknown_outcome: str) -> list[str]:
        """Load notes; `unknown_outcome` says what happens to unknown columns."""
        notes = []
        if self.unknown:
            listed = ", ".join(f"`{name}`" for name in self.unknown)
            notes.append(f"columns not in the data contract ({unknown_outcome}): {listed}")
        notes.extend(self.duplicates)
        return notes


def with_profile(
    aliases: Mapping[str, Sequence[str]], profile_columns: Mapping[str, str] | None
) -> dict[str, tuple[str, ...]]:
    """The aliases with a profile's headers first; a built-in alias that a profile gives to
    another column is dropped, so the profile always wins."""
    if not profile_columns:
        return {canonical: tuple(names) for canonical, names in aliases.items()}
    taken = {normalise_header(header) for header in profile_columns.values()}
    return {
        canonical: (
            *([profile_columns[canonical]] if canonical in profile_columns else []),
            *(name for name in names if normalise_header(name) not in taken),
        )
        for canonical, names in aliases.items()
    }


def personal_headers(
    headers: Sequence[str], personal: Mapping[str, Sequence[str]], *, within: bool = False
) -> list[str]:
    """The headers that name personal data (a kind's `personal` aliases): dropped, never stored.

    within: a header that holds an alias (`Applicatiebeheerder (naam)`, `E-mail eigenaar`) counts
    too; aliases shorter than five letters only as the whole header."""
    keys = {normalise_header(alias) for aliases in personal.values() for alias in aliases}

    def named(header: str) -> bool:
        key = normalise_header(header)
        return key in keys or (within and any(len(k) >= 5 and k in key for k in keys))

    return [name for name in headers if named(name)]


def count_known(header: Sequence[object], aliases: Mapping[str, Sequence[str]]) -> int:
    """How many distinct canonical columns a candidate header row names (to find the header)."""
    lookup = _lookup(aliases)
    found = {normalise_header(str(cell)) for cell in header if cell is not None}
    return len({lookup[key][0] for key in found if key in lookup})


def match_columns(
    header: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    required: frozenset[str],
    *,
    file: Path | str,
    header_row: int = 1,
    show_found: bool = True,
    profile_columns: Mapping[str, str] | None = None,
) -> ColumnMatch:
    """Map a file header onto canonical columns; WrongLayout names what is missing and why.

    profile_columns: the municipality's own headers (delivery profile), which win over the
    aliases; a header the profile names must be in the file.
    `show_found=False` keeps the file's header out of the error (for files with personal data,
    where a missing header row would put a person's data in the header's place).
    """
    present = {normalise_header(name) for name in header}
    for canonical, wanted in (profile_columns or {}).items():
        if normalise_header(wanted) not in present:
            raise WrongLayout(
                f"the delivery profile says `{canonical}` is the column `{wanted}`, "
                "but the file has no such column",
                file=file,
                row=header_row,
                column=wanted,
                hint="Correct delivery_profile.yml or the export"
                + (": columns found: " + ", ".join(f"`{n}`" for n in header) if show_found else "")
                + ".",
            )
    aliases = with_profile(aliases, profile_columns)
    lookup = _lookup(aliases)
    best: dict[str, tuple[int, int]] = {}  # canonical -> (preference, position)
    duplicates: list[str] = []
    unknown: list[str] = []
    for position, name in enumerate(header):
        hit = lookup.get(normalise_header(name))
        if hit is None:
            unknown.append(name)
            continue
        canonical, preference = hit
        if canonical in best:
            kept = best[canonical] if best[canonical][0] <= preference else (preference, position)
            ignored = position if kept[1] != position else best[canonical][1]
            best[canonical] = kept
            duplicates.append(
                f"columns `{header[kept[1]]}` and `{header[ignored]}` both mean {canonical}; "
                f"`{header[kept[1]]}` is used"
            )
        else:
            best[canonical] = (preference, position)
    missing = [name for name in aliases if name in required and name not in best]
    if missing:
        raise _missing_columns(
            missing, aliases, header, file=file, row=header_row, show_found=show_found
        )
    positions = {canonical: position for canonical, (_, position) in best.items()}
    return ColumnMatch(
        positions=positions,
        headers={canonical: header[position] for canonical, position in positions.items()},
        unknown=unknown,
        duplicates=duplicates,
    )


def _missing_columns(
    missing: list[str],
    aliases: Mapping[str, Sequence[str]],
    header: Sequence[str],
    *,
    file: Path | str,
    row: int,
    show_found: bool,
) -> WrongLayout:
    parts = [
        f"required column `{name}` is missing (accepted names: {', '.join(aliases[name])})"
        for name in missing
    ]
    hint = "Rename the column in the export to one of the accepted names, or add it."
    if show_found:
        hint += " Columns found: " + ", ".join(f"`{name}`" for name in header) + "."
    return WrongLayout("; ".join(parts), file=file, row=row, column=missing[0], hint=hint)
