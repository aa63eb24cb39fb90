"""Spreadsheets written straight into their zip, sheet by sheet; shared by establishment exports and reports.

openpyxl, even in write-only mode, spends about 18 µs on a cell (47 s for 100,000 establishments);
here the worksheet XML is made from per-column templates, a batch of rows at a time, and deflated
in a second thread while the next batch is made (zlib works without Python's lock), so 100,000 rows
take a few seconds and memory stays flat: only one batch is ever held.

What a reader sees is what openpyxl wrote: the header is bold and frozen with an autofilter; numbers
are numbers (stored exactly: openpyxl rounded to 16 digits) with a thousands format (Excel shows
1.500.000 in a Vietnamese locale); dates are Excel dates in openpyxl's formats; text is inline text,
minus the characters XML 1.0 cannot hold; text a spreadsheet would run as a formula is stored as
text with Excel's own "quote prefix" flag, so it shows and reads back exactly as written but is
never evaluated.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import os
import queue
import re
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from functools import partial
from itertools import islice, repeat
from operator import is_not
from typing import Any, BinaryIO, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape, quoteattr

from .. import clock

NUMBER_FORMATS = {
    "int": "#,##0",
    "money": "#,##0",
    "coordinate": "0.000000",
    "decimal": "#,##0.0",
    "million": "#,##0.000",  # triệu đồng to the thousand đồng
    "percent": "0.0",
}
#: openpyxl's formats for cells given a date, datetime, time or duration (checked first: datetime is a date).
DATE_FORMATS = ((dt.datetime, "yyyy-mm-dd h:mm:ss"), (dt.date, "yyyy-mm-dd"), (dt.time, "h:mm:ss"),
                (dt.timedelta, "[hh]:mm:ss"))
#: A spreadsheet evaluates text starting with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Data rows a worksheet holds (Excel's 1,048,576 rows, one of them the header).
MAX_ROWS = 1_048_575
#: Rows turned into XML at a time; a batch (about 0.7 MB of XML) is all the memory the data needs.
BATCH_ROWS = 500
#: zlib level: 1 deflates 3 times faster than the default 6 for a file about 25% larger.
COMPRESS_LEVEL = 1

#: Characters XML 1.0 cannot hold at all (openpyxl drops the control characters the same way).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Text needs the careful path (`_ColumnCells.one`) if it holds markup characters, a carriage return
#: (XML reads it as "\n") or characters XML cannot hold, starts with a formula trigger or whitespace, or
#: ends with whitespace (kept with xml:space="preserve"). A batch of text is checked joined by "\n":
#: three searches in C instead of one test a value; a false alarm only costs time.
_CAREFUL_CHARACTERS = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CAREFUL_START = re.compile("\n[=+\\-@\\s]")
_TRIGGER_CHARACTERS = frozenset("=+-@")
_NUMBER_TYPES = frozenset({int, float, type(None)})
_is_not_none = partial(is_not, None)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


@dataclass(frozen=True)
class SheetColumn:
    header: str
    #: text | code | int | money | coordinate | decimal | million | percent
    kind: str = "text"
    #: Width in characters.
    width: int = 14


class _Styles:
    """The workbook's cell formats (cellXfs): fixed ones first, then one per number format."""

    DEFAULT, HEADER, HEADER_QUOTED, QUOTED = 0, 1, 2, 3

    def __init__(self) -> None:
        formats = dict.fromkeys([*NUMBER_FORMATS.values(), *(code for _type, code in DATE_FORMATS)])
        self.number = {code: 4 + index for index, code in enumerate(formats)}

    def for_kind(self, kind: str) -> int:
        return self.number[NUMBER_FORMATS[kind]] if kind in NUMBER_FORMATS else self.DEFAULT

    def xml(self) -> str:
        builtin = {"#,##0": 3, "h:mm:ss": 21}
        custom = {code: 164 + index for index, code in enumerate(c for c in self.number if c not in builtin)}
        num_fmts = "".join(f'<numFmt numFmtId="{number}" formatCode={quoteattr(code)}/>'
                           for code, number in custom.items())
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
               '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
               '<alignment vertical="top"/></xf>',
               '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"'
               ' quotePrefix="1"><alignment vertical="top"/></xf>',
               '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>']
        xfs += [f'<xf numFmtId="{builtin.get(code) or custom[code]}" fontId="0" fillId="0" borderId="0" xfId="0"'
                ' applyNumberFormat="1"/>' for code in self.number]
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
        return (f'{_XML_DECLARATION}<styleSheet xmlns="{_MAIN}"><numFmts count="{len(custom)}">{num_fmts}</numFmts>'
                f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


class StreamingWorkbook:
    """An .xlsx file being written: sheets are added one after the other, `close()` finishes the file.

    Without a path the file is made in a temporary file (in memory while small) and `save()` copies
    it out, openpyxl's way: the reports build small workbooks like that.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.file = path if path is not None else tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
        self.archive = zipfile.ZipFile(self.file, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
        self.styles = _Styles()
        #: (title, autofilter range or None) of each sheet written so far.
        self.sheets: list[tuple[str, str | None]] = []

    def __enter__(self) -> "StreamingWorkbook":
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        if error_type is None:
            self.close()
            return
        self.archive.close()
        if self.path is None:
            self.file.close()
        else:
            os.unlink(self.path)  # an unfinished workbook is of no use to anyone

    def save(self, destination: str | os.PathLike | BinaryIO) -> None:
        """Finish a workbook made without a path and copy it to a path or a binary file object."""
        if self.path is not None:
            raise ValueError(f"this workbook is written to {self.path}: close it instead")
        self.close()
        self.file.seek(0)
        if isinstance(destination, (str, os.PathLike)):
            with open(destination, "wb") as handle:
                shutil.copyfileobj(self.file, handle)
        else:
            shutil.copyfileobj(self.file, destination)

    def unique_title(self, title: str) -> str:
        """openpyxl's rule for a title already taken: a number is added (About, About1...)."""
        taken = {name.lower() for name, _ in self.sheets}
        candidate, number = title, 0
        while candidate.lower() in taken:
            number += 1
            candidate = f"{title[:31 - len(str(number))]}{number}"
        return candidate

    def write_part(self, name: str, chunks: Iterable[str]) -> None:
        """One part of the package, deflated in a second thread as its chunks come."""
        with self.archive.open(name, "w") as stream, _Deflater(stream) as deflater:
            for chunk in chunks:
                deflater.write(chunk.encode("utf-8"))

    def close(self) -> None:
        if self.archive.fp is None:
            return
        sheets = "".join(f'<sheet name={quoteattr(title)} sheetId="{number}" r:id="rId{number}"/>'
                         for number, (title, _) in enumerate(self.sheets, 1))
        filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{number}" hidden="1">'
                          f"{escape(_quoted_title(title))}!{ref}</definedName>"
                          for number, (title, ref) in enumerate(self.sheets) if ref)
        parts = {
            "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><bookViews><workbookView/>'
                               f'</bookViews><sheets>{sheets}</sheets>'
                               + (f"<definedNames>{filters}</definedNames>" if filters else "") + "</workbook>",
            "xl/styles.xml": self.styles.xml(),
            "xl/_rels/workbook.xml.rels": _relationships(
                [(f"{_RELATIONSHIPS}/worksheet", f"worksheets/sheet{number}.xml")
                 for number in range(1, len(self.sheets) + 1)] + [(f"{_RELATIONSHIPS}/styles", "styles.xml")]),
            "_rels/.rels": _relationships([
                (f"{_RELATIONSHIPS}/officeDocument", "xl/workbook.xml"),
                (f"{_PACKAGE}/relationships/metadata/core-properties", "docProps/core.xml"),
                (f"{_RELATIONSHIPS}/extended-properties", "docProps/app.xml")]),
            "docProps/core.xml": _core_properties(),
            "docProps/app.xml": '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                                'extended-properties"><Application>surveyapp</Application></Properties>',
            "[Content_Types].xml": _content_types(len(self.sheets)),
        }
        for name, text in parts.items():
            self.archive.writestr(name, text if text.startswith("<?xml") else _XML_DECLARATION + text)
        self.archive.close()


