"""A municipality's delivery profile (`deliveries/GMxxxx/delivery_profile.yml`): its own column
headers, its own words for the benchmark's codes and the sheet of its workbook, per kind.

The profile belongs to the municipality, like its account mapping. What it says wins over the
built-in vocabularies; without one, or for a kind it does not mention, the built-ins apply.
It is checked strictly: an unknown key, kind, column or code is an error naming the line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.contract.errors import DeliveryRejected
from pipelines.contract.kinds import KINDS
from pipelines.contract.vocabulary import (
    column_aliases,
    columns_with_words,
    has_columns,
    value_words,
)

PROFILE_FILE = "delivery_profile.yml"
SECTION_KEYS = ("columns", "values", "sheet")
# Whether the ledger's amounts include compensable VAT (BTW-compensatiefonds); not said = they do
# not, as a BBV ledger books that VAT on a receivable (docs/methodology.md).
VAT_KEY = "amounts_include_vat"


class InvalidProfile(DeliveryRejected):
    """The delivery profile cannot be used; the municipality's deliveries wait for a good one."""

    code = "invalid_profile"


@dataclass(frozen=True)
class KindProfile:
    """What a profile says about one kind of delivery."""

    columns: Mapping[str, str] = field(default_factory=dict)  # canonical column -> file header
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # column -> word -> code
    sheet: str | None = None  # the workbook's sheet (the header row is still found by itself)
    amounts_include_vat: bool = False  # a ledger's amounts include compensable VAT

    @property
    def digest(self) -> str:
        """Part of a delivery's fingerprint: a changed profile checks its deliveries again."""
        text = json.dumps(
            {"columns": self.columns, "values": self.values, "sheet": self.sheet}
            | ({VAT_KEY: True} if self.amounts_include_vat else {}),
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DeliveryProfile:
    kinds: Mapping[str, KindProfile]

    def for_kind(self, kind: str) -> KindProfile | None:
        return self.kinds.get(kind)


def read_profile(path: Path, *, label: str | None = None) -> DeliveryProfile:
    """Read and check a delivery profile; InvalidProfile names the line and key at fault."""
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        node = yaml.compose(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InvalidProfile(
            f"the delivery profile cannot be read: {error}".replace("\n", " "),
            file=label,
            hint="It is a YAML file in UTF-8; see docs/data-contract.md, 'Delivery profile'.",
        ) from error
    if node is None:
        return DeliveryProfile({})
    sections = _mapping(node, label, "the profile")
    return DeliveryProfile(
        {kind: _kind_profile(kind, value, label) for kind, value in _checked_kinds(sections, label)}
    )


def _checked_kinds(sections: dict, label: str):
    for key, (key_node, value) in sections.items():
        if key not in KINDS:
            raise _error(label, key_node, key, f"'{key}' is not a kind of delivery", KINDS)
        if not has_columns(key):
            raise _error(label, key_node, key, f"a {key} delivery has no columns to map", ())
        yield key, value


def _kind_profile(kind: str, node: yaml.Node, label: str) -> KindProfile:
    section = _mapping(node, label, kind)
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    sheet = None
    vat = False
    for key, (key_node, value) in section.items():
        where = f"{kind}.{key}"
        if key == "columns":
            known = column_aliases(kind)
            for name, (name_node, header) in _mapping(value, label, where).items():
                if name not in known:
                    raise _error(label, name_node, f"{where}.{name}", _not_a(name, kind), known)
                columns[name] = _text(header, label, f"{where}.{name}")
        elif key == "values":
            known_columns = columns_with_words(kind)
            for name, (name_node, words) in _mapping(value, label, where).items():
                if name not in known_columns:
                    message = f"'{name}' has no vocabulary in a {kind} delivery"
                    raise _error(label, name_node, f"{where}.{name}", message, known_columns)
                codes = value_words(kind, name)
                mapped = {}
                for word, (_, code_node) in _mapping(words, label, name).items():
                    code = _text(code_node, label, f"{where}.{name}.{word}")
                    if code not in codes:
                        message = f"'{code}' is not a code of {name}"
                        raise _error(label, code_node, f"{where}.{name}.{word}", message, codes)
                    mapped[word] = code
                values[name] = mapped
        elif key == "sheet" and ".xlsx" in KINDS[kind].suffixes:
            sheet = _text(value, label, where)
        elif key == VAT_KEY and kind == "ledger":
            vat = _yes_no(value, label, where)
        else:
            allowed = [k for k in SECTION_KEYS if k != "sheet" or ".xlsx" in KINDS[kind].suffixes]
            allowed += [VAT_KEY] if kind == "ledger" else []
            raise _error(label, key_node, where, f"'{key}' is not a key of a profile", allowed)
    return KindProfile(columns, values, sheet, vat)


def _mapping(node: yaml.Node, label: str, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise InvalidProfile(
            f"{what} must be a list of `key: value` lines",
            file=label,
            row=node.start_mark.line + 1,
        )
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in found:
            raise InvalidProfile(
                f"'{key}' is given twice", file=label, row=key_node.start_mark.line + 1, column=key
            )
        found[key] = (key_node, value_node)
    return found


def _text(node: yaml.Node, label: str, where: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise InvalidProfile(
            "expected one word or header here",
            file=label,
            row=node.start_mark.line + 1,
            column=where,
        )
    return str(node.value).strip()


def _yes_no(node: yaml.Node, label: str, where: str) -> bool:
    text = str(node.value).strip().lower() if isinstance(node, yaml.ScalarNode) else ""
    if text not in ("true", "false", "yes", "no", "ja", "nee"):
        raise InvalidProfile(
            "expected true or false here",
            file=label,
            row=node.start_mark.line + 1,
            column=where,
        )
    return text in ("true", "yes", "ja")


def _not_a(name: str, kind: str) -> str:
    return f"'{name}' is not a column of a {kind} delivery"


def _error(label: str, node: yaml.Node, where: str, message: str, allowed) -> InvalidProfile:
    hint = f"Allowed: {', '.join(allowed)}." if allowed else None
    return InvalidProfile(
        message, file=label, row=node.start_mark.line + 1, column=where, hint=hint
    )
