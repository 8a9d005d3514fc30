"""Run one measurement as a child process: wall and CPU time, peak RSS and PSS of its process tree,
the load average before and after."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024


@dataclass
class Measurement:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # largest single process (wait4 ru_maxrss)
    tree_peak_rss_mb: float | None  # sum over the process tree, sampled every 0.1 s
    exit_code: int
    # the same with pages shared between processes (forked workers) counted once: the tree's
    # real footprint, which the memory targets judge
    tree_peak_pss_mb: float | None = None
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute load before and after
    rows: int = 0
    log: str = ""
    details: dict = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s else 0.0


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident bytes) for every process /proc shows."""
    page = os.sysconf("SC_PAGE_SIZE")
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[21]) * page)
    return table


def _pss(pid: int) -> int:
    """Proportional set size: resident bytes, a page shared by n processes counting 1/n
    (0 for a process that has just ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(
    root: int, *, with_pss: bool = True, each: dict[int, int] | None = None
) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) over root and its descendants; `each` gets every process's PSS."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    rss, pss, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            rss += table[pid][1]
            own = _pss(pid) if with_pss else 0
            pss += own
            if each is not None:
                each[pid] = own
        stack.extend(children.get(pid, []))
    return rss, pss


def process_label(pid: int) -> str:
    """What a process is, in a few words: `python -m pipelines.ingest.fork_server`, `dbt build`."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [a.decode(errors="replace") for a in handle.read().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv:
        return "?"
    words = [Path(argv[0]).name, *(a for a in argv[1:] if not a.startswith("-"))][:3]
    return " ".join(Path(w).name if "/" in w else w for w in words)[:60]


class TreeSampler(threading.Thread):
    """Samples the resident memory (RSS and PSS) of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss, self.peak_pss = 0, 0
        # at the moment of the peak PSS: seconds since the start and MB per process
        self.peak_at_s, self.peak_by_process = 0.0, {}
        self._began = time.perf_counter()
        self.available = Path("/proc/self/stat").exists()
        self.pss_available = Path("/proc/self/smaps_rollup").exists()
        self._halt = threading.Event()

    def run(self) -> None:
        while self.available and not self._halt.wait(self.interval):
            each: dict[int, int] = {}
            rss, pss = tree_memory(self.pid, with_pss=self.pss_available, each=each)
            self.peak_rss = max(self.peak_rss, rss)
            if pss > self.peak_pss:
                self.peak_pss = pss
                self.peak_at_s = round(time.perf_counter() - self._began, 1)
                self.peak_by_process = {
                    f"{pid} {process_label(pid)}": round(own / MB, 1)
                    for pid, own in sorted(each.items(), key=lambda item: -item[1])
                    if own > 20 * MB
                }

    def stop(self) -> tuple[int | None, int | None]:
        self._halt.set()
        self.join()
        if not self.available:
            return None, None
        return self.peak_rss, self.peak_pss if self.pss_available else None


def measure(name: str, argv: Sequence[str], log: Path, env: dict[str, str]) -> Measurement:
    """Run argv as a child, wait for it with wait4 and record what it cost."""
    log.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], list(argv), env, file_actions=actions)
    sampler = TreeSampler(pid)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    tree_rss, tree_pss = sampler.stop()
    return Measurement(
        name=name,
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        tree_peak_rss_mb=None if tree_rss is None else round(tree_rss / MB, 1),
        tree_peak_pss_mb=None if tree_pss is None else round(tree_pss / MB, 1),
        exit_code=os.waitstatus_to_exitcode(status),
        load_average=(round(load_before, 2), round(os.getloadavg()[0], 2)),
        log=str(log),
        details={
            "peak_pss_at_s": sampler.peak_at_s,
            "peak_pss_by_process_mb": sampler.peak_by_process,
        },
    )
