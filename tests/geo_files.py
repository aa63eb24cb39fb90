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


# Hostile inputs: what an attacker or a careless export gives the boundary upload. Each is small and
# made on the fly, so the corpus lives in the suite without binary fixtures.

def vrt_xml(source: str, table: str) -> str:
    """An OGR VRT whose layer gives each line of `source` (e.g. "CSV:/etc/passwd" or a /vsicurl/ address,
    whose layer is `table`) a polygon in the province, so the lines would show as feature names."""
    square = "POLYGON((105.9 9.6,106 9.6,106 9.7,105.9 9.6))"
    return (f'<OGRVRTDataSource><OGRVRTLayer name="districts"><SrcDataSource>{source}</SrcDataSource>'
            f'<SrcSQL dialect="SQLITE">SELECT *, \'{square}\' AS wkt FROM "{table}"</SrcSQL>'
            f'<GeometryField encoding="WKT" field="wkt"/></OGRVRTLayer></OGRVRTDataSource>')


def zip_members(target: Path, members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    """A zip with the given members; `symlinks` maps member names to link targets (Unix mode bits)."""
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, link in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, link)
    return target


def feature_collection(geometries: list[dict], crs: str | None = None, **members) -> dict:
    collection = {"type": "FeatureCollection", **members,
                  "features": [{"type": "Feature", "properties": {"code": str(941 + i % 11), "name": f"F{i}"},
                                "geometry": geometry} for i, geometry in enumerate(geometries)]}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    return collection


def tiny_squares(count: int, west: float = 105.9, south: float = 9.6, size: float = 0.0001) -> list[dict]:
    """`count` small squares in a row, as GeoJSON geometries (a file of many tiny polygons)."""
    squares = []
    for i in range(count):
        x = west + (i % 100) * size * 2
        y = south + (i // 100) * size * 2
        squares.append({"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size],
                                                            [x, y + size], [x, y]]]})
    return squares