def new_workbook(path: str | None = None) -> StreamingWorkbook:
    """With a path, use it as a context manager: the file is complete when the block ends without an
    error (after an error it is removed). Without a path, add the sheets, then `save()` the file."""
    return StreamingWorkbook(path)


def get_column_letter(index: int) -> str:
    """1 → A, 27 → AA (openpyxl's function, without importing openpyxl)."""
    letters = ""
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def write_sheet(workbook: StreamingWorkbook, title: str, columns: Sequence[SheetColumn],
                rows: Iterable[Sequence[Any]]) -> int:
    """Append a sheet with a header row and `rows`; returns the number of data rows written."""
    title = workbook.unique_title(_sheet_title(title))
    styles = workbook.styles
    cells = [_ColumnCells(get_column_letter(index), styles.for_kind(column.kind), styles)
             for index, column in enumerate(columns, 1)]
    header = "".join(cell.one(1, column.header, header=True) for cell, column in zip(cells, columns))
    last = get_column_letter(max(1, len(columns)))
    count = 0

    def chunks() -> Iterator[str]:
        nonlocal count
        yield f'{_sheet_start(columns, frozen=True)}<row r="1">{header}</row>'
        iterator = iter(rows)
        while batch := list(islice(iterator, BATCH_ROWS)):
            if count + len(batch) > MAX_ROWS:
                raise ValueError(f"more than {MAX_ROWS} rows do not fit in one worksheet")
            yield _rows_xml(cells, batch, count + 2)
            count += len(batch)
        yield f'</sheetData><autoFilter ref="A1:{last}{count + 1}"/>{_PAGE_MARGINS}</worksheet>'

    workbook.write_part(f"xl/worksheets/sheet{len(workbook.sheets) + 1}.xml", chunks())
    workbook.sheets.append((title, f"$A$1:${last}${count + 1}"))
    return count


