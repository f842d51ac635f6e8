"""Result summaries: lists of named-tuple rows that print as tables and write CSV."""

from __future__ import annotations

import csv


class SummaryTable(list):
    """A list of rows shown as a table (text and HTML) and written as CSV.

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

    def _repr_html_(self):
        return self._table().get_html_string()

    def to_csv(self, path) -> None:
        """Write the table as CSV, one row per element."""
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(self.columns)
            for r in self:
                writer.writerow(self._csv_row(r))
