"""What a delivery is: one municipality, one fiscal year, one kind of export, identified by its bytes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
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
    # [size, mtime_ns, sha256] from an earlier look at the file this run (ingest/deliveries.py)
    known: list | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        """Stable name of the delivery slot; a new file in the same slot replaces the old one."""
        if self.fiscal_year is None:
            return f"{self.municipality_code}_{self.kind}"
        return f"{self.municipality_code}_{self.fiscal_year}_{self.kind}"

    def content_hash(self) -> str:
        """sha256 of the file's bytes; not read again while its size and modification time are
        those `known` was taken at."""
        if self.known and self.known[2]:
            return fingerprint(self.path, self.known)[2]
        return file_sha256(self.path)


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: Path, known: list | None) -> list:
    """[size, mtime_ns, sha256]; a file whose size and mtime did not move keeps its known hash."""
    if unchanged_file(path, known):
        return known
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, file_sha256(path)]


def unchanged_file(path: Path, known: list | None) -> bool:
    """Whether the file's size and mtime are those of its known fingerprint."""
    if not known:
        return False
    stat = path.stat()
    return known[0] == stat.st_size and known[1] == stat.st_mtime_ns


def fingerprint_files(root, previous: dict[str, list]) -> dict[str, list]:
    """relative path -> fingerprint of every file under root, so a quiet drop zone costs a
    directory walk, not a read of every byte."""
    files = {}
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_symlink() or not path.is_file():
            continue  # a link is refused, never read: its target may be /dev/zero
        if any(p.startswith(".") for p in path.relative_to(root).parts):
            continue
        relative = str(path.relative_to(root))
        try:
            files[relative] = fingerprint(path, previous.get(relative))
        except PermissionError:
            stat = path.stat()
            files[relative] = [stat.st_size, stat.st_mtime_ns, None]  # refused as unreadable
    return files


@functools.lru_cache(maxsize=1024)  # the same few names, ten thousand times a run
def _kind_named(name: str, *, per_year: bool) -> DeliveryKind | None:
    """The kind whose file this is (`ledger.xaf`), among the yearly or the standing kinds."""
    stem, suffix = Path(name).stem.lower(), Path(name).suffix.lower()
    for kind in KINDS.values():
        if kind.per_year == per_year and kind.file_stem == stem and suffix in kind.suffixes:
            return kind
    return None


def kind_of_file_name(name: str) -> DeliveryKind | None:
    """The kind whose delivery file has this name (`ledger.csv`, `Ledger.CSV`), if any."""
    return _kind_named(name, per_year=True) or _kind_named(name, per_year=False)


def _known_files(*, per_year: bool) -> str:
    return ", ".join(n for k in KINDS.values() if k.per_year == per_year for n in k.file_names)


def is_fiscal_year_folder(name: str) -> bool:
    return name.isdigit() and len(name) == 4


def fiscal_year_of_folder(name: str) -> int | None:
    """The fiscal year a folder is named for, if it is a possible one."""
    if is_fiscal_year_folder(name) and FIRST_FISCAL_YEAR <= int(name) <= dt.date.today().year:
        return int(name)
    return None


