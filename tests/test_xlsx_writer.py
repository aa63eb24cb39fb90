"""The streaming XLSX writer: what openpyxl reads back equals what was written, as openpyxl wrote it.

The writer has a fast path (a batch of plain text or finite numbers, one template a column) and a
careful path (anything else, cell by cell); these tests mix both in one sheet, compare every value,
type and number format with a workbook openpyxl itself writes, and check escaping, errors and memory.
"""
from __future__ import annotations

import datetime as dt
import decimal
import io
import tracemalloc
import zipfile

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook

from surveyapp.exports import xlsx
from surveyapp.exports.xlsx import SheetColumn, new_workbook, write_about_sheet, write_sheet

COLUMNS = [SheetColumn("code", "code", 15), SheetColumn("name", "text", 40), SheetColumn("workers", "int", 10),
           SheetColumn("revenue", "money", 17), SheetColumn("lat", "coordinate", 11), SheetColumn("share", "percent")]
FORMATS = {"workers": "#,##0", "revenue": "#,##0", "lat": "0.000000", "share": "0.0"}


def written(path, columns, rows, about=()):
    with new_workbook(str(path)) as workbook:
        count = write_sheet(workbook, "Establishments", columns, rows)
        write_about_sheet(workbook, "About", [*about, ("Rows", count)])
    return count, load_workbook(path)


def test_sheets_headers_widths_frozen_header_and_autofilter(tmp_path):
    rows = [("94-941-000001", "Bánh pía Tân Huê Viên", 5, 1_500_000, 9.622097, 12.5)]
    count, workbook = written(tmp_path / "x.xlsx", COLUMNS, rows, [("Filter", "district=941"), ("Title", "")])
    assert count == 1 and workbook.sheetnames == ["Establishments", "About"]
    sheet, about = workbook.worksheets
    assert [cell.value for cell in sheet[1]] == [column.header for column in COLUMNS]
    assert all(cell.font.b and cell.alignment.vertical == "top" for cell in sheet[1])
    assert [sheet.column_dimensions[letter].width for letter in "ABCDEF"] == [15, 40, 10, 17, 11, 14]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F2"
    assert [cell.value for cell in sheet[2]] == list(rows[0])
    assert {sheet.cell(2, index + 1).number_format for index in range(2)} == {"General"}
    assert [sheet.cell(2, index + 3).number_format for index in range(4)] == list(FORMATS.values())
    assert about.freeze_panes is None and about.column_dimensions["B"].width == 70
    assert [[cell.value for cell in row] for row in about.iter_rows()] == [
        ["Filter", "district=941"], ["Title", None], ["Rows", 1]]
    assert all(row[0].font.b for row in about.iter_rows()) and about["B3"].number_format == "#,##0"
    assert about["B3"].data_type == "n"


