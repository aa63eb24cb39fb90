"""Small boundary files made by the tests: Voronoi cells around the units' geocoded centroids, clipped to
the province's box. Each cell holds its own centroid and neighbours share edges exactly, like real
administrative boundaries; written as GeoJSON, GeoPackage, Shapefile (plain or zipped), in any CRS.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import shapely
from sqlmodel import select

from surveyapp.models import AdminUnit

VN2000_UTM48 = "EPSG:3405"


def units(session, level: str, province: str = "94") -> list[AdminUnit]:
    statement = select(AdminUnit).where(AdminUnit.level == level, AdminUnit.province_code == province)
    return list(session.exec(statement.order_by(AdminUnit.code)))


def unit_cells(session, level: str = "district") -> gpd.GeoDataFrame:
    """One polygon per unit (columns code, name), in EPSG:4326."""
    found = units(session, level)
    province = session.get(AdminUnit, "94")
    box = shapely.box(province.min_lon - 0.05, province.min_lat - 0.05,
                                       province.max_lon + 0.05, province.max_lat + 0.05)
    points = shapely.MultiPoint([(u.lon, u.lat) for u in found])
    cells = shapely.voronoi_polygons(points, extend_to=box)
    by_unit = []
    for unit in found:
        here = shapely.Point(unit.lon, unit.lat)
        cell = next(c for c in cells.geoms if c.contains(here))
        by_unit.append(cell.intersection(box))
    return gpd.GeoDataFrame({"code": [u.code for u in found], "name": [u.name for u in found]},
                            geometry=by_unit, crs="EPSG:4326")


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    frame.to_file(path, **kwargs)
    return path


def write_shapefile(frame: gpd.GeoDataFrame, folder: Path, stem: str = "districts") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.shp"
    frame.to_file(path, engine="pyogrio")
    return path


def zip_shapefile(shp: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for part in shp.parent.glob(shp.stem + ".*"):
            archive.write(part, part.name)
    return target
