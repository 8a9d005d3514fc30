"""Find the deliveries in the drop zone; refuse what is not a delivery instead of guessing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contract.delivery import MUNICIPALITY_CODE, Delivery, delivery_from_path
from pipelines.contract.errors import DeliveryRejected, UnsafeFile, WrongDeliveryFolder
from pipelines.contract.profile import PROFILE_FILE


@dataclass(frozen=True)
class Refused:
    """A file in the drop zone that cannot be a delivery, with the reason."""

    path: Path
    relative_path: str
    error: DeliveryRejected
    delivery: Delivery | None = None  # set when the file does name a delivery slot


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

    def in_slots(self, slots: set[tuple[str, int]]) -> DropZone:
        """Only the (municipality, fiscal year) slots given; refused files that name no slot go."""
        return DropZone(
            self.root,
            tuple(d for d in self.deliveries if (d.municipality_code, d.fiscal_year) in slots),
            tuple(
                r
                for r in self.refused
                if r.delivery and (r.delivery.municipality_code, r.delivery.fiscal_year) in slots
            ),
            self.profiles,
        )


def discover(
    deliveries_root: Path,
) -> tuple[list[Delivery], list[Refused], dict[str, Path]]:
    """Every delivery under `<root>/<GMxxxx>/...`, sorted, the files refused, and each
    municipality's delivery profile; hidden files are ignored."""
    if not deliveries_root.is_dir():
        return [], [], {}
    found: dict[str, list[Delivery]] = defaultdict(list)
    refused: list[Refused] = []
    profiles: dict[str, Path] = {}
    for path in sorted(deliveries_root.rglob("*")):
        relative = path.relative_to(deliveries_root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_symlink():
            error = UnsafeFile(
                "symbolic links are not accepted in the drop zone; deliver the file itself",
                file=relative,
            )
            refused.append(Refused(path, str(relative), error))
            continue
        if path.is_dir():
            continue
        if is_profile(relative):
            profiles[relative.parts[0]] = path
            continue
        try:
            delivery = delivery_from_path(path, deliveries_root)
        except WrongDeliveryFolder as error:
            refused.append(Refused(path, str(relative), error))
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
            refused.append(Refused(duplicate.path, duplicate.relative_path, error, duplicate))
    return deliveries, refused, profiles


def is_profile(relative: Path) -> bool:
    """`GMxxxx/delivery_profile.yml`: a municipality's profile, not a delivery."""
    return (
        len(relative.parts) == 2
        and relative.name == PROFILE_FILE
        and MUNICIPALITY_CODE.match(relative.parts[0]) is not None
    )


def inside(path: Path, root: Path) -> bool:
    """True when path (after resolving links) is inside root."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
