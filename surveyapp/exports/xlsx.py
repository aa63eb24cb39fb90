"""Spreadsheet sheets in openpyxl's write-only mode, shared by establishment exports and reports.

Rows go to disk as they come (memory does not grow with the row count); the header is bold and
frozen with an autofilter; numbers are numbers with a thousands format (Excel shows 1.500.000 in a
Vietnamese locale); text a spreadsheet would run as a formula is stored as text with Excel's own
"quote prefix" flag, so it shows and reads back exactly as written but is never evaluated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

NUMBER_FORMATS = {
    "int": "#,##0",
    "money": "#,##0",
    "coordinate": "0.000000",
    "decimal": "#,##0.0",
    "million": "#,##0.000",  # triệu đồng to the thousand đồng
    "percent": "0.0",
}
#: A spreadsheet evaluates text starting with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


@dataclass(frozen=True)
class SheetColumn:
    header: str
    #: text | code | int | money | coordinate | decimal | million | percent
    kind: str = "text"
    #: Width in characters.
    width: int = 14


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def write_sheet(workbook: Workbook, title: str, columns: Sequence[SheetColumn], rows: Iterable[Sequence[Any]]) -> int:
    """Append a sheet with a header row and `rows`; returns the number of data rows written."""
    sheet = workbook.create_sheet(_sheet_title(title))
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([_header_cell(sheet, column.header) for column in columns])
    # One reusable styled cell per column: write-only sheets serialise a row as soon as it is appended.
    numeric = {index: _styled_cell(sheet, number_format=NUMBER_FORMATS[column.kind])
               for index, column in enumerate(columns) if column.kind in NUMBER_FORMATS}
    guarded = {index: _styled_cell(sheet, quote_prefix=True) for index in range(len(columns))}
    count = 0
    for values in rows:
        sheet.append([_cell_value(index, value, numeric, guarded) for index, value in enumerate(values)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{count + 1}"
    return count


def write_about_sheet(workbook: Workbook, title: str, facts: Iterable[tuple[str, Any]]) -> None:
    """A two-column sheet: what the workbook holds (filter, time, row count...)."""
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 70
    number = _styled_cell(sheet, number_format="#,##0")
    for label, value in facts:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number.value = value
            value = number
        elif isinstance(value, str):
            value = _text(value, sheet)
        sheet.append([_header_cell(sheet, label), value])


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Sheet"


def _header_cell(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_clean(text))
    cell.font = Font(bold=True)
    cell.alignment = Alignment(vertical="top", wrap_text=False)
    if is_formula_like(text):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _styled_cell(sheet, number_format: str | None = None, quote_prefix: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    if number_format:
        cell.number_format = number_format
    if quote_prefix:
        cell.quotePrefix = True
    return cell


def _cell_value(index: int, value: Any, numeric: dict, guarded: dict) -> Any:
    if value is None:
        return None
    if index in numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell = numeric[index]
        cell.value = value
        return cell
    if isinstance(value, str):
        value = _clean(value)
        if is_formula_like(value):
            cell = guarded[index]
            cell.value = value
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            return cell
    return value


def _text(value: str, sheet) -> Any:
    value = _clean(value)
    if is_formula_like(value):
        cell = _styled_cell(sheet, quote_prefix=True)
        cell.value = value
        cell.data_type = "s"
        return cell
    return value


def _clean(value: Any) -> Any:
    """Control characters are not allowed in XLSX text (openpyxl refuses them): drop them."""
    if isinstance(value, str) and not value.isprintable():  # isprintable: a fast test for the rare case
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value
