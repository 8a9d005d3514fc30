"""A municipality's account mapping: which accounts and cost centres are ICT, in which category."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.delivery import Delivery
from pipelines.contract.errors import UnreadableFile, WrongLayout
from pipelines.contract.profile import KindProfile
from pipelines.contract.schemas import MAPPING_SCHEMA, ParsedDelivery
from pipelines.readers.dutch_csv import (
    SOURCE_ROW,
    read_text_csv,
    refuse_broken_rows,
    refuse_unreadable_lines,
)
from pipelines.readers.dutch_values import blank_to_null
from pipelines.readers.ledger_csv import constant, normalise_header

# The mapping's own header (docs/data-contract.md), compared after normalise_header: a format of
# this project, so a delivery profile has nothing to map in it.
MAPPING_COLUMNS = {
    "rekening_van": "account_from",
    "rekening_tot": "account_to",
    "kostenplaats": "cost_centre",
    "categorie": "category",
    "toelichting": "note",
}


def read_account_mapping(delivery: Delivery, profile: KindProfile | None = None) -> ParsedDelivery:
    text = read_text_csv(delivery.path, file=delivery.relative_path)
    refuse_broken_rows(text, delivery.relative_path)  # a lost rule would reclassify spend
    refuse_unreadable_lines(text, delivery.relative_path)
    by_name: dict[str, str] = {}
    for name, column in zip(text.header, text.table.column_names, strict=True):
        key = normalise_header(name)
        if key in MAPPING_COLUMNS and key in by_name:
            raise WrongLayout(
                f"the column `{name}` occurs twice; keep one",
                file=delivery.relative_path,
                row=1,
                column=name,
            )
        by_name.setdefault(key, column)
    if "categorie" not in by_name:
        raise UnreadableFile(
            "this is not an account mapping: the column `categorie` is missing "
            "(expected rekening_van;rekening_tot;kostenplaats;categorie;toelichting)",
            file=delivery.relative_path,
            row=1,
        )
    source = text.table.add_column(0, SOURCE_ROW, text.source_rows)
    n = source.num_rows
    delivery_id = delivery.content_hash()
    values: dict[str, pa.Array] = {
        "delivery_id": constant(delivery_id, n, pa.string()),
        "municipality_code": constant(delivery.municipality_code, n, pa.string()),
        "source_file": constant(delivery.relative_path, n, pa.string()),
        "source_row": source[SOURCE_ROW],
    }
    for file_name, canonical in MAPPING_COLUMNS.items():
        if file_name in by_name:
            values[canonical] = blank_to_null(source[by_name[file_name]])
        else:
            values[canonical] = pa.nulls(n, pa.string())
    values["category"] = pc.utf8_lower(values["category"])
    values["rule_target"] = pc.coalesce(values["account_from"], values["cost_centre"])
    return ParsedDelivery(
        delivery=delivery,
        delivery_id=delivery_id,
        rows=pa.table(values, schema=MAPPING_SCHEMA),
        raw=source,
        notes=list(text.notes),
    )
