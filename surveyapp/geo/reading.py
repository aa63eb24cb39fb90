"""Reading boundary files with GeoPandas: GeoJSON, GeoPackage, Shapefile (with its side files, or
zipped), in any coordinate reference system, returned in WGS 84 (EPSG:4326).

What GDAL may open is decided by `safe_files` (by the bytes, copied into a temporary folder of our
own, within `Limits`). Problems are `BoundaryFileError`s with a `kind` and plain details, so the CLI
and the web can each word them (the web translates them; services never need a request).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import tempfile
from dataclasses import dataclass, field
from pathlib import Path


if TYPE_CHECKING:
    import geopandas as gpd

from .file_errors import BoundaryFileError
from .safe_files import Deadline, Limits, LocalDataset, check_driver, check_local, gdal, local_dataset

__all__ = ["BoundaryFile", "BoundaryFileError", "Limits", "SUFFIXES", "read_boundary_file"]

SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
WGS84 = "EPSG:4326"


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


def read_boundary_file(path: str | Path, layer: str | None = None, limits: Limits | None = None,
                       deadline: Deadline | None = None) -> BoundaryFile:
    """Read every feature of a boundary file and bring it to EPSG:4326."""
    import shapely
    path = Path(path)
    limits = limits or Limits()
    deadline = deadline or limits.start()
    check_local(path)
    if path.suffix.lower() not in SUFFIXES:
        raise BoundaryFileError("unsupported", suffix=path.suffix or path.name)
    with tempfile.TemporaryDirectory(prefix="boundary-") as folder:
        dataset = local_dataset(path, Path(folder), limits)
        layer = _choose_layer(dataset, layer)
        frame = _read_features(dataset, layer, limits)
    deadline.check()
    if frame.empty:
        raise BoundaryFileError("empty")
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.values))
    frame, source_crs = _to_wgs84(frame)
    deadline.check()
    fields = [str(column) for column in frame.columns if column != frame.geometry.name]
    return BoundaryFile(frame, source_crs, layer, path.name, fields)


def _choose_layer(dataset: LocalDataset, layer: str | None) -> str:
    layers = list(dataset.layers)
    if not layers:
        raise BoundaryFileError("empty")
    if layer is None:
        if len(layers) > 1:
            raise BoundaryFileError("layers", layers=", ".join(layers))
        return layers[0]
    if layer not in layers:
        raise BoundaryFileError("no_layer", layer=layer, layers=", ".join(layers))
    return layer


def _read_features(dataset: LocalDataset, layer: str, limits: Limits) -> gpd.GeoDataFrame:
    pyogrio = gdal()
    import shapely
    path, gdal_layer = dataset.layers[layer]
    if check_driver(path, gdal_layer, dataset.driver) > limits.max_features:
        raise BoundaryFileError("too_many_features", limit=limits.max_features)
    try:
        frame = pyogrio.read_dataframe(path, layer=gdal_layer, max_features=limits.max_features + 1)
    except shapely.errors.GEOSException as error:
        if "closed" in str(error):
            raise BoundaryFileError("unclosed_ring") from error
        raise BoundaryFileError("bad_geometry", detail=_short(error)) from error
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError) as error:
        raise BoundaryFileError("unreadable", detail=_short(error)) from error
    if len(frame) > limits.max_features:
        raise BoundaryFileError("too_many_features", limit=limits.max_features)
    if int(shapely.get_num_coordinates(frame.geometry.values).sum()) > limits.max_vertices:
        raise BoundaryFileError("too_many_vertices", limit=limits.max_vertices)
    return _without_non_finite(frame)


def _without_non_finite(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A geometry with NaN or infinite coordinates is no geometry: the report says so for its feature
    (GEOS would fail on it further on)."""
    import numpy as np
    import shapely
    coordinates, owners = shapely.get_coordinates(frame.geometry.values, return_index=True)
    broken = np.unique(owners[~np.isfinite(coordinates).all(axis=1)])
    if len(broken):
        frame = frame.copy()
        frame.loc[frame.index[broken], frame.geometry.name] = None
    return frame


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
