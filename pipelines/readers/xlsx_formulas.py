"""Formula cells an .xlsx holds without a computed value.

Excel stores a formula's last result beside it; a tool that writes formulas without calculating
them (openpyxl, many scripts) leaves the result out, and a spreadsheet reader then sees an empty
cell. Only called on a workbook that passed zip_limits, for a sheet that has formulas at all.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def uncomputed_formulas(path: Path, sheet: str, formula_parts: list[str]) -> list[str]:
    """References (e.g. `D5`) of the sheet's formula cells without a computed value, in order."""
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet)
        if part is None or part not in formula_parts:
            return []
        found = []
        with archive.open(part) as stream:
            for _, element in ElementTree.iterparse(stream):
                if element.tag == _MAIN + "c":
                    formula = element.find(_MAIN + "f")
                    value = element.find(_MAIN + "v")
                    # an empty result of a text formula (`=IF(A2="";"";A2)`) is computed
                    computed = value is not None and (
                        bool(value.text) or element.get("t") in ("str", "inlineStr")
                    )
                    if formula is not None and not computed:
                        found.append(element.get("r") or "?")
                    element.clear()
                elif element.tag == _MAIN + "row":
                    element.clear()
        return found


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The part holding the sheet named `sheet`, by the workbook and its relationships; None for
    a workbook laid out otherwise (its formulas then read as calamine reads them)."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relations.iter(_PACKAGE_RELS)}
    for element in workbook.iter(_MAIN + "sheet"):
        if element.get("name") == sheet:
            target = targets.get(element.get(_RELATIONSHIP), "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None
