"""The Data Docs as a controller reads them, offline: one page per delivery, named after it
(`deliveries/GM0363_2024_ledger.html`), with its data asset, its load result and every rule it
broke, and an index of them all. GX renders its suite and run pages with styles and scripts from
CDNs; they are kept, with every remote reference taken out, for the suites' full rules."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from html import escape
from pathlib import Path

from pipelines.contract.kinds import KINDS
from pipelines.contract.suites import suite_definition
from pipelines.ingest.check import ACCEPTED, PARTIAL, REJECTED
from pipelines.ingest.load_results import LoadResults
from pipelines.storage.files import read_json, write_bytes_atomic, write_json_atomic

PAGES = "deliveries"
GX_INDEX = "great_expectations.html"  # GX's own index, which needs its CDN scripts to list runs
PROBLEMS_SHOWN = 200

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1d2733; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #dde3ea; vertical-align: top; }
th { background: #f3f6f9; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { padding: .1rem .5rem; border-radius: .6rem; font-size: .85rem; white-space: nowrap; }
.accepted { background: #dcf3e3; } .partially_accepted { background: #fff1c9; } .rejected { background: #fbdada; }
.note { color: #5b6673; font-size: .9rem; } code { font-size: .9rem; }
"""
STATUS_WORDS = {ACCEPTED: "accepted", PARTIAL: "partially accepted", REJECTED: "rejected"}
_REMOTE = re.compile(r"""\s(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.IGNORECASE)
_REMOTE_TAG = re.compile(
    r"""<(script|link|img)\b[^>]*?\s(?:src|href)\s*=\s*["']\s*(?:https?:)?//[^>]*>(?:\s*</script>)?""",
    re.IGNORECASE | re.DOTALL,
)
_REMOTE_LINK = re.compile(r"""\shref\s*=\s*["']\s*(?:https?:)?//[^"']*["']""", re.IGNORECASE)


def page_name(delivery_key: str) -> str:
    return f"{PAGES}/{delivery_key}.html"


def write_pages(site: Path, results: LoadResults, previous: Path | None = None) -> list[Path]:
    """A page per delivery and the site's index.html, from the latest load results.

    previous: the site as it is (site itself, or the one a new site replaces). A page whose load
    result and rendering code are as when it was written is kept (a hard link into a new site)
    instead of rendered again: with ten years kept there are over ten thousand pages, and a
    re-delivery changes one."""
    listed = results.table.select(INDEX_FIELDS).to_pylist()
    documents = results.column("document")
    order = sorted(
        range(len(listed)),
        key=lambda i: (listed[i]["source_file"] or "", listed[i]["delivery_key"]),
    )
    before = (read_json(previous / PAGES / FINGERPRINTS) or {}) if previous else {}
    fingerprints = {}
    written = []
    (site / PAGES).mkdir(parents=True, exist_ok=True)
    for i in order:
        name = page_name(listed[i]["delivery_key"])
        path = site / name
        fingerprints[name] = _fingerprint(documents[i])
        old = previous / name if previous else None
        if before.get(name) != fingerprints[name] or old is None or not _kept(old, path):
            result = json.loads(documents[i])
            _write(path, _document(_title(result), _delivery(result)))
        written.append(path)
    keep = {path.name for path in written}
    for stale in (site / PAGES).glob("*.html"):
        if stale.name not in keep:
            stale.unlink()
    write_json_atomic(fingerprints, site / PAGES / FINGERPRINTS)
    index = _index(site, [listed[i] for i in order])
    _write(site / "index.html", _document("Data Docs: deliveries", index))
    return written


# what the index shows of every delivery
INDEX_FIELDS = [
    "delivery_key",
    "source_file",
    "kind",
    "municipality_code",
    "fiscal_year",
    "status",
    "rows_read",
    "rows_quarantined",
]


FINGERPRINTS = ".fingerprints.json"


def _kept(old: Path, path: Path) -> bool:
    """The page as it was written before at `old`, in place at `path` (a hard link into a new
    site); False when it is not there."""
    if old == path:
        return path.exists()
    try:
        os.link(old, path)
    except FileNotFoundError:
        return False
    return True


@functools.cache
def _rendering() -> bytes:
    """What a page is made with besides its load result: this module and the suites' rules."""
    rules = json.dumps([suite_definition(kind) for kind in sorted(KINDS)], sort_keys=True)
    return Path(__file__).read_bytes() + rules.encode()


@functools.cache
def _rendering_hashed():  # a hashlib sha256 object, copied for each page
    return hashlib.sha256(_rendering())


def _fingerprint(document: str) -> str:
    # the digest of the rendering plus the result's JSON text, with the rendering's 26 kB hashed
    # once a run instead of once for each of ten thousand pages
    digest = _rendering_hashed().copy()
    digest.update(document.encode())
    return digest.hexdigest()


def offline(site: Path) -> None:
    """Take every remote style, script, image and link out of GX's pages, so that nothing is
    fetched when a page opens (no internet at run time, and nobody's browser phones home)."""
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if not _REMOTE.search(text):
            continue
        text = _REMOTE_LINK.sub("", _REMOTE_TAG.sub("", text))
        path.write_text(text, encoding="utf-8")


def has_remote_references(html: str) -> bool:
    return bool(_REMOTE.search(html))


def _title(result: dict) -> str:
    year = result.get("fiscal_year")
    parts = [result.get("municipality_code") or "?", str(year) if year else "", result["kind"]]
    return " ".join(part for part in parts if part)


def _asset(result: dict) -> str:
    kind = KINDS.get(result["kind"])
    if kind is None:
        return "none: the file is no delivery the contract knows"
    year = result.get("fiscal_year")
    partition = f", partition {result['municipality_code']}-{year}" if year else ""
    return f"<code>{escape(kind.asset_name)}</code>{escape(partition)}"


def _rules(kind: str) -> dict[str, dict]:
    if kind not in KINDS:
        return {}
    return {
        expectation.get("meta", {}).get("rule", expectation["type"]): expectation.get("meta", {})
        for expectation in suite_definition(kind)["expectations"]
    }


def _delivery(result: dict) -> str:
    status = result.get("status") or ""
    rows = [
        ("Data asset", _asset(result)),
        ("File", f"<code>{escape(result.get('source_file') or '')}</code>"),
        (
            "Status",
            f'<span class="badge {escape(status)}">{STATUS_WORDS.get(status, status)}</span>',
        ),
        ("Rows read", _n(result.get("rows_read"))),
        ("Rows landed", _n(result.get("rows_landed"))),
        ("Rows quarantined", _n(result.get("rows_quarantined"))),
        ("Rows landed without a value", _n(result.get("rows_with_gaps"))),
        ("Checked at", escape(result.get("checked_at") or "")),
        ("Contract version", escape(result.get("contract_version") or "")),
    ]
    parts = [_table(["", ""], rows, head=False)]
    if result.get("message"):
        parts.append(f"<h2>What happened</h2><p>{escape(result['message'])}</p>")
    if result.get("failed_expectations"):
        rules = _rules(result["kind"])
        parts.append("<h2>Rules not met</h2>")
        parts.append(
            _table(
                ["rule", "what it means", "what to do"],
                [
                    (
                        f"<code>{escape(rule)}</code>",
                        escape(rules.get(rule, {}).get("message", "")),
                        escape(rules.get(rule, {}).get("hint", "")),
                    )
                    for rule in result["failed_expectations"]
                ],
            )
        )
    if result.get("notes"):
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{escape(note)}</li>" for note in result["notes"]]
        parts.append("</ul>")
    problems = result.get("problems") or []
    if problems:
        parts.append(f"<h2>Problems ({_n(len(problems))})</h2>")
        parts.append(
            _table(
                ["row", "column", "problem", "what to do"],
                [
                    (
                        _n(p.get("row")),
                        escape(p.get("column") or ""),
                        escape(p.get("message") or ""),
                        escape(p.get("hint") or ""),
                    )
                    for p in problems[:PROBLEMS_SHOWN]
                ],
            )
        )
        if len(problems) > PROBLEMS_SHOWN:
            parts.append(
                f'<p class="note">and {_n(len(problems) - PROBLEMS_SHOWN)} more: the quarantine '
                "file of this delivery holds every row with its reasons.</p>"
            )
    if result["kind"] in KINDS:
        parts.append(
            f'<p class="note">Every rule of the {escape(result["kind"])} suite: '
            f'<a href="../expectations/{escape(result["kind"])}.html">its Data Docs page</a>.</p>'
        )
    parts.append('<p class="note"><a href="../index.html">All deliveries</a></p>')
    return "\n".join(parts)


def _index(site: Path, results: list[dict]) -> str:
    counts = {status: sum(r.get("status") == status for r in results) for status in STATUS_WORDS}
    summary = ", ".join(f"{n} {STATUS_WORDS[s]}" for s, n in counts.items())
    rows = [
        (
            f'<a href="{escape(page_name(r["delivery_key"]))}">{escape(r.get("source_file") or r["delivery_key"])}</a>',
            _asset(r),
            f'<span class="badge {escape(r.get("status") or "")}">'
            f"{STATUS_WORDS.get(r.get('status'), r.get('status'))}</span>",
            _n(r.get("rows_read")),
            _n(r.get("rows_quarantined")),
        )
        for r in results
    ]
    suites = " · ".join(
        f'<a href="expectations/{kind}.html">{kind}</a>'
        for kind in sorted(KINDS)
        if (site / "expectations" / f"{kind}.html").exists()
    )
    parts = [f"<p>{len(results)} deliveries: {summary}.</p>"]
    if suites:
        parts.append(f"<p>The rules of each kind (GX suites): {suites}.")
        if (site / GX_INDEX).exists():
            parts.append(f' GX\'s own index of validation runs: <a href="{GX_INDEX}">here</a>.')
        parts.append("</p>")
    parts.append(
        _table(["delivery", "data asset", "status", "rows read", "rows quarantined"], rows)
    )
    return "\n".join(parts)


def _n(value) -> str:
    return "" if value is None else f"{value:,}".replace(",", " ")


def _table(header: list[str], rows: list[tuple], head: bool = True) -> str:
    numeric = {"rows read", "rows quarantined", "row"}
    lines = ["<table>"]
    if head:
        lines.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for name, cell in zip(header, row, strict=True):
            css = ' class="num"' if name in numeric else ""
            tag = "th" if not head and not cells else "td"
            cells.append(f"<{tag}{css}>{cell}</{tag}>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(text.encode("utf-8"), path)


def _document(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )
