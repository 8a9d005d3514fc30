"""Which file headers mean which canonical column, for asset registers and training records.

Headers are compared case-, space- and punctuation-insensitively (`Afschrijvingstermijn (jaren)`
matches `afschrijvingstermijn_jaren`). The first alias of a canonical column that the file has is
used; a second column matching the same canonical name is ignored with a note. To accept a new
export layout, add its header here: this table is the data contract for these two kinds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contract.errors import WrongLayout

# canonical name -> accepted headers, in order of preference.
# TOPdesk (Dutch) first, then Lansweeper (English), then the canonical name itself.
ASSET_COLUMNS: dict[str, tuple[str, ...]] = {
    "asset_id": (
        "Objectnummer",
        "Objectnr",
        "Object ID",
        "Objectcode",
        "AssetID",
        "Asset ID",
        "AssetTag",
        "Asset Tag",
        "Asset Name",
        "AssetName",
        "asset_id",
    ),
    "asset_class": (
        "Objectsoort",
        "Soort",
        "Objecttype",
        "Soort object",
        "AssetType",
        "Asset Type",
        "Type",
        "asset_class",
    ),
    "purchase_date": (
        "Aanschafdatum",
        "Aankoopdatum",
        "Datum aanschaf",
        "PurchaseDate",
        "Purchase Date",
        "purchase_date",
    ),
    "purchase_price": (
        "Aanschafprijs",
        "Aanschafwaarde",
        "Aankoopprijs",
        "Aankoopbedrag",
        "PurchasePrice",
        "Purchase Price",
        "Price",
        "purchase_price",
    ),
    "status": ("Status", "Gebruiksstatus", "State", "AssetState", "Asset State", "status"),
    "cost_centre": (
        "Kostenplaats",
        "Kpl",
        "CostCenter",
        "Cost Center",
        "CostCentre",
        "Cost Centre",
        "cost_centre",
    ),
    "depreciation_years": (
        "Afschrijvingstermijn (jaren)",
        "Afschrijvingstermijn",
        "Afschrijving (jaren)",
        "Afschrijvingsjaren",
        "Depreciation years",
        "DepreciationYears",
        "Depreciation period",
        "depreciation_years",
    ),
}
ASSET_REQUIRED = frozenset({"asset_id", "asset_class", "purchase_date", "purchase_price", "status"})

TRAINING_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_id": (
        "Personeelsnummer",
        "Personeelsnr",
        "Medewerkernummer",
        "Registratienummer",
        "EmployeeID",
        "Employee ID",
        "Employee number",
        "employee_id",
    ),
    "department": ("Afdeling", "Organisatieonderdeel", "Team", "Department", "department"),
    "fte": ("FTE", "Deeltijdfactor", "Fte-factor", "Aanstelling (fte)", "fte"),
    "course": ("Opleiding", "Cursus", "Training", "Course", "Course name", "course"),
    "course_category": (
        "Categorie",
        "Opleidingscategorie",
        "Soort opleiding",
        "Course category",
        "CourseCategory",
        "Category",
        "course_category",
    ),
    "hours": ("Uren", "Studie-uren", "Aantal uren", "Hours", "Duration (hours)", "hours"),
    "cost": ("Kosten", "Opleidingskosten", "Bedrag", "Cost", "Costs", "cost"),
    "training_date": (
        "Datum",
        "Opleidingsdatum",
        "Startdatum",
        "Date",
        "Training date",
        "Start date",
        "training_date",
    ),
}
TRAINING_REQUIRED = frozenset(
    {"employee_id", "fte", "course", "course_category", "hours", "training_date"}
)

# canonical column -> header names accepted for it (compared after normalise_header)
LEDGER_COLUMNS: dict[str, tuple[str, ...]] = {
    "booking_date": ("boekdatum", "datum", "date", "booking_date", "transactiedatum"),
    "account_code": (
        "rekening",
        "grootboekrekening",
        "grootboek",
        "account",
        "account_code",
        "rekeningnummer",
    ),
    "account_name": ("rekening_omschrijving", "omschrijving_rekening", "account_name"),
    "cost_centre": ("kostenplaats", "kpl", "cost_centre", "cost_center"),
    "cost_type": ("kostensoort", "cost_type"),
    "journal": ("dagboek", "journal"),
    "transaction_id": ("boekstuk", "boekstuknummer", "transaction_id"),
    "line_number": ("regel", "regelnummer", "line_number"),
    "description": ("omschrijving", "description"),
    "amount": ("bedrag", "amount", "saldo"),
    "debit": ("debet", "debit"),
    "credit": ("credit",),
}
LEDGER_REQUIRED = ("booking_date", "account_code")

# the account mapping's own header (compared after the ledger reader's normalisation)
MAPPING_COLUMNS = {
    "rekening_van": "account_from",
    "rekening_tot": "account_to",
    "kostenplaats": "cost_centre",
    "categorie": "category",
    "toelichting": "note",
}


# Personal data recognised only to be dropped at parse time (and reported as dropped).
# Anything else not in TRAINING_COLUMNS is dropped as well.
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (
        "Naam",
        "Volledige naam",
        "Voornaam",
        "Roepnaam",
        "Tussenvoegsel",
        "Achternaam",
        "Name",
        "Full name",
        "First name",
        "Last name",
    ),
    "email": ("E-mail", "Email", "E-mailadres", "Mailadres", "Email address", "Mail"),
}


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
) -> ColumnMatch:
    """Map a file header onto canonical columns; WrongLayout names what is missing and why.

    `show_found=False` keeps the file's header out of the error (for files with personal data,
    where a missing header row would put a person's data in the header's place).
    """
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
