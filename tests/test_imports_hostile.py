"""Hostile and careless files: spreadsheet bombs and giant CSV rows are refused before a parser holds
them, with a reason people can act on, and a refused upload leaves nothing behind.

The corpus is made here, small: a workbook's XML is written by hand straight into its zip (deflate of
repeated bytes gives a tiny file that expands enormously), and each test lowers the cap it is about,
so no bomb takes more than a few megabytes or a second to build. The largest bombs run with the
default caps in a subprocess whose peak memory is measured.
"""
from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Iterable

import pytest
from sqlmodel import select

from surveyapp.imports.reading import ImportFileError, read_table
from surveyapp.imports.columns import looks_like_header
from surveyapp.imports.safety import Limits
from surveyapp.models import Establishment

from .test_imports import run_import, upload, uploads  # noqa: F401 (uploads is a fixture)

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_CELLS = ("name", "commune_code", "vsic_code", "legal_form")
ROW_CELLS = ("Cơ sở Tay Làm", "31498", "1071", "HKD")


def inline_row(number: int, values: Iterable[str]) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values)
    return f'<row r="{number}">{cells}</row>'.encode()


def sheet(rows: Iterable[bytes], dimension: str | None = "A1:D2", prologue: bytes = b"") -> Iterable[bytes]:
    """A worksheet's XML in chunks: the header, then `rows` as given (bytes of <row> elements)."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>' + prologue
    yield f'<worksheet xmlns="{MAIN}">'.encode()
    if dimension:  # openpyxl cuts every row at the dimension's last column, or fills it up to it
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield inline_row(1, HEADER_CELLS)
    yield from rows
    yield b"</sheetData></worksheet>"


def repeated(chunk: bytes, times: int, block: int = 10_000) -> Iterable[bytes]:
    """`chunk` `times` times, a block at a time (the test never holds the expanded part)."""
    for start in range(0, times, block):
        yield chunk * min(block, times - start)


def workbook(path: Path, worksheet: Iterable[bytes], parts: dict[str, Iterable[bytes]] | None = None) -> Path:
    """An .xlsx written by hand: openpyxl reads it like Excel's own."""
    parts = parts or {}
    strings = "xl/sharedStrings.xml" in parts
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.sharedStrings+xml"/>' if strings else "") + "</Types>"))
        archive.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                         f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}'
                         f'/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                         f'xmlns:r="{RELATIONSHIPS}"><sheets><sheet name="Cơ sở" sheetId="1" r:id="rId1"/></sheets>'
                         f'</workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/sheet1.xml"/>'
            + (f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
               if strings else "") + "</Relationships>"))
        for name, chunks in {"xl/worksheets/sheet1.xml": worksheet, **parts}.items():
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
    return path


def shared_strings(count: int, text: str = "x") -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
    yield from repeated(f"<si><t>{text}</t></si>".encode(), count)
    yield b"</sst>"


# --- the corpus: name → (how the file is made, the caps lowered for it, the reason given) ----------------------

def wide_row(path):
    """One row of 100,000 cells (one row of 40 million took 10 GB)."""
    return workbook(path, sheet([b'<row r="2">', *repeated(b"<c><v>1</v></c>", 100_000), b"</row>"]))


