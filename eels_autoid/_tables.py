"""Result summaries: lists of named-tuple rows that print as tables and write CSV."""

from __future__ import annotations

import csv
import html


class SummaryTable(list):
    """A list of rows shown as a table (text and HTML) and written as CSV.

    Its ``repr`` is the text table, so it reads as one at a prompt too.

    Subclasses set ``columns`` (the CSV header) and define ``_header()``,
    ``_display_row(row)`` (strings for the table) and ``_csv_row(row)``.
    """

    columns: tuple = ()

    def _header(self):
        return list(self.columns)

    def _table(self):
        from prettytable import PrettyTable

        table = PrettyTable(self._header())
        for r in self:
            table.add_row(self._display_row(r))
        table.align = "l"
        return table

    def __str__(self):
        return self._table().get_string()

    # A list's repr would show the named tuples: at a prompt, show the table.
    __repr__ = __str__

    def _repr_html_(self):
        def cells(tag, values):
            return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)

        head = f"<tr>{cells('th', self._header())}</tr>"
        body = "".join(f"<tr>{cells('td', self._display_row(r))}</tr>" for r in self)
        return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"

    def to_csv(self, path) -> None:
        """Write the table as CSV, one row per element."""
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(self.columns)
            for r in self:
                writer.writerow(self._csv_row(r))
