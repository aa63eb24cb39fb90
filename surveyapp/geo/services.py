"""Importing district or commune boundaries: read, match, repair, simplify, replace in one transaction.

`import_boundaries` takes a session and plain values (a path, a level, field names) so the CLI and
the admin upload page share it. It adds to the caller's session and never commits: the old
boundaries of the level go and the new ones arrive in the caller's single commit, with an audit
event. A file that cannot be read raises `BoundaryFileError`; a file of which no feature matches
returns a report with `applied = False`. Either way nothing changes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np

from ..adminunits import queries as unit_queries
from ..audit import record_event
from ..models import UnitLevel, utcnow
from . import matching, queries, shapes
from .matching import FeatureMatch, UnitRef
from .reading import BoundaryFileError, Limits, read_boundary_file

#: Boundaries may reach this far (degrees, ~11 km) beyond the province's box of record, or (without
#: one) beyond the box of its units' centroids, which a district's edge passes by more.
PROVINCE_MARGIN_DEG = 0.1
CENTROIDS_MARGIN_DEG = 0.5
VIET_NAM = (102.0, 8.0, 110.0, 23.5)

LEVELS = (UnitLevel.district.value, UnitLevel.commune.value)


@dataclass
class ImportReport:
    file_name: str
    level: str
    layer: str | None
    source_crs: str
    code_field: str | None
    name_field: str | None
    matches: list[FeatureMatch]
    #: Every unit of the level: code → full name (for the table).
    unit_names: dict[str, str]
    repaired: int = 0
    tolerance_m: float = 0.0
    #: Size of the stored (simplified) geometries as JSON.
    stored_bytes: int = 0
    #: Size of the same geometries before simplification.
    original_bytes: int = 0
    applied: bool = False
    dry_run: bool = False
    #: Boundaries of the level removed by this import.
    replaced: int = 0
    imported: list[str] = field(default_factory=list)

    @property
    def matched(self) -> list[FeatureMatch]:
        return [match for match in self.matches if match.matched]

    @property
    def unmatched(self) -> list[FeatureMatch]:
        return [match for match in self.matches if not match.matched]

    @property
    def units_without_boundary(self) -> list[tuple[str, str]]:
        covered = {match.unit_code for match in self.matched}
        return [(code, name) for code, name in self.unit_names.items() if code not in covered]

    def summary(self) -> dict:
        return {"file": self.file_name, "level": self.level, "layer": self.layer, "crs": self.source_crs,
                "features": len(self.matches), "matched": len(self.matched), "units": len(self.imported),
                "unmatched": len(self.unmatched), "repaired": self.repaired, "bytes": self.stored_bytes}


def import_boundaries(
    session: Session,
    path: str | Path,
    *,
    level: str,
    province_code: str,
    code_field: str | None = None,
    name_field: str | None = None,
    layer: str | None = None,
    tolerance_m: float | None = None,
    dry_run: bool = False,
    file_name: str | None = None,
    actor_id: int | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Replace the province's boundaries of `level` with the features of a file that match its units.

    Refused (nothing changes) when the file is not a safe GIS file, is over `limits`, or its matched
    shapes lie outside the province or vanish when simplified: the usual sign of a wrong CRS."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    limits = limits or Limits()
    deadline = limits.start()
    source = read_boundary_file(path, layer, limits, deadline)
    frame = source.frame
    for wanted in (code_field, name_field):
        if wanted is not None and wanted not in source.fields:
            raise BoundaryFileError("no_field", field=wanted, fields=", ".join(source.fields))
    units = [UnitRef(u.code, u.name, u.unit_type, u.lat, u.lon)
             for u in queries.units_of_level(session, province_code, level)]
    width = matching.CODE_WIDTH[level]
    code_field = code_field or matching.detect_code_field(frame, source.fields, units, width)
    name_field = name_field or matching.detect_name_field(frame, source.fields, units)

    geometries, problems, repaired = _polygons(frame)
    if all(problems):
        raise BoundaryFileError("no_polygons")
    province_box = _province_box(session, province_code, units)
    _refuse_outside(source.source_crs, province_box, geometries, range(len(geometries)), require_all=False)
    deadline.check()
    within = _centroids_within(units, geometries)
    matches = matching.match_features(matching.column_values(frame, code_field, width),
                                      matching.column_values(frame, name_field), units, problems, within)
    _refuse_outside(source.source_crs, province_box, geometries, [m.index for m in matches if m.matched])
    deadline.check()
    report = ImportReport(
        file_name=file_name or source.file_name, level=level, layer=source.layer, source_crs=source.source_crs,
        code_field=code_field, name_field=name_field, matches=matches,
        unit_names={unit.code: unit.name for unit in units}, repaired=repaired,
        tolerance_m=shapes.TOLERANCE_M[level] if tolerance_m is None else tolerance_m, dry_run=dry_run,
    )
    if not report.matched:
        return report
    rows = _boundary_rows(report, frame, geometries)
    deadline.check()
    report.imported = [row["unit_code"] for row in rows]
    report.stored_bytes = sum(len(json.dumps(row["geometry"], separators=(",", ":"))) for row in rows)
    if dry_run:
        return report
    report.replaced = queries.replace_boundaries(session, province_code, level, rows)
    report.applied = True
    record_event(session, "import_boundaries", "boundary", level, after=report.summary(), actor_id=actor_id)
    return report


def _province_box(session: Session, province_code: str, units: list[UnitRef]):
    """The province's box of record (else its units' centroids, else Viet Nam), with a margin."""
    import shapely
    province = unit_queries.unit_by_code(session, province_code)
    located = [(unit.lon, unit.lat) for unit in units if unit.lat is not None and unit.lon is not None]
    if province is not None and None not in (province.min_lon, province.min_lat, province.max_lon, province.max_lat):
        box = (province.min_lon, province.min_lat, province.max_lon, province.max_lat)
        return shapely.box(*box).buffer(PROVINCE_MARGIN_DEG, join_style="mitre")
    if located:
        box = (min(x for x, _ in located), min(y for _, y in located),
               max(x for x, _ in located), max(y for _, y in located))
        return shapely.box(*box).buffer(CENTROIDS_MARGIN_DEG, join_style="mitre")
    return shapely.box(*VIET_NAM)


def _refuse_outside(source_crs: str, province_box, geometries: list, indexes, require_all: bool = True) -> None:
    """With `require_all` every chosen feature must lie in the province (the matched ones); without, at
    least one must (a file of the whole country is fine, a file that lies entirely elsewhere is not)."""
    chosen = [index for index in indexes if geometries[index] is not None]
    outside = [index for index in chosen if not shapes.inside(geometries[index], province_box)]
    if outside and (require_all or len(outside) == len(chosen)):
        raise BoundaryFileError("outside", crs=source_crs,
                                features=", ".join(str(index + 1) for index in outside[:10])
                                + (" …" if len(outside) > 10 else ""))


def _polygons(frame: gpd.GeoDataFrame) -> tuple[list, list[str | None], int]:
    """Repaired polygonal geometry per feature, the problem of each one that has none, repairs made."""
    geometries, problems, repaired = [], [], 0
    for geometry in frame.geometry.values:
        polygon, fixed = shapes.polygonal(geometry)
        repaired += fixed
        geometries.append(polygon)
        if polygon is None:
            problems.append(matching.NO_GEOMETRY if geometry is None or geometry.is_empty else matching.NOT_POLYGON)
        else:
            problems.append(None)
    return geometries, problems, repaired


def _centroids_within(units: list[UnitRef], geometries: list) -> dict[int, set[str]]:
    """Spatial join of the units' geocoded centroids with the features: feature → units inside it."""
    import geopandas as gpd
    located = [unit for unit in units if unit.lat is not None and unit.lon is not None]
    present = [(index, geometry) for index, geometry in enumerate(geometries) if geometry is not None]
    if not located or not present:
        return {}
    points = gpd.GeoDataFrame({"unit_code": [u.code for u in located]},
                              geometry=gpd.points_from_xy([u.lon for u in located], [u.lat for u in located]),
                              crs="EPSG:4326")
    features = gpd.GeoDataFrame({"feature": [index for index, _ in present]},
                                geometry=[geometry for _, geometry in present], crs="EPSG:4326")
    joined = gpd.sjoin(points, features, predicate="within", how="inner")
    result: dict[int, set[str]] = {}
    for feature, unit_code in zip(joined["feature"], joined["unit_code"]):
        result.setdefault(int(feature), set()).add(unit_code)
    return result