def write_about_sheet(workbook: StreamingWorkbook, title: str, facts: Iterable[tuple[str, Any]]) -> None:
    """A two-column sheet: what the workbook holds (filter, time, row count...); numbers as #,##0."""
    title = workbook.unique_title(_sheet_title(title))
    label = _ColumnCells("A", _Styles.DEFAULT, workbook.styles)
    value = _ColumnCells("B", workbook.styles.for_kind("int"), workbook.styles)
    rows = "".join(f'<row r="{number}">{label.one(number, fact, header=True)}{value.one(number, content)}</row>'
                   for number, (fact, content) in enumerate(facts, 1))
    columns = [SheetColumn("", width=30), SheetColumn("", width=70)]
    workbook.write_part(f"xl/worksheets/sheet{len(workbook.sheets) + 1}.xml",
                        [_sheet_start(columns, frozen=False), rows, f"</sheetData>{_PAGE_MARGINS}</worksheet>"])
    workbook.sheets.append((title, None))


class _ColumnCells:
    """The XML of one column's cells: a whole batch at once in the usual case, else cell by cell."""

    def __init__(self, letter: str, number_style: int, styles: _Styles) -> None:
        self.start = f'<c r="{letter}'  # + row number + the rest
        self.number_style = number_style
        self.styles = styles
        self.numeric = number_style != _Styles.DEFAULT

    def batch(self, numbers: list[str], values: tuple[Any, ...]) -> list[str]:
        """The cells of `values` (one per row, "" for an empty one) in rows `numbers`."""
        start = self.start
        if self.numeric and set(map(type, values)) <= _NUMBER_TYPES and _all_finite(values):
            middle = f'" s="{self.number_style}"><v>'
            return [f"{start}{row}{middle}{value}</v></c>" if value is not None else ""
                    for row, value in zip(numbers, values)]
        if _plain_text(values):
            return [f'{start}{row}" t="inlineStr"><is><t>{value}</t></is></c>' if value else ""
                    for row, value in zip(numbers, values)]
        return [self.one(row, value) for row, value in zip(numbers, values)]

    def one(self, row: int | str, value: Any, header: bool = False) -> str:
        """Any value, as openpyxl would store it; `header`: bold text."""
        start = f"{self.start}{row}"
        if value is None:
            return ""
        if isinstance(value, str):
            return self._text(start, value, header)
        if header:
            return self._text(start, str(value), header)
        if isinstance(value, bool):
            return f'{start}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, (numbers.Real, decimal.Decimal)):
            text = _number_text(value)
            if not text:
                return ""  # Excel has no NaN or infinity (openpyxl writes an empty cell)
            style = f' s="{self.number_style}"' if self.numeric else ""
            return f'{start}"{style}><v>{text}</v></c>'
        for kind, code in DATE_FORMATS:
            if isinstance(value, kind):
                if getattr(value, "tzinfo", None) is not None:
                    raise TypeError("Excel does not support timezones in datetimes: make them naive first.")
                from openpyxl.utils.datetime import to_excel  # not at import: openpyxl loads NumPy and Pillow

                return f'{start}" s="{self.styles.number[code]}"><v>{to_excel(value)!r}</v></c>'
        raise TypeError(f"cannot store {type(value).__name__} in a spreadsheet cell: {value!r}")

    def _text(self, start: str, value: str, header: bool) -> str:
        value = _ILLEGAL.sub("", value)
        if not value:
            return ""
        if is_formula_like(value):
            style = self.styles.HEADER_QUOTED if header else self.styles.QUOTED
        else:
            style = self.styles.HEADER if header else self.styles.DEFAULT
        attributes = f' s="{style}"' if style else ""
        space = ' xml:space="preserve"' if value != value.strip() else ""
        text = escape(value, {"\r": "&#13;"})
        return f'{start}"{attributes} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _rows_xml(cells: list[_ColumnCells], batch: list[Sequence[Any]], first: int) -> str:
    """Rows `first`, `first` + 1, ... of a batch: column by column, then joined row by row."""
    numbers = [str(number) for number in range(first, first + len(batch))]
    columns = list(zip(*batch)) if batch[0] else []
    if len(columns) != len(cells) or any(len(values) != len(cells) for values in batch):
        raise ValueError(f"every row must have {len(cells)} values")
    starts = [f'<row r="{number}">' for number in numbers]
    by_column = [column_cells.batch(numbers, values) for column_cells, values in zip(cells, columns)]
    return "".join(map("".join, zip(starts, *by_column, repeat("</row>"))))


