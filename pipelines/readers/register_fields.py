"""A register's contract fields as trimmed text, and the row problems found in them.

The asset register, training and application portfolio readers check their fields the same way:
a problem names the file's own header, the row's number in the file and, where it helps, the
value as delivered.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract.schemas import RowProblem, problems_where
from pipelines.readers.dutch_values import blank


class RegisterFields:
    def __init__(
        self,
        text: pa.Table,
        located: Mapping[str, int | str],
        headers: Mapping[str, str],
        source_rows: pa.Array,
    ) -> None:
        """located: contract field -> its column in `text` (position or name); headers: contract
        field -> the file's own header, as problems name it."""
        self._text, self._located, self.headers = text, located, headers
        self._source_rows = source_rows
        self._trimmed: dict[str, pa.Array] = {}
        self._empty = pa.nulls(text.num_rows, pa.string())
        self.problems: list[RowProblem] = []

    def has(self, name: str) -> bool:
        return name in self._located

    def column(self, name: str) -> pa.Array:
        """The field's cells without surrounding spaces; all null when the file has no such column."""
        if name not in self._located:
            return self._empty
        if name not in self._trimmed:
            cells = self._text.column(self._located[name]).combine_chunks()
            self._trimmed[name] = pc.utf8_trim_whitespace(cells)
        return self._trimmed[name]

    def given(self, name: str) -> pa.Array:
        """The field's cells, a blank one as null."""
        values = self.column(name)
        return pc.if_else(blank(values), None, values)

    def report(self, name: str, mask: pa.Array, rule: str, what: str, *, show: bool = True) -> None:
        """A problem for each row where `mask` is true; `show` quotes the delivered value."""
        if name not in self._located:
            return
        self.problems.extend(
            problems_where(
                mask,
                self._source_rows,
                self.column(name) if show else None,
                column=self.headers[name],
                rule=rule,
                message=("column `{column}`: '{value}' " if show else "column `{column}`: ") + what,
                field=name,
            )
        )

    def missing(self, name: str, rule: str, what: str) -> None:
        """A problem for each row whose cell is empty."""
        self.report(name, blank(self.column(name)), rule, "empty; " + what, show=False)
