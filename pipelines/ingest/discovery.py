"""Find the deliveries in the drop zone; refuse what is not a delivery instead of guessing, and
say which delivery slots a refused file could be, so that they keep their last good version."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from pipelines.contract.delivery import (
    MUNICIPALITY_CODE,
    Delivery,
    delivery_from_path,
    fiscal_year_of_folder,
    is_fiscal_year_folder,
    kind_of_file_name,
)
from pipelines.contract.errors import (
    DeliveryRejected,
    UnreadableFile,
    UnsafeFile,
    WrongDeliveryFolder,
)
from pipelines.contract.kinds import KINDS
from pipelines.contract.profile import PROFILE_FILE

# What operating systems and office programs leave beside a user's files; never a delivery, so
# not listed (hidden files, `.DS_Store` or `._ledger.csv` among them, are skipped the same way
# unless their name without the dots is that of a delivery file).
LITTER_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini"})
OFFICE_LOCK_PREFIX = "~$"  # `~$assets.xlsx` while Excel has assets.xlsx open

YEARLY_KINDS = frozenset(k.name for k in KINDS.values() if k.per_year)


@dataclass(frozen=True)
class SlotsHeld:
    """The delivery slots a refused file could be: while the file is there, they keep their last
    good version instead of being withdrawn as no longer delivered."""

    municipality_code: str
    fiscal_year: int | None = None  # None: any year
    kinds: frozenset[str] = frozenset(KINDS)

    def hold(self, municipality_code: str, fiscal_year: int | None, kind: str) -> bool:
        return (
            municipality_code == self.municipality_code
            and kind in self.kinds
            and (fiscal_year is None or self.fiscal_year in (None, fiscal_year))
        )


@dataclass(frozen=True)
class Refused:
    """A file (or folder) in the drop zone that cannot be a delivery, with the reason."""

    path: Path
    relative_path: str
    error: DeliveryRejected
    held: SlotsHeld | None = None  # the slots it could be; None: it names no municipality

    @property
    def municipality_code(self) -> str:
        return self.held.municipality_code if self.held else ""


@dataclass(frozen=True)
class DropZone:
    """One listing of the drop zone, made once per run and passed to every step that needs it:
    the deliveries found, sorted, and the files refused with their reason."""

    root: Path
    deliveries: tuple[Delivery, ...] = ()
    refused: tuple[Refused, ...] = ()
    # municipality code -> its delivery profile
    profiles: Mapping[str, Path] = field(default_factory=dict)

    @classmethod
    def listed(cls, root: Path) -> DropZone:
        deliveries, refused, profiles = discover(root)
        return cls(root, tuple(deliveries), tuple(refused), profiles)

    def profile_file(self, municipality_code: str) -> Path | None:
        return self.profiles.get(municipality_code)

    def of_kind(self, kind: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.kind == kind]

    def holder(self, municipality_code: str, fiscal_year: int | None, kind: str) -> Refused | None:
        """The first refused file that could be this slot's delivery, if any."""
        return next(
            (
                r
                for r in self.refused
                if r.held and r.held.hold(municipality_code, fiscal_year, kind)
            ),
            None,
        )

    def refusal_of(self, path: Path) -> Refused | None:
        """The refusal of this path, or of the folder it lies in."""
        for item in self.refused:
            if path == item.path or item.path in path.parents:
                return item
        return None

    def in_slots(self, slots: set[tuple[str, int]]) -> DropZone:
        """Only the (municipality, fiscal year) slots given; refused files that name no slot go."""
        codes = {code for code, _ in slots}
        return DropZone(
            self.root,
            tuple(d for d in self.deliveries if (d.municipality_code, d.fiscal_year) in slots),
            tuple(
                r
                for r in self.refused
                if r.held
                and r.held.municipality_code in codes
                and (
                    r.held.fiscal_year is None
                    or (r.held.municipality_code, r.held.fiscal_year) in slots
                )
            ),
            self.profiles,
        )


def discover(
    deliveries_root: Path,
) -> tuple[list[Delivery], list[Refused], dict[str, Path]]:
    """Every delivery under `<root>/<GMxxxx>/...`, sorted, the files refused, and each
    municipality's delivery profile; litter (hidden files, Thumbs.db, Office lock files) is
    skipped."""
    if not deliveries_root.is_dir():
        return [], [], {}
    found: dict[str, list[Delivery]] = defaultdict(list)
    refused: list[Refused] = []
    profiles: dict[str, Path] = {}
    for path, relative, problem in _entries(deliveries_root):
        if problem is not None:
            refused.append(refusal(path, PurePath(relative), problem))
            continue
        if relative.endswith(PROFILE_FILE) and is_profile(PurePath(relative)):
            profiles[relative.split("/")[0]] = path
            continue
        try:
            delivery = delivery_from_path(path, deliveries_root, relative=relative)
        except WrongDeliveryFolder as error:
            refused.append(refusal(path, PurePath(relative), error))
            continue
        found[delivery.key].append(delivery)
    deliveries = []
    for key in sorted(found):
        candidates = found[key]
        if len(candidates) == 1:
            deliveries.append(candidates[0])
            continue
        names = ", ".join(d.relative_path for d in candidates)
        for duplicate in candidates:
            error = WrongDeliveryFolder(
                f"more than one file for the same delivery ({names}); keep one",
                file=duplicate.relative_path,
            )
            refused.append(refusal(duplicate.path, Path(duplicate.relative_path), error))
    return deliveries, sorted(refused, key=lambda r: r.relative_path), profiles


