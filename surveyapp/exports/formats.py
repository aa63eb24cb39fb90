"""File formats at the edge: each writer consumes any stream of row dicts and keeps memory flat.

CSV and GeoJSON are generators of byte chunks (a web response streams them; the command line writes
them to a file). XLSX and GeoPackage are files (a zip, an SQLite database), written to a path as the
rows come (worksheet XML straight into the zip; appended chunks), then sent.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import math
import operator
import struct
from typing import Any, Iterable, Iterator


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
    """The CSV of row dicts: see `csv_batch_chunks`."""
    values = operator.itemgetter(*[column.key for column in columns])
    rows = iter(rows)
    batches = iter(lambda: [values(row) for row in itertools.islice(rows, CHUNK_ROWS)], [])
    return csv_batch_chunks(batches, language, columns)


def csv_batch_chunks(batches: Iterable[list[tuple]], language: str = "en",
                     columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel then shows Vietnamese correctly), one header row, then one
    chunk per batch of value tuples (in `columns` order).

    Numbers are written plainly (1500000, 9.60312: floats in their shortest exact form), empty
    values as empty fields; text columns are neutralised against formula injection.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield csv_header(language, columns)
    text = [index for index, column in enumerate(columns) if not column.numeric]
    for batch in batches:
        writer.writerows(_neutralised(batch, text))
        yield _drain(buffer)


def csv_header(language: str = "en", columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> bytes:
    """The byte-order mark (Excel then shows Vietnamese correctly) and the header line."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise(column.header(language)) for column in columns])
    return _drain(buffer)


def csv_line_chunks(line_batches: Iterable[tuple[int, bytes]], language: str = "en",
                    columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> Iterator[bytes]:
    """The same file from lines the database wrote (`queries.csv_line_batches`: (rows, bytes)), a chunk
    per batch."""
    yield csv_header(language, columns)
    for _rows, data in line_batches:
        if data:
            yield data


def _neutralised(batch: list[tuple], text: list[int]) -> Iterator[tuple]:
    for row in batch:
        for index in text:
            value = row[index]
            if value and value[0] in _TRIGGER_CHARACTERS:
                yield tuple(neutralise(value) if i in text else value for i, value in enumerate(row))
                break
        else:
            yield row


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
    sheet_columns = [SheetColumn(column.header(language), column.kind, column.width) for column in columns]
    keys = [column.key for column in columns]
    values = operator.itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)  # one C call a row
    title = "Cơ sở" if language == "vi" else "Establishments"
    with new_workbook(path) as workbook:
        count = write_sheet(workbook, title, sheet_columns, map(values, rows))
        write_about_sheet(workbook, "Thông tin" if language == "vi" else "About", about + [
            ("Số dòng" if language == "vi" else "Rows", count)])
    return count


def write_gpkg(path: str, rows: Iterable[dict], language: str = "en",
               columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS,
               boundary_layers: dict[str, list[tuple[str, str, dict]]] | None = None) -> int:
    """A GeoPackage with an `establishments` point layer (WGS 84), appended chunk by chunk, and one
    polygon layer per entry of `boundary_layers` (name → [(code, name, GeoJSON geometry)]). Returns rows."""
    from pyogrio.raw import write

    from ..geo.safe_files import gdal
    gdal()  # GDAL off the network, as for every file it touches

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
    import numpy as np
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
    import numpy as np
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
