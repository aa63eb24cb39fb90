"""What reaches GDAL from a boundary file: only GeoJSON, GeoPackage and ESRI Shapefile, decided by the
bytes, copied into a folder of our own, with caps on size, features, vertices and time.

GDAL opens whatever it is given: an OGR VRT (even named .geojson, or inside a zip) can read any local
file (`CSV:/etc/passwd`) or fetch a URL (`/vsicurl/http://…`), and a GeoJSON `crs` "link" names a URL.
So no path the user chose reaches GDAL: the content is recognised here, the file (or the Shapefile's
parts from a zip, extracted member by member) is copied under a fixed name, and after opening, the
driver GDAL used is checked to be the one expected. GDAL's network access is switched off as well.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sqlite3
import time
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


from .file_errors import BoundaryFileError

GEOJSON, GEOPACKAGE, SHAPEFILE = "GeoJSON", "GPKG", "ESRI Shapefile"
SQLITE_MAGIC = b"SQLite format 3\x00"
#: application_id of a GeoPackage (1.2 and later, then 1.0 and 1.1), at byte 68 of the SQLite header.
GEOPACKAGE_IDS = (b"GPKG", b"GP10", b"GP11")
SHAPE_MAGIC = b"\x00\x00\x27\x0a"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
#: Parts of a Shapefile taken from a zip or from beside the .shp; any other member is ignored.
SHAPEFILE_MEMBERS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
REQUIRED_PARTS = (".shx", ".dbf")
ZIP_MAX_MEMBERS = 1_000
VIRTUAL_MODULE = re.compile(r"\bUSING\s+(\w+)", re.IGNORECASE)
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}
#: The only `crs` a GeoJSON may name: an authority code, never a link to fetch or a file to read.
CRS_NAME = re.compile(r"^(urn:ogc:def:crs:(EPSG|OGC):[0-9.]*:[0-9A-Za-z.]+|EPSG:[0-9]+|OGC:CRS84)$", re.IGNORECASE)
#: "CSV:/etc/passwd", "GPKG:file:table", "/vsicurl/…", "http://…": names that make GDAL look elsewhere.
GDAL_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_ ]+:|/vsi)", re.IGNORECASE)
#: GDAL settings that keep it off the network: /vsicurl/ may open no file, HTTP goes to a closed port.
NETWORK_OFF = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/network-access-is-off",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".network-access-is-off",
    "GDAL_HTTP_PROXY": "127.0.0.1:9", "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1", "GDAL_HTTP_CONNECTTIMEOUT": "1", "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "PROJ_NETWORK": "OFF",
}


def disable_gdal_network() -> None:
    """Called when the app starts: boundary files are read from local files only. GDAL reads its settings
    from the environment too, so this holds without importing pyogrio (and pandas, geopandas) at start-up."""
    os.environ.update(NETWORK_OFF)


@functools.cache
def gdal():
    """pyogrio, with GDAL kept off the network: boundary files are read from local files only. Imported by
    the first use, not when the app starts (pyogrio brings pandas and geopandas: ~90 MB and a second)."""
    import pyogrio
    pyogrio.set_gdal_config_options(NETWORK_OFF)
    return pyogrio


@dataclass(frozen=True)
class Limits:
    """Caps on a boundary file; a province's communes come to a few hundred features, ~1 MB."""
    max_bytes: int = 20 * 1024 * 1024
    max_features: int = 5_000
    max_vertices: int = 2_000_000
    max_seconds: float = 60.0

    @classmethod
    def from_config(cls, config) -> Limits:
        keys = {"max_bytes": "BOUNDARY_MAX_BYTES", "max_features": "BOUNDARY_MAX_FEATURES",
                "max_vertices": "BOUNDARY_MAX_VERTICES", "max_seconds": "BOUNDARY_MAX_SECONDS"}
        return cls(**{name: config[key] for name, key in keys.items() if config.get(key) is not None})

    def start(self) -> Deadline:
        return Deadline(time.monotonic() + self.max_seconds, self.max_seconds)


@dataclass(frozen=True)
class Deadline:
    at: float
    seconds: float

    def check(self) -> None:
        """Between the steps of an import: features and vertices are capped, so each step is bounded."""
        if time.monotonic() >= self.at:
            raise BoundaryFileError("too_slow", limit=self.seconds)


