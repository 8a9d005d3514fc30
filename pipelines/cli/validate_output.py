"""What `ictbench validate` prints: per file its verdict, then every problem with row and column."""

from __future__ import annotations

from rich.console import Console

from pipelines.ingest.check import ACCEPTED, PARTIAL, LoadResult

STATUS_STYLE = {ACCEPTED: "green", PARTIAL: "yellow"}


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
            # a soft field: the row lands, without this value
            kept = " (the row lands without this value)" if problem.get("landed") else ""
            console.print(
                f"  - {location + ': ' if location else ''}{problem['message']}{kept}{hint}",
                markup=False,
            )
        if len(result.problems) > limit:
            console.print(f"  ... and {len(result.problems) - limit} more (use --json for all)")
        if result.message and not result.problems:
            console.print(f"  {result.message}", markup=False)