def delivery_from_path(
    path: Path, deliveries_root: Path | None = None, *, relative: str | None = None
) -> Delivery:
    """Read municipality, year and kind from `<GMxxxx>/<year>/<kind>.<ext>` (`<GMxxxx>/<kind>.<ext>`
    for a kind that holds for every year, like the account mapping).

    The layout is read from the drop zone down: from `deliveries_root`, else from the nearest
    `deliveries` folder above the file, else from the nearest folder named like a municipality
    code; the error names the first folder or name that is not what the layout expects.
    relative: the path under deliveries_root, parts joined by "/", when the caller has it."""
    path = path if isinstance(path, Path) else Path(path)
    if deliveries_root is not None and relative is not None:
        parts = tuple(relative.split("/"))
    else:
        parts = _layout_parts(path, deliveries_root)
    if parts is None:
        raise WrongDeliveryFolder(
            "expected <GMxxxx>/<fiscal year>/<file>, e.g. GM0363/2024/ledger.csv", file=path
        )
    name, code = parts[-1], parts[0]
    relative = "/".join(parts)
    # in a run, the message names the file as the controller sees it in the drop zone
    path_named = relative if deliveries_root is not None else path
    if len(parts) == 1:
        kind = kind_of_file_name(name)
        if kind is None:
            place = "<GMxxxx>/<fiscal year>/<file>, e.g. GM0363/2024/ledger.csv"
        else:
            place = f"<GMxxxx>/{'<fiscal year>/' if kind.per_year else ''}{name}"
        raise WrongDeliveryFolder(
            "the file lies directly in the drop zone, outside any municipality folder; "
            f"a delivery goes in {place}",
            file=path_named,
        )
    if is_fiscal_year_folder(code) and len(parts) == 2:
        raise WrongDeliveryFolder(
            f"the fiscal-year folder '{code}' lies directly in the drop zone, outside any "
            f"municipality folder; a delivery goes in <GMxxxx>/{code}/{name}",
            file=path_named,
        )
    if not MUNICIPALITY_CODE.match(code):
        raise WrongDeliveryFolder(
            f"folder '{code}' is not a CBS municipality code (GM followed by 4 digits)",
            file=path_named,
        )
    if len(parts) == 2:
        return _in_municipality_folder(path, code, name, relative, path_named)
    year_text = parts[1]
    if not is_fiscal_year_folder(year_text):
        raise WrongDeliveryFolder(f"folder '{year_text}' is not a fiscal year", file=path_named)
    if not FIRST_FISCAL_YEAR <= int(year_text) <= dt.date.today().year:
        raise WrongDeliveryFolder(
            f"fiscal year {year_text} is not possible: a delivery covers a year from "
            f"{FIRST_FISCAL_YEAR} up to this year",
            file=path_named,
        )
    if len(parts) > 3:
        raise WrongDeliveryFolder(
            f"the file lies in a subfolder '{parts[2]}' of {code}/{year_text}/; a delivery is a "
            f"file directly in the fiscal-year folder, e.g. {code}/{year_text}/ledger.csv",
            file=path_named,
        )
    kind = _kind_named(name, per_year=True)
    if kind is None:
        standing = _kind_named(name, per_year=False)
        if standing is not None:
            raise WrongDeliveryFolder(
                f"'{name}' holds for every year: it belongs in the municipality folder, "
                f"{code}/{name}, not in a fiscal-year folder",
                file=path_named,
            )
        allowed = _known_files(per_year=True)
        raise WrongDeliveryFolder(
            f"'{name}' is not a known delivery file ({allowed})", file=path_named
        )
    return Delivery(
        path=path,
        municipality_code=code,
        fiscal_year=int(year_text),
        kind=kind.name,
        relative_path=relative,
    )


def _layout_parts(path: Path, deliveries_root: Path | None) -> tuple[str, ...] | None:
    """The parts of the path from the drop zone down, or None when nothing in it looks like the
    layout (a loose file, e.g. ~/Downloads/ledger.csv)."""
    if deliveries_root is not None:
        return path.relative_to(deliveries_root).parts
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "deliveries":
            return parts[index + 1 :]
    for back in (2, 3):
        if len(parts) > back and MUNICIPALITY_CODE.match(parts[-back]):
            return parts[-back:]
    if len(parts) > 3 and is_fiscal_year_folder(parts[-2]):
        return parts[-3:]  # a year folder in a folder that should be a municipality code
    return None


def _in_municipality_folder(
    path: Path, code: str, name: str, relative: str, path_named: Path | str
) -> Delivery:
    standing = _kind_named(name, per_year=False)
    if standing is not None:
        return Delivery(path, code, None, standing.name, relative)
    yearly = _kind_named(name, per_year=True)
    if yearly is not None:
        raise WrongDeliveryFolder(
            f"'{name}' lies in the municipality folder without a fiscal-year folder; "
            f"put it in {code}/<fiscal year>/{name}",
            file=path_named,
        )
    raise WrongDeliveryFolder(
        f"'{name}' is not a known delivery file ({_known_files(per_year=False)} in the "
        f"municipality folder; {_known_files(per_year=True)} in a fiscal-year folder)",
        file=path_named,
    )