@dataclass
class LocalDataset:
    driver: str
    #: Layer name shown to the user → (file to open, GDAL layer name or None for its only layer).
    layers: dict[str, tuple[Path, str | None]] = field(default_factory=dict)


def local_dataset(path: Path, folder: Path, limits: Limits) -> LocalDataset:
    """Recognise `path` by its bytes and copy what GDAL may open into `folder` (ours, empty)."""
    check_local(path)
    if path.stat().st_size > limits.max_bytes:
        raise BoundaryFileError("too_big", limit=limits.max_bytes)
    with path.open("rb") as handle:
        head = handle.read(100)
    if head.startswith(ZIP_MAGICS):
        return _zipped_shapefiles(path, folder, limits)
    if head.startswith(SQLITE_MAGIC):
        return _geopackage(path, folder)
    if head.startswith(SHAPE_MAGIC):
        return _shapefile(path, folder, limits)
    return _geojson(path, folder, limits)


def check_local(path: Path) -> None:
    """A regular file on this machine, named so that GDAL cannot take it for anything else."""
    if GDAL_PREFIX.match(str(path)) or not path.is_file():
        raise BoundaryFileError("not_local", path=str(path))


def check_driver(path: Path, layer: str | None, expected: str) -> int:
    """The feature count GDAL sees, after making sure GDAL opened the file with the expected driver."""
    pyogrio = gdal()
    try:
        info = pyogrio.read_info(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, ValueError) as error:
        raise BoundaryFileError("unreadable", detail=str(error).splitlines()[0][:300]) from error
    if info.get("driver") != expected:
        raise BoundaryFileError("not_gis", name=path.name)
    return int(info.get("features") or 0)


def _geojson(path: Path, folder: Path, limits: Limits) -> LocalDataset:
    data = path.read_bytes()  # checked and written from memory: what GDAL reads is what was checked
    if data.count(b'"Feature"') > limits.max_features:  # before parsing: 150,000 polygons parse for seconds
        raise BoundaryFileError("too_many_features", limit=limits.max_features)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BoundaryFileError("not_gis", name=path.name) from error
    if not text.lstrip().startswith("{"):
        raise BoundaryFileError("not_gis", name=path.name)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:  # JSON, but broken (e.g. cut short)
        raise BoundaryFileError("unreadable", detail=str(error)[:300]) from error
    if not isinstance(document, dict):
        raise BoundaryFileError("not_gis", name=path.name)
    if "$ref" in document:
        raise BoundaryFileError("external", what="$ref")
    kind = document.get("type")
    if kind not in {"FeatureCollection", "Feature", *GEOMETRY_TYPES}:
        raise BoundaryFileError("not_gis", name=path.name)
    _check_crs_member(document.get("crs"))
    features = document.get("features") if kind == "FeatureCollection" else [document]
    if not isinstance(features, list):
        raise BoundaryFileError("not_gis", name=path.name)
    if len(features) > limits.max_features:
        raise BoundaryFileError("too_many_features", limit=limits.max_features)
    target = folder / "boundaries.geojson"
    target.write_bytes(data)
    return LocalDataset(GEOJSON, {path.stem: (target, None)})


def _check_crs_member(crs) -> None:
    if crs is None:
        return
    if isinstance(crs, dict) and crs.get("type") == "EPSG" and isinstance(crs.get("properties", {}).get("code"), int):
        return  # the 2008 GeoJSON draft's form
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) and crs.get("type") == "name" else None
    if not isinstance(name, str) or not CRS_NAME.match(name.strip()):
        raise BoundaryFileError("external", what="crs")


def _geopackage(path: Path, folder: Path) -> LocalDataset:
    pyogrio = gdal()
    target = folder / "boundaries.gpkg"
    shutil.copyfile(path, target)
    with target.open("rb") as handle:
        head = handle.read(100)
    if not head.startswith(SQLITE_MAGIC) or head[68:72] not in GEOPACKAGE_IDS or _foreign_tables(target):
        raise BoundaryFileError("not_gis", name=path.name)
    try:
        names = [str(name) for name, _type in pyogrio.list_layers(target)]
    except (pyogrio.errors.DataSourceError, OSError, ValueError) as error:
        raise BoundaryFileError("unreadable", detail=str(error).splitlines()[0][:300]) from error
    return LocalDataset(GEOPACKAGE, {name: (target, name) for name in names})