def _boundary_rows(report: ImportReport, frame: gpd.GeoDataFrame, geometries: list) -> list[dict]:
    """One row per matched unit: its features merged, the coverage cleaned and simplified."""
    import geopandas as gpd
    import numpy as np
    import shapely
    parts: dict[str, list] = {}
    names: dict[str, list[str]] = {}
    for match in report.matched:
        parts.setdefault(match.unit_code, []).append(geometries[match.index])
        names.setdefault(match.unit_code, []).append(match.source_name or match.source_code or "")
    codes = sorted(parts)
    merged = gpd.GeoSeries([shapes.merge(parts[code]) for code in codes], crs="EPSG:4326")
    report.original_bytes = len(merged.to_json())
    metric = merged.to_crs(merged.estimate_utm_crs())
    simplified = shapes.simplify_coverage(np.asarray(metric.values, dtype=object), report.tolerance_m)
    wgs84 = gpd.GeoSeries(simplified, crs=metric.crs).to_crs("EPSG:4326")
    final = _usable_or_refused(codes, shapely.set_precision(np.asarray(wgs84.values, dtype=object),
                                                            shapes.GRID_DEGREES), merged)
    now = utcnow()
    return [
        {"unit_code": code, "level": report.level, "geometry": geometry,
         "source_name": " + ".join(filter(None, names[code]))[:200] or None,
         "source_file": report.file_name[:255], "imported_at": now}
        for code, geometry in zip(codes, shapes.for_web(final))
    ]


def _usable_or_refused(codes: list[str], final: np.ndarray, merged: gpd.GeoSeries) -> np.ndarray:
    """A shape the coverage cleaning emptied (e.g. one overlapping a neighbour twice over) is kept as
    read; one empty or broken even so means coordinates in the wrong system: the file is refused."""
    import shapely
    for index, geometry in enumerate(final):
        if not shapes.usable(geometry):
            final[index] = shapely.set_precision(merged.values[index], shapes.GRID_DEGREES)
    broken = [code for code, geometry in zip(codes, final) if not shapes.usable(geometry)]
    if broken:
        raise BoundaryFileError("bad_shapes", units=", ".join(broken))
    return final
