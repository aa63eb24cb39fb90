"""Spreadsheet bombs and giant CSV rows refused before a parser builds anything from them.

An .xlsx is a zip of XML parts, and openpyxl holds what they expand to: a row of 40 million cells, a
`<dimension>` that pads every row to column XFD, a list of shared strings nobody uses. So the zip's
directory is checked first (parts, expanded sizes, compression ratios), then every part is streamed
through expat with counters (rows, the last column of each row, cells, shared strings) that stop at
the first cap; memory stays that of one chunk whatever the part holds. The `<dimension>` a sheet
declares is never trusted (reading resets it). CSV rows are counted as they are read, a bounded line
at a time (`bounded_lines`, `bounded_rows`).

Caps are configuration values, IMPORT_MAX_<FIELD> (e.g. IMPORT_MAX_CELLS); the defaults let a
100,000-row file of the export's 26 columns through, with room to spare.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, fields
from typing import Any, Iterable, Iterator, Mapping
from xml.parsers import expat

from flask_babel import lazy_gettext as _l
from ..exports.xlsx import get_column_letter

from ..i18n import format_number

MB = 1024 * 1024
#: Excel's last row: a row number past it is no spreadsheet's.
EXCEL_ROWS = 1_048_576
#: Parts this small are not checked for their compression ratio (a tiny XML part deflates a lot).
RATIO_FROM_BYTES = 1 * MB
#: Bytes fed to expat at a time.
CHUNK = 64 * 1024
_CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
#: Root elements of the parts openpyxl streams; every other part is read whole, so its own cap is lower.
_SHEETS = ("worksheet",)


class FileRefused(ValueError):
    """The file breaks a cap; reading turns it into an ImportFileError."""


@dataclass(frozen=True)
class Limits:
    #: Most columns a row may reach (the position of its last cell).
    columns: int = 256
    #: Most cells in a sheet or CSV, counting each row to its last cell.
    cells: int = 5_000_000
    #: Most bytes a workbook expands to, each part and all together (100,000 export rows: 140 MB).
    unzipped: int = 512 * MB
    #: Most times a part may expand its compressed size (office files: under 20).
    ratio: int = 100
    #: Most bytes a part other than a worksheet expands to (openpyxl reads those whole).
    part: int = 64 * MB
    #: Most parts in a workbook (a workbook has about ten, a few hundred with many sheets and pictures).
    parts: int = 1000
    #: Most entries in the workbook's shared strings.
    shared_strings: int = 2_000_000
    #: Most characters on a line of a CSV.
    line: int = 1 * MB

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Limits":
        return cls(**{cap.name: int(config.get(f"IMPORT_MAX_{cap.name.upper()}", cap.default)) for cap in fields(cls)})


DEFAULT_LIMITS = Limits()


def megabytes(size: int) -> str:
    """A size in MB the language's way: 64, 0,5 (Vietnamese) or 0.5 (English)."""
    value = size / MB
    digits = next(d for d in (0, 1, 2) if d == 2 or round(value, d) == round(value, 2))
    return format_number(value, digits)


def check_workbook(data: bytes, limits: Limits) -> None:
    """Raise FileRefused if the .xlsx would expand past a cap; other damage is left to openpyxl."""
    if data.count(_CENTRAL_DIRECTORY_ENTRY) > limits.parts:  # ZipFile builds an object for each entry
        raise FileRefused(str(_l("The workbook holds more than %(n)s parts; it is not an ordinary spreadsheet.",
                                 n=format_number(limits.parts))))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: openpyxl says so
    with archive:
        members = archive.infolist()
        _check_directory(members, limits)
        for member in members:
            _scan_part(archive, member, limits)


