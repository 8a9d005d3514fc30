"""Check delivery files against the contract without a warehouse: what a controller runs first."""

from __future__ import annotations

from pathlib import Path

from pipelines.contract.delivery import delivery_from_path
from pipelines.contract.errors import DeliveryRejected
from pipelines.ingest.check import CheckOptions, LoadResult, check_delivery
from pipelines.ingest.deliveries import known_municipalities
from pipelines.settings import default_paths


def validate_files(paths: list[Path]) -> list[LoadResult]:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ValueError("not a file: " + ", ".join(missing))
    known = known_municipalities(default_paths())
    results = []
    for path in paths:
        try:
            delivery = delivery_from_path(path.resolve())
        except DeliveryRejected as error:
            results.append(
                LoadResult(
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
            )
            continue
        options = CheckOptions(
            pseudonymiser=_validation_pseudonymiser(), known_municipalities=known
        )
        results.append(check_delivery(delivery, options).result)
    return results


def _validation_pseudonymiser():
    """Checking a training file needs no real key: pseudonyms from validate are never stored."""
    import secrets

    from pipelines.readers.pseudonymise import make_pseudonymiser

    return make_pseudonymiser(secrets.token_hex(32).encode())
