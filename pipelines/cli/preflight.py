"""What must be in place before a run starts, each missing thing said in one line with what to do."""

from __future__ import annotations

from pathlib import Path

from pipelines.contract.delivery import MUNICIPALITY_CODE
from pipelines.ingest.reference import REQUIRED_REFERENCE_FILES
from pipelines.settings import REPO_ROOT, Paths


def _shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def drop_zone_problem(paths: Paths, *, given: bool) -> str | None:
    """Why paths.data_raw is no drop zone, with advice that fits the mistake; None when it is one.

    given: the folder came from --data-raw or the environment, not the bundled default."""
    folder = paths.data_raw
    if paths.deliveries.is_dir():
        return None
    if folder.is_dir() and any(MUNICIPALITY_CODE.match(p.name) for p in folder.iterdir()):
        return (
            f"{_shown(folder)} holds municipality folders itself: it is the deliveries folder, "
            f"not the drop zone; pass its parent, --data-raw {_shown(folder.parent)}"
        )
    if not given and folder == (REPO_ROOT / "data_raw").resolve():
        return (
            f"No drop zone at {_shown(folder)}: run `ictbench demo-data` for the demo deliveries."
        )
    if not folder.exists():
        near = _near(folder)
        hint = f" Did you mean --data-raw {_shown(near)}?" if near else ""
        return f"No drop zone at {_shown(folder)}: the folder does not exist.{hint}"
    return (
        f"No drop zone at {_shown(folder)}: it has no deliveries/ folder "
        "(a drop zone holds deliveries/<GMxxxx>/<fiscal year>/ and reference/)."
    )


def _near(folder: Path) -> Path | None:
    """A drop zone beside a mistyped one: same parent, a name that differs by case or a typo."""
    import difflib

    parent = folder.parent
    if not parent.is_dir():
        return None
    names = [p.name for p in parent.iterdir() if (p / "deliveries").is_dir()]
    match = difflib.get_close_matches(folder.name, names, n=1, cutoff=0.6)
    return parent / match[0] if match else None


def reference_problem(paths: Paths) -> str | None:
    """The first required CBS reference file that is missing, said in one line."""
    for name, what in REQUIRED_REFERENCE_FILES.items():
        path = paths.reference / name
        if not path.is_file():
            return (
                f"{_shown(path)} is missing: the run needs {what}. Put the CBS export there "
                "(docs/data-contract.md, `Reference data`; `ictbench demo-data` writes the demo's)."
            )
    return None