def test_values_and_types_read_back_as_openpyxl_wrote_them(tmp_path):
    """Every kind of value, through both paths, against a workbook openpyxl writes from the same values."""
    values = [None, "", "text", "Nguyễn Thị Hiền", 0, -5, 1_500_000, 12_345_678_901_234_567_890, 0.1 + 0.2, -0.0,
              1e-07, 9.622097, True, False, decimal.Decimal("12.50"), np.float64(1.25), np.int64(7),
              dt.date(2026, 11, 26), dt.datetime(2026, 11, 26, 10, 30, 15), dt.time(8, 15), dt.timedelta(hours=30),
              dt.date(1900, 1, 15), float("nan"), float("inf"), "a\nb", "tab\tinside", "  padded  ",
              "=1+1", "@SUM(1)", "+84 912", "-2+3", "\tindented", "A & B <C> 'q' \"d\"", "emoji 🙂"]
    columns = [SheetColumn("text"), SheetColumn("number", "int"), SheetColumn("coordinate", "coordinate")]
    rows = [(value, value, value) for value in values]
    _count, workbook = written(tmp_path / "ours.xlsx", columns, rows)
    ours = workbook.worksheets[0]
    reference = Workbook()
    sheet = reference.active
    for index, value in enumerate(values, 2):
        for column, number_format in ((1, None), (2, "#,##0"), (3, "0.000000")):
            cell = sheet.cell(index, column, value=value)
            if number_format and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = number_format
            if isinstance(value, str) and xlsx.is_formula_like(value):
                cell.data_type, cell.quotePrefix = "s", True
    reference.save(tmp_path / "openpyxl.xlsx")
    theirs = load_workbook(tmp_path / "openpyxl.xlsx").active
    differences = []
    for index, value in enumerate(values, 2):
        for column in (1, 2, 3):
            got, want = ours.cell(index, column), theirs.cell(index, column)
            seen = [(cell.value, cell.data_type, cell.number_format, cell.quotePrefix) if cell.value is not None
                    else None for cell in (got, want)]  # an empty cell's type and format do not matter
            if seen[0] != seen[1]:
                differences.append((value, column, *seen))
    # Deliberate: openpyxl rounds numbers to 16 digits (these are now exact), and formats only int and
    # float in a numeric column (a Decimal or a numpy integer now gets the column's format too).
    exact = [(value, column, (value, "n", number_format, False), (rounded, "n", number_format, False))
             for value, rounded in ((12_345_678_901_234_567_890, 1.234567890123457e19), (0.1 + 0.2, 0.3))
             for column, number_format in ((1, "General"), (2, "#,##0"), (3, "0.000000"))]
    formatted = [(value, column, (number, "n", number_format, False), (number, "n", "General", False))
                 for value, number in ((decimal.Decimal("12.50"), 12.5), (np.int64(7), 7))
                 for column, number_format in ((2, "#,##0"), (3, "0.000000"))]
    assert differences == exact + formatted


