"""What a person or a scheduler needs after `ictbench run`: published or not, and every delivery the
warehouse did not take whole, with its reason and where to read more."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.cli.exit_codes import ExitCode
from pipelines.ingest.statuses import PARTIAL, REJECTED
from pipelines.settings import Paths

SHOWN = 10  # problems listed in full; the rest are counted, `ictbench status` has them all


@dataclass(frozen=True)
class Problem:
    """A delivery that did not land whole."""

    source_file: str
    status: str
    message: str

    def line(self) -> str:
        label = "partially accepted" if self.status == PARTIAL else self.status
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        # a refused file's message starts with its path; say it once
        reason = first.removeprefix(f"{self.source_file}: ")
        return (
            f"{label}: {self.source_file}: {reason}" if reason else f"{label}: {self.source_file}"
        )


@dataclass(frozen=True)
class RunSummary:
    published: bool
    problems: list[Problem] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        if not self.published:
            return ExitCode.NOT_PUBLISHED
        return ExitCode.WITH_REFUSALS if self.problems else ExitCode.ACCEPTED

    def lines(self, status_command: str = "ictbench status") -> list[str]:
        if not self.problems:
            return []
        count = len(self.problems)
        lines = [f"{count} {'delivery was' if count == 1 else 'deliveries were'} not taken whole:"]
        lines += [f"  {problem.line()}" for problem in self.problems[:SHOWN]]
        if count > SHOWN:
            lines.append(f"  and {count - SHOWN} more")
        lines.append(f"See `{status_command}` for every reason and the quarantined rows.")
        return lines


def problems(paths: Paths, *, table_is_current: bool = False) -> list[Problem]:
    """Every delivery slot whose latest load result is rejected or partially accepted (refused
    files included), in drop-zone order.

    table_is_current: the run wrote the load results' table after its last check, so that one
    file is read instead of every load result (11,000 files with ten years kept: a second)."""
    if table_is_current:
        import pyarrow.parquet as pq

        results = pq.read_table(
            paths.landing / "load_results.parquet", columns=["source_file", "status", "message"]
        ).to_pylist()
    else:
        from pipelines.ingest.load_results import kept_results  # loads the checking code

        results = kept_results(paths).table.select(["source_file", "status", "message"]).to_pylist()
    found = [
        Problem(result.get("source_file") or "", result["status"], result.get("message") or "")
        for result in results
        if result.get("status") in (REJECTED, PARTIAL)
    ]
    return sorted(found, key=lambda problem: problem.source_file)
