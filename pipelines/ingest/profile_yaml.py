"""A proposed delivery profile as YAML a controller reads and finishes: every guess with its
reason beside it, what the built-ins already find as comments, and what is left to fill in as
commented lines. The text passes read_profile as it stands; uncommenting a line (and the line
that opens its block) after filling it in is all a controller does."""

from __future__ import annotations

import yaml

from pipelines.contract.profile import PROFILE_FILE, KindProfile
from pipelines.contract.vocabulary import value_words
from pipelines.ingest.profile_guess import UnknownValue
from pipelines.ingest.profile_suggest import KindSuggestion, Suggestion

_INDENT = "  "
_OUTCOME = {
    "asset_class": "until it has a code, it counts as other",
    "status": "until it has a code, its rows are rejected",
    "course_category": "until it has a code, it counts as other (not ICT)",
}


class _Block:
    """Lines of one YAML mapping whose opening line is commented out when nothing in it is
    active (an empty mapping would not be a valid profile section)."""

    def __init__(self, key: str, depth: int, comment: str = "") -> None:
        self.key, self.depth, self.comment = key, depth, comment
        self.children: list[_Block | tuple[bool, str]] = []

    def line(self, active: bool, text: str) -> None:
        self.children.append((active, text))

    def block(self, key: str, comment: str = "") -> _Block:
        child = _Block(key, self.depth + 1, comment)
        self.children.append(child)
        return child

    @property
    def active(self) -> bool:
        return any(
            child.active if isinstance(child, _Block) else child[0] for child in self.children
        )

    def render(self) -> list[str]:
        if not self.children:
            return []
        opening = f"{self.key}:" + (f"  # {self.comment}" if self.comment else "")
        out = [_indent(self.depth, opening if self.active else f"# {opening}")]
        for child in self.children:
            if isinstance(child, _Block):
                out += child.render()
            else:
                active, text = child
                out.append(_indent(self.depth + 1, text if active else f"# {text}"))
        return out


def _indent(depth: int, text: str) -> str:
    return _INDENT * depth + text


def scalar(text: str) -> str:
    """A key or value as YAML writes it: plain where it can be, quoted where it must be."""
    style = '"' if any(c in text for c in "\n\r\t") else None  # one line, with escapes
    dumped = yaml.safe_dump(
        text, allow_unicode=True, width=10**6, default_flow_style=True, default_style=style
    )
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _comment(text: str) -> str:
    return " ".join(text.split())


def _rows(value: UnknownValue) -> str:
    rows = ", ".join(str(row) for row in value.rows)
    if value.count == 1:
        return f"1 row: {rows}"
    first = "first " if value.count > len(value.rows) else ""
    return f"{value.count} rows: {first}{rows}"


def render(suggestion: Suggestion) -> str:
    """The whole proposed profile: a header saying what was read, then a section per kind."""
    code = suggestion.targets.municipality
    target = f"{code}/{PROFILE_FILE}" if code else PROFILE_FILE
    out = [
        "# Delivery profile"
        + (f" for {code}" if code else "")
        + ", proposed by `ictbench profile suggest` from:"
    ]
    out += [f"#   {kind.kind}: {kind.file} ({kind.described})" for kind in suggestion.kinds]
    if any(target.not_read for target in suggestion.targets.files):
        out.append("#   (of a folder, the newest year of each kind: give a file to read another)")
    out += [f"#   {note}" for note in suggestion.targets.notes]
    out += [f"#   not read: {error.describe()}" for error in suggestion.errors]
    out += [
        "# A line with a reason beside it is a guess: check it. A commented line is yours to",
        "# fill in: write the header or code after its colon, then remove its `# ` and that of",
        f"# the line opening its block (like `# status:`). Saved as {target} (`--write`",
        "# does that), it is used by the next run; `ictbench validate` checks a file with it.",
    ]
    read = {kind.kind for kind in suggestion.kinds}
    existing = suggestion.existing
    for kind in suggestion.kinds:
        own = existing.for_kind(kind.kind) if existing else None
        out += ["", *_kind_section(kind, own or KindProfile())]
    for name, own in (existing.kinds if existing else {}).items():
        if name not in read:
            out += ["", *_kept_section(name, own)]
    return "\n".join(out) + "\n"


