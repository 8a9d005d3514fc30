"""What a delivery is: one municipality, one fiscal year, one kind of export, identified by its bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract.errors import WrongDeliveryFolder
from pipelines.contract.kinds import KINDS, DeliveryKind

MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")

FIRST_FISCAL_YEAR = 2000


@dataclass(frozen=True)
class Delivery:
    path: Path
    municipality_code: str
    fiscal_year: int | None  # None for the account mapping, which holds for every year
    kind: str
    relative_path: str

    @property
    def key(self) -> str:
        """Stable name of the delivery slot; a new file in the same slot replaces the old one."""
        if self.fiscal_year is None:
            return f"{self.municipality_code}_{self.kind}"
        return f"{self.municipality_code}_{self.fiscal_year}_{self.kind}"

    def content_hash(self) -> str:
        return file_sha256(self.path)


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: Path, known: list | None) -> list:
    """[size, mtime_ns, sha256]; a file whose size and mtime did not move keeps its known hash."""
    stat = path.stat()
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return known
    return [stat.st_size, stat.st_mtime_ns, file_sha256(path)]


def fingerprint_files(root, previous: dict[str, list]) -> dict[str, list]:
    """relative path -> fingerprint of every file under root, so a quiet drop zone costs a
    directory walk, not a read of every byte."""
    files = {}
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(root).parts):
            continue
        relative = str(path.relative_to(root))
        files[relative] = fingerprint(path, previous.get(relative))
    return files


def _kind_named(name: str, *, per_year: bool) -> DeliveryKind | None:
    """The kind whose file this is (`ledger.xaf`), among the yearly or the standing kinds."""
    stem, suffix = Path(name).stem.lower(), Path(name).suffix.lower()
    for kind in KINDS.values():
        if kind.per_year == per_year and kind.file_stem == stem and suffix in kind.suffixes:
            return kind
    return None


def _known_files(*, per_year: bool) -> str:
    return ", ".join(n for k in KINDS.values() if k.per_year == per_year for n in k.file_names)


def delivery_from_path(path: Path, deliveries_root: Path | None = None) -> Delivery:
    """Read municipality, year and kind from `<GMxxxx>/<year>/<kind>.<ext>` at the end of the path
    (`<GMxxxx>/<kind>.<ext>` for a kind that holds for every year, like the account mapping)."""
    path = Path(path)
    parts = path.parts
    standing = _kind_named(path.name, per_year=False)
    if standing is not None and len(parts) >= 2:
        return _standing_delivery(path, standing, deliveries_root)
    if len(parts) < 3:
        raise WrongDeliveryFolder(
            "expected <GMxxxx>/<fiscal year>/<file>, e.g. GM0363/2024/ledger.csv", file=path
        )
    code, year_text, name = parts[-3], parts[-2], parts[-1]
    if not MUNICIPALITY_CODE.match(code):
        raise WrongDeliveryFolder(
            f"folder '{code}' is not a CBS municipality code (GM followed by 4 digits)", file=path
        )
    if not (year_text.isdigit() and len(year_text) == 4):
        raise WrongDeliveryFolder(f"folder '{year_text}' is not a fiscal year", file=path)
    if not FIRST_FISCAL_YEAR <= int(year_text) <= dt.date.today().year:
        raise WrongDeliveryFolder(
            f"fiscal year {year_text} is not possible: a delivery covers a year from "
            f"{FIRST_FISCAL_YEAR} up to this year",
            file=path,
        )
    kind = _kind_named(name, per_year=True)
    if kind is None:
        allowed = _known_files(per_year=True)
        raise WrongDeliveryFolder(f"'{name}' is not a known delivery file ({allowed})", file=path)
    relative = str(path.relative_to(deliveries_root)) if deliveries_root else "/".join(parts[-3:])
    return Delivery(
        path=path,
        municipality_code=code,
        fiscal_year=int(year_text),
        kind=kind.name,
        relative_path=relative,
    )


def _standing_delivery(path: Path, kind: DeliveryKind, deliveries_root: Path | None) -> Delivery:
    code = path.parts[-2]
    if not MUNICIPALITY_CODE.match(code):
        raise WrongDeliveryFolder(
            f"folder '{code}' is not a CBS municipality code (GM followed by 4 digits)", file=path
        )
    relative = (
        str(path.relative_to(deliveries_root)) if deliveries_root else "/".join(path.parts[-2:])
    )
    return Delivery(path, code, None, kind.name, relative)
