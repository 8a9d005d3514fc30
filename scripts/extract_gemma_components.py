"""Write dbt_project/seeds/gemma_reference_components.csv from VNG's GEMMA ArchiMate model.

The model is the source gemmaonline.nl publishes its "Overzicht alle referentiecomponenten" from
(https://github.com/VNG-Realisatie/GEMMA-Archi-repository, EUPL). Usage, with a checkout of it:

    python scripts/extract_gemma_components.py /path/to/GEMMA-Archi-repository

A component's domain is where the view "RC00 Alle referentiecomponenten" places it: the GEMMA
business function (for "Uitvoering", the field of execution beneath it) or the group of
application services; a component the view does not show has no domain.
"""

from __future__ import annotations

import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "dbt_project/seeds/gemma_reference_components.csv"
OVERVIEW_VIEW = "RC00 Alle referentiecomponenten"


def elements(model: Path) -> dict[str, ET.Element]:
    found = {}
    for path in model.rglob("*.xml"):
        if path.name != "folder.xml":
            root = ET.parse(path).getroot()
            if root.get("id"):
                found[root.get("id")] = root
    return found


def properties(element: ET.Element) -> dict[str, str]:
    return {p.get("key"): p.get("value") for p in element.findall("properties")}


def placements(view: ET.Element, names: dict[str, str]) -> dict[str, list[str]]:
    """Element id -> the names of the elements that enclose it in the view."""
    placed: dict[str, list[str]] = {}

    def walk(node: ET.Element, path: list[str]) -> None:
        for child in node.findall("children"):
            element = child.find("archimateElement")
            if element is None:
                walk(child, path)
                continue
            element_id = element.get("href").split("#")[-1]
            placed.setdefault(element_id, path)
            walk(child, [*path, names.get(element_id, "")])

    walk(view, [])
    return placed


def domain(path: list[str]) -> str:
    if not path:
        return ""
    if path[0] == "Uitvoering" and len(path) > 1:
        return path[1]
    return path[0]


def main(repository: Path) -> None:
    found = elements(repository / "model")
    names = {element_id: element.get("name") or "" for element_id, element in found.items()}
    view = next(e for e in found.values() if e.get("name") == OVERVIEW_VIEW)
    placed = placements(view, names)
    rows = []
    for element_id, element in found.items():
        props = properties(element)
        if element.tag.endswith("ApplicationComponent") and props.get("GEMMA type") == "Referentiecomponent":
            rows.append(
                {
                    "component_id": props.get("Object ID") or element_id.removeprefix("id-"),
                    "component_name": names[element_id].strip(),
                    "domain": domain(placed.get(element_id, [])),
                    "gemma_status": props.get("GEMMA status", ""),
                }
            )
    rows.sort(key=lambda row: row["component_name"].casefold())
    with SEED.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} reference components written to {SEED}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
