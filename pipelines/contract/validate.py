"""Check delivery files against the contract without a warehouse: what a controller runs first."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from pipelines.contract.ingest import known_municipalities
from pipelines.contract.load import ACCEPTED, PARTIAL, CheckOptions, LoadResult, check_delivery
from pipelines.readers.delivery import delivery_from_path
from pipelines.readers.errors import DeliveryRejected
from pipelines.settings import default_paths

STATUS_STYLE = {ACCEPTED: "green", PARTIAL: "yellow"}


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


def print_results(results: list[LoadResult], console: Console, limit: int = 50) -> None:
    for result in results:
        style = STATUS_STYLE.get(result.status, "red")
        console.print(
            f"[{style}]{result.status.upper()}[/{style}] {result.source_file}: "
            f"{result.rows_read} rows read, {result.rows_landed} accepted, "
            f"{result.rows_quarantined} quarantined"
        )
        for note in result.notes:
            console.print(f"  note: {note}")
        for problem in result.problems[:limit]:
            where = []
            if problem.get("row") is not None:
                where.append(f"row {problem['row']}")
            if problem.get("column"):
                where.append(f"column `{problem['column']}`")
            location = ", ".join(where)
            hint = f" (hint: {problem['hint']})" if problem.get("hint") else ""
            console.print(
                f"  - {location + ': ' if location else ''}{problem['message']}{hint}", markup=False
            )
        if len(result.problems) > limit:
            console.print(f"  ... and {len(result.problems) - limit} more (use --json for all)")
        if result.message and not result.problems:
            console.print(f"  {result.message}", markup=False)
