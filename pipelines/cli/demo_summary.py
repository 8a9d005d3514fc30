"""What `ictbench demo-data` wrote, in words: counted from the drop zone itself, as a run lists it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pipelines.ingest.discovery import DropZone


def _n(count: int) -> str:
    return f"{count:,}".replace(",", " ")


def describe(out: Path, ledger_lines: int | None = None) -> list[str]:
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    size = sum(p.stat().st_size for p in files)
    listed = DropZone.listed(out / "deliveries")
    kinds = Counter(d.kind for d in listed.deliveries)
    municipalities = {d.municipality_code for d in listed.deliveries}
    years = sorted({d.fiscal_year for d in listed.deliveries if d.fiscal_year})
    span = f"{years[0]}-{years[-1]}" if len(years) > 1 else ", ".join(map(str, years))
    per_kind = ", ".join(f"{_n(n)} {kind.replace('_', ' ')}" for kind, n in sorted(kinds.items()))
    lines = [
        f"Demo data written to {out}: {_n(len(files))} files, {size / 1e6:.1f} MB.",
        f"  {_n(len(municipalities))} municipalities, fiscal years {span}: "
        f"{_n(len(listed.deliveries))} deliveries ({per_kind}).",
    ]
    if ledger_lines:
        lines.append(f"  {_n(ledger_lines)} ledger lines.")
    reference = sorted(p.name for p in (out / "reference").glob("*") if p.is_file())
    lines.append(f"  Reference: {', '.join(reference) or 'none'}.")
    profiles = len(listed.profiles)
    if profiles:
        lines.append(f"  {_n(profiles)} delivery profiles (municipalities with their own layout).")
    if listed.refused:
        lines.append(f"  {_n(len(listed.refused))} files the run will refuse (on purpose).")
    return lines