def _plain_text(values: tuple[Any, ...]) -> bool:
    """True if every value is text needing no care in XML, or empty (None, "")."""
    present = [*filter(None, values)]
    if len(present) + values.count(None) + values.count("") != len(values):
        return False  # a value that is neither text nor empty, such as 0
    try:
        joined = "\n".join(present)
    except TypeError:  # not all text
        return False
    return not (_CAREFUL_CHARACTERS.search(joined) or _CAREFUL_START.search(joined)
                or _CAREFUL_START.search(joined[::-1])  # whitespace at a value's end, read backwards
                or joined[:1] in _TRIGGER_CHARACTERS or joined[:1].isspace() or joined[-1:].isspace())


def _all_finite(values: tuple[Any, ...]) -> bool:
    """True if no float is NaN or infinite (their sum is finite; a false alarm from overflow costs time)."""
    try:
        return math.isfinite(sum(filter(_is_not_none, values)) if None in values else sum(values))
    except OverflowError:
        return False


def _number_text(value: numbers.Real | decimal.Decimal) -> str:
    """Integers and decimals as written, other numbers (numpy's too) as the shortest exact float; NaN: ""."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, decimal.Decimal):
        return str(value) if value.is_finite() else ""
    number = float(value)
    return repr(number) if math.isfinite(number) else ""


def _sheet_start(columns: Sequence[SheetColumn], frozen: bool) -> str:
    pane = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>') if frozen else ""
    widths = "".join(f'<col min="{index}" max="{index}" width="{column.width}" customWidth="1"/>'
                     for index, column in enumerate(columns, 1))
    return (f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheetViews>'
            f'<sheetView workbookViewId="0">{pane}</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{widths}</cols><sheetData>")


_PAGE_MARGINS = '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in _ILLEGAL.sub("", title)).strip()
    return cleaned[:31] or "Sheet"


def _quoted_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _relationships(targets: list[tuple[str, str]]) -> str:
    items = "".join(f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"/>'
                    for number, (kind, target) in enumerate(targets, 1))
    return f'<Relationships xmlns="{_PACKAGE}/relationships">{items}</Relationships>'


def _content_types(sheets: int) -> str:
    main = "application/vnd.openxmlformats-officedocument"
    overrides = [("/xl/workbook.xml", f"{main}.spreadsheetml.sheet.main+xml"),
                 ("/xl/styles.xml", f"{main}.spreadsheetml.styles+xml"),
                 ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
                 ("/docProps/app.xml", f"{main}.extended-properties+xml")]
    overrides += [(f"/xl/worksheets/sheet{number}.xml", f"{main}.spreadsheetml.worksheet+xml")
                  for number in range(1, sheets + 1)]
    items = "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
    return ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{items}</Types>')


def _core_properties() -> str:
    # The package's own stamp is UTC ("Z"), as the format expects: Excel shows it in the reader's zone.
    now = clock.utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>surveyapp</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')


class _Deflater:
    """Writes byte chunks to a zip member from a second thread, so deflating overlaps making the XML.

    The queue is short (memory stays flat); an error in the thread is raised in the caller.
    """

    def __init__(self, stream) -> None:
        self.stream, self.error = stream, None
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)
        self.thread.start()

    def __enter__(self) -> "_Deflater":
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and error_type is None:
            raise self.error

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.stream.write(data)
                except BaseException as error:  # noqa: BLE001 - handed to the writing thread
                    self.error = error