def _kind_section(kind: KindSuggestion, own: KindProfile) -> list[str]:
    section = _Block(kind.kind, 0)
    columns = section.block("columns")
    for placement in kind.columns:
        name = placement.canonical
        if placement.source == "profile":
            columns.line(True, f"{name}: {scalar(placement.header)}  # your profile")
        elif placement.source in ("stale", "guess"):
            columns.line(
                True, f"{name}: {scalar(placement.header)}  # {_comment(placement.reason)}"
            )
        elif placement.source == "built-in":
            columns.line(False, f"{name}: {scalar(placement.header)}  # built-in")
        else:
            what = placement.reason or (
                "REQUIRED, not found" if placement.source == "missing" else "not found (optional)"
            )
            if placement.nearest:
                what += f"; closest: {placement.nearest}"
            columns.line(False, f"{name}:  # {_comment(what)}")
    if kind.unused:
        columns.line(False, "not used: " + _comment(", ".join(kind.unused)))
    if kind.personal:
        listed = ", ".join(kind.personal)
        columns.line(False, f"personal data, never proposed or stored: {_comment(listed)}")
    values = section.block("values")
    for column in sorted({*own.values, *(u.column for u in kind.unknown)}, key=_column_order(kind)):
        block = values.block(column)
        for word, code in own.values.get(column, {}).items():
            block.line(True, f"{scalar(word)}: {scalar(code)}  # your profile")
        for unknown in kind.unknown_in(column):
            block.line(unknown.code is not None, _value_line(kind.kind, unknown))
    if kind.sheet:
        reason = "your profile" if kind.sheet == own.sheet else kind.sheet_reason
        section.line(True, f"sheet: {scalar(kind.sheet)}  # {_comment(reason)}")
    lines = [f"# {kind.file}: {kind.described}"]
    lines += [f"# note: {_comment(note)}" for note in kind.notes]
    rendered = section.render()
    if not section.active:
        lines.append(f"# {kind.kind}: nothing to add, every column and value below is known")
        rendered = rendered[1:] if rendered and rendered[0].startswith("# ") else rendered
    return lines + rendered


def _column_order(kind: KindSuggestion):
    order = [p.canonical for p in kind.columns]
    return lambda column: order.index(column) if column in order else len(order)


def _value_line(kind: str, unknown: UnknownValue) -> str:
    where = _rows(unknown)
    if unknown.code is not None:
        return f"{scalar(unknown.word)}: {unknown.code}  # {where}; contains '{unknown.because}'"
    codes = ", ".join(value_words(kind, unknown.column))
    if unknown.alternatives:
        hint = f"could be {' or '.join(unknown.alternatives)}"
    else:
        hint = f"fill in one of {codes}"
    outcome = _OUTCOME.get(unknown.column, "")
    return f"{scalar(unknown.word)}:  # {where}; {hint}" + (f"; {outcome}" if outcome else "")


def _kept_section(kind: str, own: KindProfile) -> list[str]:
    if not (own.columns or own.values or own.sheet):
        return [f"{kind}: {{}}  # your profile; no {kind} file was read"]
    out = [f"{kind}:  # your profile; no {kind} file was read"]
    if own.columns:
        out.append(_indent(1, "columns:"))
        out += [_indent(2, f"{name}: {scalar(header)}") for name, header in own.columns.items()]
    if own.values:
        out.append(_indent(1, "values:"))
        for column, words in own.values.items():
            out.append(_indent(2, f"{column}:"))
            out += [_indent(3, f"{scalar(w)}: {scalar(c)}") for w, c in words.items()]
    if own.sheet:
        out.append(_indent(1, f"sheet: {scalar(own.sheet)}"))
    return out
