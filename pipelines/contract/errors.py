"""Errors a municipal controller can act on: each names the file and, where known, row and column."""

from __future__ import annotations

from pathlib import Path


class DeliveryRejected(Exception):
    """The whole delivery is refused; the previously landed version of it stays in place."""

    code = "rejected"

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row:,}".replace(",", " "))
        if self.column is not None:
            where.append(f"column `{self.column}`")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


class UnreadableFile(DeliveryRejected):
    """Empty, truncated, undecodable or not the expected format at all."""

    code = "unreadable"


class WrongLayout(DeliveryRejected):
    """Readable, but the columns or the separator are not those of the data contract."""

    code = "wrong_layout"


class WrongDeliveryFolder(DeliveryRejected):
    """The path does not follow data_raw/deliveries/<GMxxxx>/<year>/<kind file>."""

    code = "wrong_folder"


class Unbalanced(DeliveryRejected):
    """Debit and credit of a ledger do not match to the cent."""

    code = "unbalanced"


class UnsafeFile(DeliveryRejected):
    """The file tries something a data file never needs (XML entities, DTDs, symlinks)."""

    code = "unsafe"


class TooLarge(DeliveryRejected):
    """Over a documented size limit (a workbook's inflated size, parts or cells)."""

    code = "too_large"