def test_escaping_and_characters_xml_cannot_hold(tmp_path):
    names = ["A & B <C> > D", "Tab\tand\x01control\x1fcharacters\x0b", "\x00", "bad \ud800 surrogate \uffff",
             "line\r\nbreak", " leading", "trailing\n", "]]> not a CDATA end", "=HYPERLINK(\"http://x\",\"y\")"]
    _count, workbook = written(tmp_path / "x.xlsx", [SheetColumn("name")], [(name,) for name in names])
    got = [row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert got == ["A & B <C> > D", "Tab\tandcontrolcharacters", None, "bad  surrogate ", "line\r\nbreak",
                   " leading", "trailing\n", "]]> not a CDATA end", "=HYPERLINK(\"http://x\",\"y\")"]
    assert workbook.worksheets[0]["A10"].quotePrefix and workbook.worksheets[0]["A10"].data_type == "s"
    with zipfile.ZipFile(tmp_path / "x.xlsx") as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("special", ["x & y", "=1", " x", "x ", "\x02", 0, 1.5, "", None])
def test_a_special_value_in_one_batch_leaves_the_others_alone(tmp_path, monkeypatch, special):
    """Batches of 3 rows: the batch with the special value takes the careful path, the others the fast one."""
    monkeypatch.setattr(xlsx, "BATCH_ROWS", 3)
    rows = [(f"c{index}", f"Name {index}", index, index * 1000, 9.5 + index, None) for index in range(10)]
    rows[4] = (special, special, special, rows[4][3], special, special)
    _count, workbook = written(tmp_path / "x.xlsx", COLUMNS, rows)
    got = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    expected = (special.replace("\x02", "") or None) if isinstance(special, str) else special
    assert got[4] == (expected, expected, expected, 4000, expected, expected)
    assert got[:4] + got[5:] == rows[:4] + rows[5:]


def test_empty_sheet_has_only_the_header(tmp_path):
    count, workbook = written(tmp_path / "x.xlsx", COLUMNS, iter([]))
    sheet = workbook.worksheets[0]
    assert count == 0 and sheet.max_row == 1 and sheet.auto_filter.ref == "A1:F1"


def test_a_workbook_without_a_path_is_saved_like_openpyxls(tmp_path):
    """How the reports use it: sheets first, then save() to a path or a file object."""
    workbook = new_workbook()
    write_sheet(workbook, "Districts", [SheetColumn("district"), SheetColumn("revenue", "decimal")],
                [("941", 1.25), ("Total", 12.5)])
    write_about_sheet(workbook, "About", [("Report", "Districts")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.save(tmp_path / "x.xlsx")
    for source in (io.BytesIO(buffer.getvalue()), tmp_path / "x.xlsx"):
        sheet = load_workbook(source)["Districts"]
        assert [row for row in sheet.iter_rows(values_only=True)] == [("district", "revenue"), ("941", 1.25),
                                                                      ("Total", 12.5)]
        assert sheet["B2"].number_format == "#,##0.0"


def test_sheet_titles_are_cleaned_and_unique(tmp_path):
    with new_workbook(str(tmp_path / "x.xlsx")) as workbook:
        write_sheet(workbook, "Q1: A/B [draft] & 'C'", [SheetColumn("a")], [("x",)])
        write_sheet(workbook, "Q1: A/B [draft] & 'C'", [SheetColumn("a")], [("y",)])
        write_about_sheet(workbook, "", [])
    loaded = load_workbook(tmp_path / "x.xlsx")
    assert loaded.sheetnames == ["Q1  A B  draft  & 'C'", "Q1  A B  draft  & 'C'1", "Sheet"]
    assert loaded.worksheets[1]["A2"].value == "y" and loaded.worksheets[1].auto_filter.ref == "A1:A2"


@pytest.mark.parametrize("rows, error", [
    ([("a", "b")], "every row must have 1 values"),
    ([("a",), ("a", "b")], "every row must have 1 values"),
    ([(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),)], "timezones"),
    ([(object(),)], "cannot store object"),
])
def test_bad_rows_are_refused_and_leave_no_file(tmp_path, rows, error):
    path = tmp_path / "x.xlsx"
    with pytest.raises((ValueError, TypeError), match=error):
        written(path, [SheetColumn("a")], rows)
    assert not path.exists()


def test_more_rows_than_a_worksheet_holds_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    monkeypatch.setattr(xlsx, "BATCH_ROWS", 2)
    assert written(tmp_path / "ok.xlsx", [SheetColumn("a")], [(1,)] * 5)[0] == 5
    with pytest.raises(ValueError, match="more than 5 rows do not fit in one worksheet"):
        written(tmp_path / "x.xlsx", [SheetColumn("a")], [(1,)] * 6)
    assert not (tmp_path / "x.xlsx").exists()


def test_an_error_in_the_rows_propagates_and_leaves_no_file(tmp_path):
    def rows():
        yield ("a",)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        written(tmp_path / "x.xlsx", [SheetColumn("a")], rows())
    assert not (tmp_path / "x.xlsx").exists()


def synthetic_rows(count: int):
    for index in range(count):
        yield (f"94-941-{index:06d}", f"Cơ sở số {index} & con", index % 50, index * 1000, 9.6 + index / 1e6, None)


def test_memory_does_not_grow_with_rows(tmp_path):
    peaks = []
    for count in (3_000, 30_000):
        tracemalloc.start()
        with new_workbook(str(tmp_path / f"{count}.xlsx")) as workbook:
            assert write_sheet(workbook, "E", COLUMNS, synthetic_rows(count)) == count
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    small, large = peaks
    assert large < small * 1.3 + 256 * 1024, peaks
    sheet = load_workbook(tmp_path / "30000.xlsx", read_only=True).worksheets[0]
    last = list(sheet.iter_rows(min_row=30_001, values_only=True))  # read-only rows stop at the last value
    assert last == [("94-941-029999", "Cơ sở số 29999 & con", 49, 29_999_000, 9.6 + 29_999 / 1e6)]