def _check_directory(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """What the zip declares: Python's zipfile never inflates a part past its declared size."""
    total = 0
    for member in members:
        size = member.file_size
        if size > limits.unzipped:
            raise _too_big(member.filename, limits.unzipped)
        if size > RATIO_FROM_BYTES and size > limits.ratio * max(member.compress_size, 1):
            raise FileRefused(str(_l("Part %(name)s of the workbook expands %(ratio)s times: the file is a "
                                     "compression bomb, not an ordinary spreadsheet.", name=_shown(member.filename),
                                     ratio=format_number(size // max(member.compress_size, 1)))))
        total += size
        if total > limits.unzipped:
            raise FileRefused(str(_l("The workbook expands to more than %(mb)s MB; split it into smaller files.",
                                     mb=megabytes(limits.unzipped))))


def _too_big(name: str, cap: int) -> FileRefused:
    return FileRefused(str(_l("Part %(name)s of the workbook expands to more than %(mb)s MB; split the file "
                              "into smaller ones.", name=_shown(name), mb=megabytes(cap))))


def _shown(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "…"


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> None:
    counter = _PartCounter(member, limits)
    parser = expat.ParserCreate()
    parser.StartElementHandler = counter.start
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except FileRefused:
        raise
    except expat.ExpatError:  # not XML (a picture), or broken XML: openpyxl stops where expat did
        if counter.root is None and member.file_size > limits.part:
            raise _too_big(member.filename, limits.part) from None
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError, EOFError, ValueError):
        return  # a damaged or encrypted part: openpyxl names the damage


def _refuse_doctype(*_args) -> None:
    raise FileRefused(str(_l("The workbook declares a document type or entities, which spreadsheets never do.")))


class _PartCounter:
    """Counts what openpyxl would build from one part, element by element; raises at the first cap."""

    def __init__(self, member: zipfile.ZipInfo, limits: Limits):
        self.member, self.limits = member, limits
        self.root: str | None = None
        self.row = 0  # the current row's number
        self.column = 0  # the current cell's column
        self.cells = 0  # counting each row to its last cell, as openpyxl fills a row's gaps
        self.row_width = 0
        self.strings = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.root is None:
            self.root = local
            if local not in _SHEETS and self.member.file_size > self.limits.part:
                raise _too_big(self.member.filename, self.limits.part)
        if local == "c":
            self._cell(attributes.get("r"))
        elif local == "row":
            self._row(attributes.get("r"))
        elif local == "si":
            self.strings += 1
            if self.strings > self.limits.shared_strings:
                raise FileRefused(str(_l("The workbook's list of shared text has more than %(n)s entries.",
                                         n=format_number(self.limits.shared_strings))))

    def _row(self, number: str | None) -> None:
        self.cells += self.row_width
        self.row_width = self.column = 0
        self.row = _whole_number(number) if number else self.row + 1
        if self.row > EXCEL_ROWS:
            raise FileRefused(str(_l("The sheet has a row numbered past %(n)s, Excel's last row.",
                                     n=format_number(EXCEL_ROWS))))

    def _cell(self, reference: str | None) -> None:
        self.column = _column_of(reference) if reference else self.column + 1
        if self.column > self.limits.columns:
            raise FileRefused(str(_l("Row %(row)s has cells past column %(column)s (at most %(n)s columns): delete "
                                     "the columns after the data.", row=format_number(self.row),
                                     column=get_column_letter(min(self.limits.columns, 16384)),
                                     n=format_number(self.limits.columns))))
        self.row_width = max(self.row_width, self.column)
        if self.cells + self.row_width > self.limits.cells:
            raise too_many_cells(self.limits)


def too_many_cells(limits: Limits) -> FileRefused:
    return FileRefused(str(_l("The file has more than %(n)s cells; split it into smaller files.",
                              n=format_number(limits.cells))))


def too_many_columns(row: int, limits: Limits) -> FileRefused:
    return FileRefused(str(_l("Row %(row)s has more than %(n)s columns; delete the columns after the data.",
                              row=format_number(row), n=format_number(limits.columns))))


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0  # openpyxl fails on it


def _column_of(reference: str) -> int:
    """"AB12" → 28; the letters only (at most 3 in Excel, more are refused as past any cap)."""
    column = 0
    for character in reference:
        if "A" <= character <= "Z":
            column = column * 26 + ord(character) - 64
        elif "a" <= character <= "z":
            column = column * 26 + ord(character) - 96
        else:
            break
    return column


def bounded_lines(stream, limits: Limits) -> Iterator[str]:
    """The lines of a text stream, refusing one longer than the cap before holding more of it."""
    number = 0
    while line := stream.readline(limits.line + 1):
        number += 1
        if len(line) > limits.line:
            raise FileRefused(str(_l("Line %(line)s of the CSV is longer than %(n)s characters.",
                                     line=format_number(number), n=format_number(limits.line))))
        yield line


def bounded_rows(numbered_rows: Iterable[tuple[int, list[Any]]], limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """Rows as they come, refusing one wider than the column cap or more cells than the cell cap."""
    cells = 0
    for number, values in numbered_rows:
        if len(values) > limits.columns:
            raise too_many_columns(number, limits)
        cells += len(values)
        if cells > limits.cells:
            raise too_many_cells(limits)
        yield number, values
