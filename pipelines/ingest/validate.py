"""Check delivery files against the contract without a warehouse: what a controller runs first,
also on a file that is not (yet) in the drop-zone layout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract.delivery import MUNICIPALITY_CODE, Delivery, delivery_from_path
from pipelines.contract.errors import DeliveryRejected, UnreadableFile
from pipelines.contract.kinds import KINDS
from pipelines.ingest.check import CheckOptions, LoadResult, check_delivery
from pipelines.ingest.deliveries import known_municipalities
from pipelines.ingest.discovery import DropZone, readable
from pipelines.ingest.profiles import Profiles


@dataclass(frozen=True)
class Given:
    """What the command line says about files outside the layout: `--municipality`, `--year`,
    `--kind`. A file in the layout takes these from its folders."""

    municipality_code: str | None = None
    fiscal_year: int | None = None
    kind: str | None = None


def validate_files(
    paths: list[Path], given: Given = Given(), data_raw: Path | None = None
) -> list[LoadResult]:
    """Check each file as it would be checked in a run, with the municipality list and the
    delivery profile of the drop zone it is in (or of `data_raw`); ValueError: a usage error.

    A path in a drop zone that a run would refuse (a link, a folder, a hidden or unreadable file,
    an unknown name, a second file for one delivery) gets the run's reason, unless the options
    say what the file is."""
    if given.kind is not None and given.kind not in KINDS:
        raise ValueError(f"--kind must be one of {', '.join(KINDS)}, not {given.kind!r}")
    if given.municipality_code and not MUNICIPALITY_CODE.match(given.municipality_code):
        raise ValueError(f"--municipality {given.municipality_code} is not a CBS code (GM0363)")
    # links are not followed before the drop zone had its say: it refuses them
    paths = [Path(os.path.abspath(p)) for p in paths]
    listings: dict[Path, DropZone] = {}

    def listing(zone: Path) -> DropZone:
        if zone not in listings:
            listings[zone] = DropZone.listed(zone / "deliveries")
        return listings[zone]

    described = any((given.municipality_code, given.fiscal_year, given.kind))
    refusals = {}
    for path in paths:
        own_zone = drop_zone_of(path)
        if own_zone is not None and not described:
            refusals[path] = listing(own_zone).refusal_of(path)
    missing = [str(p) for p in paths if not refusals.get(p) and not p.is_file()]
    if missing:
        raise ValueError("not a file: " + ", ".join(missing))
    results = []
    for path in paths:
        if refused := refusals.get(path):
            results.append(_refused(path, refused.error))
            continue
        if not readable(path):
            error = UnreadableFile(
                "the file cannot be opened (no read permission); give read access", file=path
            )
            results.append(_refused(path, error))
            continue
        try:
            delivery = _delivery(path.resolve(), given)
        except DeliveryRejected as error:
            results.append(_refused(path, error))
            continue
        zone = data_raw or drop_zone_of(path.resolve())
        options = CheckOptions(pseudonymiser=_validation_pseudonymiser())
        if zone is not None:
            profile = Profiles(listing(zone)).for_delivery(delivery)
            options = CheckOptions(
                pseudonymiser=options.pseudonymiser,
                known_municipalities=known_municipalities(zone / "reference"),
                profile=profile.profile,
                profile_error=profile.error,
                profile_digest=profile.digest,
            )
        results.append(check_delivery(delivery, options).result)
    return results


def drop_zone_of(path: Path) -> Path | None:
    """The data_raw folder a file lies in (`<data_raw>/deliveries/...`), if any."""
    for folder in path.parents:
        if folder.name == "deliveries":
            return folder.parent
    return None


def _delivery(path: Path, given: Given) -> Delivery:
    try:
        delivery = delivery_from_path(path)
    except DeliveryRejected as error:
        if given.municipality_code or given.kind or given.fiscal_year:
            return _loose(path, given)
        raise DeliveryRejected(
            error.message,
            file=error.file,
            hint="For a file outside the layout GMxxxx/<year>/<file>, say what it is: "
            "--municipality GMxxxx --year YYYY --kind KIND.",
        ) from error
    differs = [
        f"--{option} {wanted} (its folders say {found})"
        for option, wanted, found in (
            ("municipality", given.municipality_code, delivery.municipality_code),
            ("year", given.fiscal_year, delivery.fiscal_year),
            ("kind", given.kind, delivery.kind),
        )
        if wanted is not None and wanted != found
    ]
    if differs:
        raise DeliveryRejected(
            f"the file is in the drop-zone layout, which says otherwise than {'; '.join(differs)}",
            file=path,
            hint="Leave the options out for a file in its folder, or check the folder.",
        )
    return delivery


def _loose(path: Path, given: Given) -> Delivery:
    """A file outside the layout, described by the command line (and an XAF file's header)."""
    kind = given.kind or _kind_from_name(path)
    if kind is None:
        raise DeliveryRejected(
            "the file name does not say what kind of delivery this is",
            file=path,
            hint="Give --kind (" + ", ".join(KINDS) + ").",
        )
    if given.municipality_code is None:
        raise DeliveryRejected("give the municipality: --municipality GMxxxx", file=path)
    year = given.fiscal_year
    if year is None and KINDS[kind].per_year and path.suffix.lower() in (".xaf", ".xml"):
        from pipelines.readers.xaf import header_fiscal_year

        year = header_fiscal_year(path)
    if year is None and KINDS[kind].per_year:
        raise DeliveryRejected("give the fiscal year: --year YYYY", file=path)
    if path.suffix.lower() not in KINDS[kind].suffixes:
        raise DeliveryRejected(
            f"a {kind} delivery is {', '.join(KINDS[kind].suffixes)}, not {path.suffix}",
            file=path,
        )
    return Delivery(
        path=path,
        municipality_code=given.municipality_code,
        fiscal_year=year if KINDS[kind].per_year else None,
        kind=kind,
        relative_path=path.name,
    )


def _kind_from_name(path: Path) -> str | None:
    stem = path.stem.lower()
    return next((k.name for k in KINDS.values() if k.file_stem == stem), None)


def _refused(path: Path, error: DeliveryRejected) -> LoadResult:
    return LoadResult(
        delivery_key=path.name,
        kind="unknown",
        municipality_code="",
        fiscal_year=None,
        source_file=str(path),
        delivery_id=None,
        status="rejected",
        message=error.describe(),
        problems=[error.as_dict()],
    )


def _validation_pseudonymiser():
    """Checking a training file needs no real key: pseudonyms from validate are never stored."""
    import secrets

    from pipelines.readers.pseudonymise import make_pseudonymiser

    return make_pseudonymiser(secrets.token_hex(32).encode())
