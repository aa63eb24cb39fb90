"""Reads XLSForm written as Markdown tables (the `.md` form pyxform also reads).

A sheet starts with a row whose first cell names it (`| survey |`); its next row is the header; the
rows after it start with an empty cell. Lines that are not table rows are ignored, so a file can
carry a title and notes. Each row keeps its line number, so every error can point at it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@dataclass
class SheetRow:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Sheet:
    name: str
    line: int
    columns: list[str] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)


class MarkdownTableError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(inner)]


def _is_separator(cells: list[str]) -> bool:
    """A Markdown header rule such as |---|:--|; allowed after the header, never data."""
    return all(re.fullmatch(r":?-{3,}:?", cell) or cell == "" for cell in cells) and any(cells)


def read_sheets(text: str) -> dict[str, Sheet]:
    sheets: dict[str, Sheet] = {}
    current: Sheet | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip().startswith("|"):
            continue
        cells = _cells(line)
        if _is_separator(cells):
            continue
        if cells[0]:
            name = cells[0].lower()
            if name in sheets:
                raise MarkdownTableError(number, f"sheet '{name}' appears twice")
            current = sheets[name] = Sheet(name, number)
            continue
        if current is None:
            raise MarkdownTableError(number, "table row before any sheet name (e.g. '| survey |')")
        values = cells[1:]
        if not current.columns:
            current.columns = [column.strip() for column in values]
            if "" in current.columns:
                raise MarkdownTableError(number, f"sheet '{current.name}' has an empty column name")
            continue
        if len(values) > len(current.columns) and any(values[len(current.columns):]):
            raise MarkdownTableError(number, f"row has {len(values)} cells, the header has {len(current.columns)}")
        row = dict(zip(current.columns, values + [""] * (len(current.columns) - len(values))))
        if any(row.values()):
            current.rows.append(SheetRow(number, row))
    return sheets
