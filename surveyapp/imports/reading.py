"""Spreadsheet files to a table of raw cell values, with the row numbers a person sees in Excel.

Everything here is about the file, not the data: format, encoding, size and row limits, and where the
header row is. Problems are `ImportFileError`s with a message for people, never a traceback. What a
file would expand to is capped before a parser builds it (`safety`).
"""
from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from ..i18n import format_number
from .safety import DEFAULT_LIMITS, FileRefused, Limits, bounded_lines, bounded_rows, check_workbook, megabytes

#: Default limits (override with IMPORT_MAX_BYTES / IMPORT_MAX_ROWS in the configuration).
MAX_BYTES = 64 * 1024 * 1024  # a 100,000-row CSV is about 30 MB; the web limit (MAX_CONTENT_LENGTH) is 64 MB
MAX_ROWS = 100_000
#: Distinct cells of a column kept to share: codes, choices and small numbers repeat down a column and are
#: held once; a column with more distinct cells (names, phones, amounts) is left as read.
SHARED_PER_COLUMN = 2000
#: How far down the header row may be (titles above it are common in office spreadsheets).
HEADER_SEARCH_ROWS = 20
EXTENSIONS = (".xlsx", ".csv")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, size, no header...)."""


@dataclass
class Table:
    """Raw cells: `header_row` and each data row carry their spreadsheet row number (1-based)."""

    headers: list[Any]
    header_row: int
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    sheet: str | None = None


def read_table(data: bytes, filename: str, is_header: Callable[[list[Any]], bool],
               max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES, limits: Limits = DEFAULT_LIMITS) -> Table:
    """Read an .xlsx or .csv file. `is_header` tells whether a row looks like the header row."""
    try:
        return _read_table(data, filename, is_header, max_rows, max_bytes, limits)
    except FileRefused as refused:
        raise ImportFileError(str(refused)) from None


def _read_table(data: bytes, filename: str, is_header, max_rows: int, max_bytes: int, limits: Limits) -> Table:
    extension = Path(filename or "").suffix.lower()
    if len(data) > max_bytes:
        raise ImportFileError(str(_l("The file is larger than %(mb)s MB; split it into smaller files.",
                                     mb=megabytes(max_bytes))))
    if not data:
        raise ImportFileError(str(_l("The file is empty.")))
    if extension == ".xls" or data.startswith(_OLE_MAGIC):
        raise ImportFileError(str(_l("Excel 97–2003 files (.xls) are not supported: save the file as .xlsx.")))
    if extension == ".xlsx":
        if not data.startswith(_ZIP_MAGIC):
            raise ImportFileError(str(_l("This is not a valid .xlsx file (damaged, or another format renamed).")))
        check_workbook(data, limits)
        return _read_xlsx(data, is_header, max_rows, limits)
    if extension == ".csv":
        if data.startswith(_ZIP_MAGIC) or b"\x00" in data[:4096]:
            raise ImportFileError(str(_l("This is not a CSV text file (perhaps a spreadsheet renamed to .csv).")))
        return _read_csv(data, is_header, max_rows, limits)
    raise ImportFileError(str(_l("Only .xlsx and .csv files can be imported.")))


def _read_xlsx(data: bytes, is_header, max_rows: int, limits: Limits) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # damaged zips and XML raise many kinds (BadZipFile, KeyError...): none may be a 500
        raise ImportFileError(str(_l("This .xlsx file cannot be read (%(reason)s).", reason=type(error).__name__))) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFileError(str(_l("The workbook has no worksheet.")))
        sheet.reset_dimensions()  # the <dimension> a file declares would fill every row up to its last column
        try:
            rows = ((number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), 1))
            return _table(bounded_rows(rows, limits), is_header, max_rows, sheet.title)
        except (ImportFileError, FileRefused):
            raise
        except Exception as error:
            raise ImportFileError(str(_l("This .xlsx file cannot be read (%(reason)s).",
                                         reason=type(error).__name__))) from None
    finally:
        workbook.close()


def _read_csv(data: bytes, is_header, max_rows: int, limits: Limits) -> Table:
    """Decoded and split a bounded line at a time: no copy of the whole text, no row past the caps."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    lines = bounded_lines(stream, limits)
    reader = None
    try:
        first_line = next(lines, "")
        delimiter = max((",", ";", "\t"), key=first_line.count)
        reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
        return _table(bounded_rows(((number, row) for number, row in enumerate(reader, 1)), limits), is_header,
                      max_rows, None)
    except UnicodeDecodeError:
        raise ImportFileError(str(_l("The CSV file is not UTF-8 text: in Excel choose “CSV UTF-8” when "
                                     "saving."))) from None
    except csv.Error as error:
        raise ImportFileError(str(_l("The CSV file cannot be read near line %(line)d (%(reason)s).",
                                     line=reader.line_num, reason=str(error)))) from None


def _table(numbered_rows, is_header, max_rows: int, sheet: str | None) -> Table:
    table: Table | None = None
    shared = _SharedCells()
    for number, values in numbered_rows:
        if table is None:
            if is_header(values):
                table = Table(headers=values, header_row=number, sheet=sheet)
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if _blank_row(values):
            continue
        if len(table.rows) >= max_rows:
            raise ImportFileError(str(_l("The file has more than %(n)s rows; import at most %(n)s at a time.",
                                         n=format_number(max_rows))))
        table.rows.append((number, shared(values)))
    if table is None:
        raise ImportFileError(str(_l("No header row found: the first rows name none of the expected columns "
                                     "(establishment_code, name, commune_code, vsic_code, legal_form...).")))
    return table


class _SharedCells:
    """The same text down a column as one string, not one per row (100,000 rows of a few hundred commune
    codes, VSIC codes, legal forms and small numbers held 40 MB of copies)."""

    def __init__(self):
        self.columns: dict[int, dict[str, str] | None] = {}

    def __call__(self, values: list[Any]) -> list[Any]:
        columns = self.columns
        for index, value in enumerate(values):
            if type(value) is not str:
                continue
            seen = columns.get(index, {})
            if seen is None:
                continue
            shared = seen.get(value)
            if shared is not None:
                values[index] = shared
            elif len(seen) < SHARED_PER_COLUMN:
                seen[value] = value
                columns[index] = seen
            else:  # a column of names or amounts: sharing would only hold them twice
                columns[index] = None
        return values


def _blank_row(values: list[Any]) -> bool:
    """No cell holds anything but spaces (stops at the first that does: usually the first cell)."""
    for value in values:
        if value is not None and (not isinstance(value, str) or value.strip()):
            return False
    return True
