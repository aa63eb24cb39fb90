"""File formats at the edge: each writer consumes any stream of row dicts and keeps memory flat.

CSV and GeoJSON are generators of byte chunks (a web response streams them; the command line writes
them to a file). XLSX and GeoPackage are files (a zip, an SQLite database), written to a path in
openpyxl's write-only mode or in appended chunks, then sent.
"""
from __future__ import annotations

import csv
import io
import json
import math
import struct
from typing import Any, Iterable, Iterator

import numpy as np

from .columns import ESTABLISHMENT_COLUMNS, Column
from .xlsx import FORMULA_TRIGGERS, SheetColumn, is_formula_like, new_workbook, write_about_sheet, write_sheet

#: Rows gathered before a chunk is handed on (CSV/GeoJSON bytes, GeoPackage appends).
CHUNK_ROWS = 1000
_TRIGGER_CHARACTERS = frozenset(FORMULA_TRIGGERS)
GPKG_CHUNK_ROWS = 5000


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers.

    Only text is touched, so a negative number (-5) is still the number -5; the import removes the
    apostrophe again, so an export read back is unchanged.
    """
    return "'" + value if is_formula_like(value) else value


def csv_chunks(rows: Iterable[dict], language: str = "en",
               columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel then shows Vietnamese correctly), one header row.

    Numbers are written plainly (1500000, 9.60312: floats in their shortest exact form), empty
    values as empty fields; text columns are neutralised against formula injection.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(column.header(language)) for column in columns])
    keys = [column.key for column in columns]
    text = [index for index, column in enumerate(columns) if not column.numeric]
    for count, row in enumerate(rows, 1):
        values = [row[key] for key in keys]
        for index in text:
            value = values[index]
            if value and isinstance(value, str) and value[0] in _TRIGGER_CHARACTERS:
                values[index] = "'" + value
        writer.writerow(values)
        if count % CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def geojson_chunks(rows: Iterable[dict], language: str = "en",
                   columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection of points (WGS 84, [lon, lat]); no point → null geometry.

    Coordinates are not repeated among the properties. Text is not neutralised: GeoJSON is data for
    GIS programs, not a spreadsheet.
    """
    properties = [(column.header(language), column.key) for column in columns if column.key not in ("lat", "lon")]
    yield b'{"type":"FeatureCollection","features":[\n'
    features: list[dict] = []
    first = True
    for row in rows:
        features.append({
            "type": "Feature",
            "id": row.get("establishment_code"),
            "geometry": _point(row.get("lat"), row.get("lon")),
            "properties": {header: row[key] for header, key in properties},
        })
        if len(features) >= CHUNK_ROWS:
            yield _features_text(features, first)
            features, first = [], False
    yield _features_text(features, first) + b"]}\n"


def _features_text(features: list[dict], first: bool) -> bytes:
    """Features as JSON array members, one per line, with the comma that joins them to earlier ones."""
    if not features:
        return b""
    text = json.dumps(features, ensure_ascii=False, separators=(",", ":"))[1:-1].replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    return (("" if first else ",\n") + text + "\n").encode("utf-8")


def _point(lat: float | None, lon: float | None) -> dict | None:
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def write_xlsx(path: str, rows: Iterable[dict], about: list[tuple[str, Any]], language: str = "en",
               columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> int:
    """Establishments on the first sheet, the filter, time and row count on the second; returns rows."""
    workbook = new_workbook()
    sheet_columns = [SheetColumn(column.header(language), column.kind, column.width) for column in columns]
    keys = [column.key for column in columns]
    title = "Cơ sở" if language == "vi" else "Establishments"
    count = write_sheet(workbook, title, sheet_columns, ([row[key] for key in keys] for row in rows))
    write_about_sheet(workbook, "Thông tin" if language == "vi" else "About", about + [
        ("Số dòng" if language == "vi" else "Rows", count)])
    workbook.save(path)
    return count


def write_gpkg(path: str, rows: Iterable[dict], language: str = "en",
               columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS,
               boundary_layers: dict[str, list[tuple[str, str, dict]]] | None = None) -> int:
    """A GeoPackage with an `establishments` point layer (WGS 84), appended chunk by chunk, and one
    polygon layer per entry of `boundary_layers` (name → [(code, name, GeoJSON geometry)]). Returns rows."""
    from pyogrio.raw import write

    fields = [column for column in columns if column.key not in ("lat", "lon")]
    names = [column.header(language) for column in fields]
    chunk: list[dict] = []
    count, written = 0, False
    for row in rows:
        chunk.append(row)
        count += 1
        if len(chunk) >= GPKG_CHUNK_ROWS:
            _write_points(write, path, chunk, fields, names, append=written)
            chunk, written = [], True
    if chunk or not written:
        _write_points(write, path, chunk, fields, names, append=written)
    for layer, features in (boundary_layers or {}).items():
        if features:
            _write_polygons(write, path, layer, features, language)
    return count


def _write_points(write, path: str, chunk: list[dict], fields: list[Column], names: list[str], append: bool) -> None:
    geometry = np.array([_point_wkb(row["lat"], row["lon"]) for row in chunk], dtype=object)
    data, masks = [], []
    for column in fields:
        values = [row[column.key] for row in chunk]
        mask = np.array([value is None for value in values], dtype=bool)
        if column.kind in ("int", "money"):
            array = np.array([0 if value is None else value for value in values], dtype=np.int64)
        elif column.kind == "coordinate":
            array = np.array([math.nan if value is None else value for value in values], dtype=np.float64)
        else:
            array = np.array(values, dtype=object)
        data.append(array)
        masks.append(mask)
    write(path, geometry, data, names, field_mask=masks, layer="establishments", driver="GPKG",
          geometry_type="Point", crs="EPSG:4326", encoding="UTF-8", append=append)


def _point_wkb(lat: float | None, lon: float | None) -> bytes | None:
    if lat is None or lon is None:
        return None
    return struct.pack("<BIdd", 1, 1, lon, lat)  # little-endian WKB Point (x = longitude)


def _write_polygons(write, path: str, layer: str, features: list[tuple[str, str, dict]], language: str) -> None:
    from shapely import to_wkb
    from shapely.geometry import MultiPolygon, shape

    geometries = []
    for _code, _name, geometry in features:
        polygon = shape(geometry)
        geometries.append(to_wkb(MultiPolygon([polygon]) if polygon.geom_type == "Polygon" else polygon))
    names = ["Mã", "Tên"] if language == "vi" else ["code", "name"]
    data = [np.array([code for code, _, _ in features], dtype=object),
            np.array([name for _, name, _ in features], dtype=object)]
    write(path, np.array(geometries, dtype=object), data, names, layer=layer, driver="GPKG",
          geometry_type="MultiPolygon", crs="EPSG:4326", encoding="UTF-8", append=True)