def refusal(path: Path, relative: PurePath, error: DeliveryRejected) -> Refused:
    return Refused(path, relative.as_posix(), error, slots_held(relative))


def _entries(root: Path) -> Iterator[tuple[Path, str, DeliveryRejected | None]]:
    """Every file under root that may be a delivery (with None), and every entry refused on sight
    (with the reason), each with its path under root ("GM0363/2024/ledger.csv"): links, folders
    where a file belongs, hidden deliveries, what cannot be read. Folders are walked in name
    order, so the files come sorted by path. Paths are strings until a file is yielded: ten years
    kept are fifteen thousand files a run, and pathlib costs more than the walk."""

    prefix = os.path.join(root, "")

    def _relative(path: str) -> str:
        return path.removeprefix(prefix).replace(os.sep, "/")

    def walk(folder: str, depth: int) -> Iterator[tuple[Path, str, DeliveryRejected | None]]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            relative = Path(folder).relative_to(root).as_posix()
            yield (
                Path(folder),
                relative,
                UnreadableFile(
                    f"the folder cannot be opened by the pipeline ({(error.strerror or str(error)).lower()}); "
                    "nothing in it is read",
                    file=relative,
                ),
            )
            return
        for entry in entries:
            if is_litter(entry.name):
                continue
            relative = _relative(entry.path)
            if entry.name.startswith("."):
                yield (
                    Path(entry.path),
                    relative,
                    WrongDeliveryFolder(
                        "the name starts with a dot, which hides the file, and hidden files are "
                        f"not read; name it '{entry.name.lstrip('.')}'",
                        file=relative,
                    ),
                )
            elif entry.is_symlink():
                yield (
                    Path(entry.path),
                    relative,
                    UnsafeFile(
                        "symbolic links are not accepted in the drop zone; deliver the file itself",
                        file=relative,
                    ),
                )
            elif entry.is_dir():
                if problem := _misplaced_folder(entry.name, relative, depth):
                    yield Path(entry.path), relative, problem
                else:
                    yield from walk(entry.path, depth + 1)
            elif not entry.is_file():
                yield (
                    Path(entry.path),
                    relative,
                    UnsafeFile(
                        "not a regular file (a pipe, socket or device); deliver the file itself",
                        file=relative,
                    ),
                )
            elif not readable(entry.path):
                yield (
                    Path(entry.path),
                    relative,
                    UnreadableFile(
                        "the file cannot be opened by the pipeline (no read permission); "
                        "give the pipeline's user read access",
                        file=relative,
                    ),
                )
            else:
                yield Path(entry.path), relative, None

    yield from walk(os.fspath(root), 0)


def _misplaced_folder(name: str, relative: str, depth: int) -> DeliveryRejected | None:
    """A folder where the layout (<GMxxxx>/<fiscal year>/<file>) wants a file: refused whole."""
    if kind_of_file_name(name) is not None:
        return WrongDeliveryFolder(
            f"'{name}' is a folder where a file was expected; deliver the file itself",
            file=relative,
        )
    if depth >= 2:
        return WrongDeliveryFolder(
            f"'{name}' is a folder inside the fiscal-year folder {relative.rsplit('/', 1)[0]}, "
            "and such folders are not read; a delivery is a file directly in the fiscal-year "
            "folder",
            file=relative,
        )
    return None


def is_litter(name: str) -> bool:
    """A file some program left beside the user's files, never a delivery: skipped unlisted."""
    if name.startswith("."):
        return kind_of_file_name(name.lstrip(".")) is None
    return name.lower() in LITTER_NAMES or name.startswith(OFFICE_LOCK_PREFIX)


def readable(path: Path | str) -> bool:
    """Whether this process may read the file: asked of the kernel, without opening it."""
    return os.access(path, os.R_OK, effective_ids=os.access in os.supports_effective_ids)


def slots_held(relative: PurePath) -> SlotsHeld | None:
    """The delivery slots a refused file at this path could be, so a sender who renames
    `ledger.csv` to `grootboek.csv`, or a link or folder that takes its place, does not lose the
    year. The path says as much as it can: the municipality folder (nothing without one), the
    fiscal year of its year folder (any year when it has none or it is not a possible year), and the kind
    its name starts with (`..ledger.csv`, `ledger.txt`; any kind when it names none)."""
    parts = relative.parts
    if not parts or not MUNICIPALITY_CODE.match(parts[0]):
        return None
    code = parts[0]
    if len(parts) == 1:
        return SlotsHeld(code)
    if len(parts) == 2 and not is_fiscal_year_folder(parts[1]):
        if parts[1] == PROFILE_FILE:
            return None
        named = _kind_named_by(parts[1])
        return SlotsHeld(code, None, frozenset({named}) if named else frozenset(KINDS))
    year = fiscal_year_of_folder(parts[1])
    named = _kind_named_by(parts[2]) if len(parts) > 2 else None
    if named is not None and not KINDS[named].per_year:
        return SlotsHeld(code, None, frozenset({named}))
    return SlotsHeld(code, year, frozenset({named}) if named else YEARLY_KINDS)


def _kind_named_by(name: str) -> str | None:
    """The kind a name starts with, whatever its dots or extension: `..Ledger.txt` -> ledger."""
    stem = name.lstrip(".").split(".")[0].lower()
    return next((k.name for k in KINDS.values() if k.file_stem == stem), None)


def is_profile(relative: Path) -> bool:
    """`GMxxxx/delivery_profile.yml`: a municipality's profile, not a delivery."""
    return (
        len(relative.parts) == 2
        and relative.name == PROFILE_FILE
        and MUNICIPALITY_CODE.match(relative.parts[0]) is not None
    )