def far_column(path):
    """A few cells, each in column XFD (16,384): openpyxl fills every row up to it."""
    return workbook(path, sheet(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'.encode() for n in range(2, 50)))


def many_cells(path):
    return workbook(path, sheet(inline_row(n, ROW_CELLS * 5) for n in range(2, 700)))


def unused_strings(path):
    """Shared strings no cell uses (1.5 GB of them came in a 1.5 MB file)."""
    return workbook(path, sheet([inline_row(2, ROW_CELLS)]), {"xl/sharedStrings.xml": shared_strings(5_000)})


def big_strings_part(path):
    return workbook(path, sheet([inline_row(2, ROW_CELLS)]),
                    {"xl/sharedStrings.xml": shared_strings(100, "x" * 30_000)})


def zeros_part(path):
    """20 MB of zeros in a part nobody reads: deflate makes it 20 kB."""
    return workbook(path, sheet([inline_row(2, ROW_CELLS)]), {"xl/media/image1.png": repeated(b"\0" * 1000, 20_000)})


def large_part(path):
    return workbook(path, sheet([inline_row(2, ROW_CELLS)]),
                    {"xl/media/image1.png": [os.urandom(1000) for _ in range(3000)]})


def many_parts(path):
    workbook(path, sheet([inline_row(2, ROW_CELLS)]))
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(1200):
            archive.writestr(f"xl/media/{n}.txt", "")
    return path


def laughs(path):
    """Entities that expand to a billion "lol"s."""
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    prologue = f'<!DOCTYPE worksheet [<!ENTITY l0 "lol">{entities}]>'.encode()
    return workbook(path, sheet([b'<row r="2"><c t="inlineStr"><is><t>&l9;</t></is></c></row>'], prologue=prologue))


def row_past_excel(path):
    """A row numbered 2 billion: openpyxl would hand over 2 billion empty rows before it."""
    return workbook(path, sheet([inline_row(2_000_000_000, ROW_CELLS)]))


def csv_file_of(path, lines: Iterable[str]):
    path.write_bytes("".join(lines).encode("utf-8-sig"))
    return path


def comma_line(path):
    """A line of 2 million commas: 2 million columns in one row."""
    return csv_file_of(path, [",".join(HEADER_CELLS) + "\n", "," * 2_000_000 + "\n"])


def wide_csv_row(path):
    return csv_file_of(path, [",".join(HEADER_CELLS) + "\n", ",".join(ROW_CELLS + ("x",) * 300) + "\n"])


def many_csv_cells(path):
    return csv_file_of(path, [",".join(HEADER_CELLS) + "\n"] + [",".join(ROW_CELLS) + "\n"] * 3000)


CORPUS = {
    "wide_row.xlsx": (wide_row, {"IMPORT_MAX_RATIO": 10**6}, "Row 2 has cells past column IV (at most 256 columns)"),
    "far_column.xlsx": (far_column, {}, "Row 2 has cells past column IV (at most 256 columns)"),
    "many_cells.xlsx": (many_cells, {"IMPORT_MAX_CELLS": 10_000}, "The file has more than 10,000 cells"),
    "unused_strings.xlsx": (unused_strings, {"IMPORT_MAX_SHARED_STRINGS": 1000},
                            "shared text has more than 1,000 entries"),
    "big_strings_part.xlsx": (big_strings_part, {"IMPORT_MAX_PART": MB, "IMPORT_MAX_RATIO": 10**6},
                              "Part xl/sharedStrings.xml of the workbook expands to more than 1 MB"),
    "zeros_part.xlsx": (zeros_part, {}, "Part xl/media/image1.png of the workbook expands 1,0"),
    "large_part.xlsx": (large_part, {"IMPORT_MAX_UNZIPPED": 2 * MB}, "Part xl/media/image1.png of the workbook "
                        "expands to more than 2 MB"),
    "many_parts.xlsx": (many_parts, {}, "The workbook holds more than 1,000 parts"),
    "laughs.xlsx": (laughs, {}, "The workbook declares a document type or entities"),
    "row_past_excel.xlsx": (row_past_excel, {}, "The sheet has a row numbered past 1,048,576"),
    "comma_line.csv": (comma_line, {}, "Line 2 of the CSV is longer than 1,048,576 characters"),
    "wide_csv_row.csv": (wide_csv_row, {}, "Row 2 has more than 256 columns"),
    "many_csv_cells.csv": (many_csv_cells, {"IMPORT_MAX_CELLS": 10_000}, "The file has more than 10,000 cells"),
}


def test_a_workbook_written_by_hand_imports(runner, session, tmp_path):
    """The corpus' workbooks are real ones: with data instead of a bomb, the row is imported."""
    path = workbook(tmp_path / "hand.xlsx", sheet([inline_row(2, ROW_CELLS)]))
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert session.exec(select(Establishment)).one().name == "Cơ sở Tay Làm"


@pytest.mark.parametrize("name", CORPUS)
def test_each_bomb_is_refused_with_one_error_line(app, runner, tmp_path, name):
    make, caps, reason = CORPUS[name]
    path = make(tmp_path / name)
    assert path.stat().st_size < 4 * MB
    app.config.update(caps)
    started = time.perf_counter()
    result = run_import(runner, path)
    assert time.perf_counter() - started < 30
    assert result.exit_code == 1
    assert reason in result.output
    assert result.output.count("Error:") == 1 and "Traceback" not in result.output


def test_a_refused_upload_shows_the_reason_and_is_deleted(client, uploads, tmp_path):
    path = far_column(tmp_path / "far.xlsx")
    response = upload(client, path)
    assert response.status_code == 422 and 'id="file-error"' in response.text
    assert "Dòng 2 có ô vượt quá cột IV (tối đa 256 cột)" in response.text
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_an_upload_whose_check_fails_unexpectedly_is_deleted(app, client, uploads, tmp_path, monkeypatch):
    from surveyapp.imports import services

    def broken(*_args, **_kwargs):
        raise MemoryError("the check ran out of memory")

    monkeypatch.setattr(services, "check_file", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(MemoryError):
        upload(client, workbook(tmp_path / "list.xlsx", sheet([inline_row(2, ROW_CELLS)])))
    assert list(uploads.iterdir()) == []


def test_the_declared_dimension_is_not_trusted(tmp_path):
    """A sheet that claims A1:XFD1048576: its rows are read as long as they are, not filled to column XFD."""
    path = workbook(tmp_path / "dimension.xlsx", sheet([inline_row(2, ROW_CELLS)], dimension="A1:XFD1048576"))
    table = read_table(path.read_bytes(), path.name, looks_like_header)
    assert table.headers == list(HEADER_CELLS)
    assert table.rows == [(2, list(ROW_CELLS))]


def test_caps_come_from_the_configuration():
    assert Limits.from_config({"IMPORT_MAX_CELLS": 7}) == Limits(cells=7)
    assert Limits.from_config({}) == Limits()


def test_read_table_refuses_a_bomb_itself(tmp_path):
    """The reading layer refuses whoever calls it (the CLI, the page, a script)."""
    data = far_column(tmp_path / "far.xlsx").read_bytes()
    with pytest.raises(ImportFileError, match="past column"):
        read_table(data, "far.xlsx", looks_like_header)


# --- memory, in a subprocess of its own --------------------------------------------------------------------------

MEMORY_CAP_MB = 300
#: The subprocess imports each file with the CLI, on the test's database and the default caps, and reports
#: its own peak resident memory after each (the app alone takes about 220 MB). The peak is the kernel's
#: VmHWM: ru_maxrss, of the child or of RUSAGE_CHILDREN, starts from the forking test process's own peak.
RUN_IMPORTS = """
import json, re, sys
from surveyapp import create_app

def peak_mb():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s*(\\d+) kB", status.read()).group(1)) / 1024

app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "test"})
for path in sys.argv[2:]:
    result = app.test_cli_runner().invoke(args=["import", path, "--dry-run"])
    print(json.dumps({"file": path, "exit": result.exit_code, "output": result.output[-2000:],
                      "error": repr(result.exception) if result.exit_code not in (0, 1) else None,
                      "peak_mb": peak_mb()}), flush=True)
"""


def million_cells_row(path):
    """One row of 4 million cells, 64 MB of XML in a 120 kB file (the reported one had 40 million)."""
    return workbook(path, sheet([b'<row r="2">', *repeated(b"<c><v>1</v></c>", 4_000_000, 500_000), b"</row>"]))


def far_column_rows(path):
    """20,000 rows, each one cell in column XFD, and no dimension: 2.6 GB once openpyxl fills the rows."""
    rows = (f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'.encode() for n in range(2, 20_000))
    return workbook(path, sheet(rows, dimension=None))


def lying_dimension(path):
    """5,000 rows of four cells in a sheet that claims to reach column XFD: openpyxl filled each row to it."""
    rows = (inline_row(n, (f"Cơ sở {n}",) + ROW_CELLS[1:]) for n in range(2, 5002))
    return workbook(path, sheet(rows, dimension="A1:XFD1048576"))


def strings_bomb(path):
    """85 MB of shared strings nobody uses, in a 200 kB file."""
    return workbook(path, sheet([inline_row(2, ROW_CELLS)]), {"xl/sharedStrings.xml": shared_strings(5_000_000)})


def commas(path):
    """A 20 MB line of commas: a row of 20 million columns."""
    return csv_file_of(path, [",".join(HEADER_CELLS) + "\n", "," * 20_000_000 + "\n"])


MEMORY_BOMBS = {million_cells_row: "expands 5", far_column_rows: "past column IV",
                lying_dimension: None, strings_bomb: "expands", commas: "Line 2 of the CSV is longer"}


def peaks_of_imports(app, paths: list[Path], limit_mb: int = 1024) -> list[dict]:
    def limit_memory():  # a failing run stops at a MemoryError instead of taking the machine's memory
        resource.setrlimit(resource.RLIMIT_DATA, (limit_mb * MB, limit_mb * MB))

    completed = subprocess.run([sys.executable, "-c", RUN_IMPORTS, app.config["DATABASE_URL"], *map(str, paths)],
                               capture_output=True, text=True, timeout=180, cwd=ROOT, preexec_fn=limit_memory,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    return [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from Linux's /proc")
def test_an_import_stays_under_300_mb_whatever_the_file(app, tmp_path):
    paths = [make(tmp_path / f"{make.__name__}.{'csv' if make is commas else 'xlsx'}") for make in MEMORY_BOMBS]
    assert all(path.stat().st_size < 1 * MB or path.suffix == ".csv" for path in paths)
    outcomes = peaks_of_imports(app, paths)
    for path, outcome in zip(paths, outcomes):
        print(f"\n{path.name}: {path.stat().st_size / 1024:.0f} kB, peak so far {outcome['peak_mb']:.0f} MB")
    assert len(outcomes) == len(paths), outcomes
    for (make, reason), outcome in zip(MEMORY_BOMBS.items(), outcomes):
        assert outcome["error"] is None and "Traceback" not in outcome["output"], outcome
        if reason is None:
            assert outcome["exit"] == 0 and "would add 5000" in outcome["output"], outcome
        else:
            assert outcome["exit"] == 1 and reason in outcome["output"], outcome
            assert re.search(r"^Error: ", outcome["output"], re.M)
    assert max(outcome["peak_mb"] for outcome in outcomes) < MEMORY_CAP_MB


VALID_HEADER = ("name", "owner", "address", "phone", "tax_code", "commune_code", "vsic_code", "legal_form", "status",
                "workers", "revenue_vnd", "capital_vnd", "year_started", "lat", "lon")


def valid_rows_csv(path: Path, count: int) -> Path:
    """`count` new establishments, every cell valid and most of them different from row to row (names,
    owners, addresses, phones, amounts and points), as a real registry extract is."""
    lines = (f"Cơ sở chế biến số {n},Nguyễn Văn Chủ {n},Ấp {n % 97} đường số {n},0299{n:07d},{1800000000 + n},"
             f"{('31498', '31501')[n % 2]},1071,HKD,active,{n % 50 + 1},{250_000_000 + n * 1000},{n * 500},"
             f"{1990 + n % 30},{9.55 + n % 1000 / 10_000:.6f},{105.95 + n % 997 / 10_000:.6f}\n"
             for n in range(count))
    return csv_file_of(path, [",".join(VALID_HEADER) + "\n", *lines])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from Linux's /proc")
def test_a_valid_100000_row_import_stays_under_300_mb(app, tmp_path):
    """The largest file allowed (IMPORT_MAX_ROWS), all of it valid: the dry run holds every planned row."""
    path = valid_rows_csv(tmp_path / "registry.csv", 100_000)
    started = time.perf_counter()
    [outcome] = peaks_of_imports(app, [path])
    print(f"\n{path.name}: {path.stat().st_size / MB:.0f} MB, peak {outcome['peak_mb']:.0f} MB, "
          f"{time.perf_counter() - started:.0f} s")
    assert outcome["exit"] == 0 and "would add 100000" in outcome["output"], outcome
    assert outcome["peak_mb"] < MEMORY_CAP_MB


def test_planned_values_read_like_the_dict_they_replace():
    from surveyapp.imports.validation import RowValues

    index = {"name": 0, "commune_code": 1, "lat": 2}
    row = RowValues(index, {"name": "Cơ sở A", "lat": None})  # the commune's cell did not parse
    assert row == {"name": "Cơ sở A", "lat": None} and list(row) == ["name", "lat"] and len(row) == 2
    assert "lat" in row and row["lat"] is None and "commune_code" not in row and "owner" not in row
    assert row.get("commune_code") is None and row.get("owner", "-") == "-"
    with pytest.raises(KeyError):
        row["commune_code"]


HEAVY_LIBRARIES = ("pandas", "geopandas", "shapely", "pyogrio", "folium", "pyproj")


def test_the_app_and_its_commands_start_without_the_map_libraries(app):
    """pandas, geopandas, shapely, pyogrio and folium (~100 MB) load with the first map, not at start-up."""
    script = ("import sys; from surveyapp import create_app; import surveyapp.cli, surveyapp.imports.services; "
              "create_app({'TESTING': True, 'DATABASE_URL': sys.argv[1], 'SECRET_KEY': 'test'}); "
              f"print(sorted(name for name in {HEAVY_LIBRARIES!r} if name in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", script, app.config["DATABASE_URL"]], capture_output=True,
                               text=True, timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "[]"