def _foreign_tables(path: Path) -> bool:
    """Whether the database holds virtual tables other than the R-tree spatial indexes: a module such
    as SpatiaLite's VirtualShape reads files named in the database."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as database:
            rows = database.execute("SELECT sql FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")
            modules = {(VIRTUAL_MODULE.search(sql) or [None, sql])[1].lower() for (sql,) in rows}
    except sqlite3.DatabaseError:
        return True
    return bool(modules - {"rtree"})


def _shapefile(path: Path, folder: Path, limits: Limits) -> LocalDataset:
    """A .shp with the side files beside it (same stem, any case of the suffix)."""
    parts = {sibling.suffix.lower(): sibling for sibling in path.parent.glob(path.stem + ".*")
             if sibling.suffix.lower() in SHAPEFILE_MEMBERS and sibling.is_file()}
    parts[".shp"] = path
    _check_parts(parts)
    if sum(part.stat().st_size for part in parts.values()) > limits.max_bytes:
        raise BoundaryFileError("too_big", limit=limits.max_bytes)
    for suffix, part in parts.items():
        shutil.copyfile(part, folder / f"layer0{suffix}")
    _check_shape_magic(folder / "layer0.shp", folder / "layer0.shx", path.name)
    return LocalDataset(SHAPEFILE, {path.stem: (folder / "layer0.shp", None)})


def _check_parts(parts: dict) -> None:
    missing = [part for part in REQUIRED_PARTS if part not in parts]
    if missing:
        raise BoundaryFileError("missing_parts", parts=", ".join(missing))


def _check_shape_magic(shp: Path, shx: Path, name: str) -> None:
    for part in (shp, shx):
        with part.open("rb") as handle:
            if handle.read(4) != SHAPE_MAGIC:
                raise BoundaryFileError("not_gis", name=name)


def _zipped_shapefiles(path: Path, folder: Path, limits: Limits) -> LocalDataset:
    """Extract the Shapefiles' parts member by member, under names of our own; nothing else."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BoundaryFileError("not_gis", name=path.name) from error
    with archive:
        groups = _shapefile_members(archive, limits)
        dataset = LocalDataset(SHAPEFILE)
        budget = limits.max_bytes
        for number, (stem, parts) in enumerate(sorted(groups.items())):
            _check_parts(parts)
            for suffix, info in parts.items():
                budget -= _extract(archive, info, folder / f"layer{number}{suffix}", budget, limits.max_bytes)
            shp = folder / f"layer{number}.shp"
            _check_shape_magic(shp, shp.with_suffix(".shx"), path.name)
            dataset.layers[PurePosixPath(stem).name] = (shp, None)
    return dataset


def _shapefile_members(archive: zipfile.ZipFile, limits: Limits) -> dict[str, dict[str, zipfile.ZipInfo]]:
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise BoundaryFileError("zip_unsafe", member=f"{len(members)} members")
    groups: dict[str, dict[str, zipfile.ZipInfo]] = {}
    declared = 0
    for info in members:
        name = info.filename.replace("\\", "/")
        if _unsafe_member(info, name):
            raise BoundaryFileError("zip_unsafe", member=info.filename[:200])
        member = PurePosixPath(name)
        if info.is_dir() or member.suffix.lower() not in SHAPEFILE_MEMBERS:
            continue
        declared += info.file_size
        if declared > limits.max_bytes:
            raise BoundaryFileError("too_big", limit=limits.max_bytes)
        groups.setdefault(str(member.with_suffix("")), {})[member.suffix.lower()] = info
    shapefiles = {stem: parts for stem, parts in groups.items() if ".shp" in parts}
    if not shapefiles:
        raise BoundaryFileError("not_gis", name=Path(archive.filename or "zip").name)
    return shapefiles


def _unsafe_member(info: zipfile.ZipInfo, name: str) -> bool:
    symlink = (info.external_attr >> 16) & 0o170000 == 0o120000
    return symlink or name.startswith("/") or ".." in PurePosixPath(name).parts or ":" in name


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, limit: int) -> int:
    """Copy one member, stopping at `budget` bytes whatever its header claims (a zip bomb lies)."""
    written = 0
    try:
        with archive.open(info) as source, target.open("wb") as copy:
            while chunk := source.read(1024 * 1024):
                written += len(chunk)
                if written > budget:
                    raise BoundaryFileError("too_big", limit=limit)
                copy.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise BoundaryFileError("unreadable", detail=str(error)[:300]) from error
    return written
