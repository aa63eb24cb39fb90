"""Reading boundary files with GeoPandas: GeoJSON, GeoPackage, Shapefile (with its side files, or
zipped), in any coordinate reference system, returned in WGS 84 (EPSG:4326).

Problems are `BoundaryFileError`s with a `kind` and plain details, so the CLI and the web can each
word them (the web translates them; services never need a request).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
#: Side files a Shapefile cannot do without (.prj is optional: without it the CRS must be lon/lat).
SHAPEFILE_PARTS = (".shx", ".dbf")
WGS84 = "EPSG:4326"

_MESSAGES = {
    "unsupported": "Unsupported file type {suffix!r}: use GeoJSON, GeoPackage, a Shapefile (.shp with its "
                   ".shx, .dbf and .prj) or a zipped Shapefile (.zip).",
    "missing_parts": "The Shapefile lacks its side files {parts}: give the .shp together with them, or zip them.",
    "unreadable": "The file cannot be read as GIS data: {detail}",
    "layers": "The file has several layers; choose one with --layer: {layers}.",
    "no_layer": "The file has no layer {layer!r}; its layers: {layers}.",
    "empty": "The file has no features.",
    "no_crs": "The file does not say its coordinate reference system and its coordinates are not "
              "longitude/latitude (a Shapefile needs its .prj).",
    "bad_crs": "The coordinates cannot be converted to WGS 84: {detail}",
    "no_field": "The file has no attribute {field!r}; its attributes: {fields}.",
    "no_polygons": "No feature of the file is a polygon.",
}


class BoundaryFileError(ValueError):
    """A boundary file that cannot be used; nothing was changed."""

    def __init__(self, kind: str, **details):
        self.kind = kind
        self.details = details
        super().__init__(_MESSAGES[kind].format(**details))


@dataclass
class BoundaryFile:
    #: The features in EPSG:4326, with the file's attribute columns.
    frame: gpd.GeoDataFrame
    #: The file's CRS as it was, e.g. "EPSG:3405" (or "EPSG:4326 (assumed)").
    source_crs: str
    layer: str | None
    file_name: str
    #: Attribute columns (everything but the geometry), in file order.
    fields: list[str] = field(default_factory=list)


def read_boundary_file(path: str | Path, layer: str | None = None) -> BoundaryFile:
    """Read every feature of a boundary file and bring it to EPSG:4326."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BoundaryFileError("unsupported", suffix=path.suffix or path.name)
    if suffix == ".shp":
        _check_shapefile_parts(path)
    layer = _choose_layer(path, layer)
    try:
        frame = gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError) as error:
        raise BoundaryFileError("unreadable", detail=_short(error)) from error
    if frame.empty:
        raise BoundaryFileError("empty")
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.values))
    frame, source_crs = _to_wgs84(frame)
    fields = [str(column) for column in frame.columns if column != frame.geometry.name]
    return BoundaryFile(frame, source_crs, layer, path.name, fields)


def _check_shapefile_parts(path: Path) -> None:
    present = {sibling.suffix.lower() for sibling in path.parent.glob(path.stem + ".*")}
    missing = [part for part in SHAPEFILE_PARTS if part not in present]
    if missing:
        raise BoundaryFileError("missing_parts", parts=", ".join(missing))


def _choose_layer(path: Path, layer: str | None) -> str | None:
    try:
        layers = [str(name) for name, _geometry_type in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, ValueError, OSError) as error:
        raise BoundaryFileError("unreadable", detail=_short(error)) from error
    if not layers:
        raise BoundaryFileError("empty")
    if layer is None:
        if len(layers) > 1:
            raise BoundaryFileError("layers", layers=", ".join(layers))
        return layers[0]
    if layer not in layers:
        raise BoundaryFileError("no_layer", layer=layer, layers=", ".join(layers))
    return layer


def _to_wgs84(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    if frame.crs is None:
        min_x, min_y, max_x, max_y = frame.total_bounds
        if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
            raise BoundaryFileError("no_crs")
        return frame.set_crs(WGS84), f"{WGS84} (assumed)"
    source = frame.crs.to_string()
    try:
        converted = frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)
    except Exception as error:  # pyproj raises several types for impossible transformations
        raise BoundaryFileError("bad_crs", detail=_short(error)) from error
    return converted, source


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
