"""Geometry work on boundaries: repair, merge per unit, clean the coverage, simplify for the web.

Neighbouring units share edges. Simplifying each polygon alone would move a shared edge one way in
one polygon and another way in its neighbour, opening gaps and overlaps; shapely 2's
`coverage_clean` first snaps the neighbours' edges together (and closes slivers), then
`coverage_simplify` simplifies each shared edge once, for both sides.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from shapely.geometry.base import BaseGeometry

#: Gaps narrower than this (metres) between neighbours are closed when the coverage is cleaned.
GAP_WIDTH_M = 10.0
#: Default simplification tolerance (metres) per level: a province's districts come to ~50 KB.
TOLERANCE_M = {"district": 50.0, "commune": 20.0}
#: Stored coordinates are rounded to this many degrees (1e-5° ≈ 1.1 m).
GRID_DEGREES = 1e-5
_POLYGONAL = ("Polygon", "MultiPolygon")


def polygonal(geometry: BaseGeometry | None) -> tuple[BaseGeometry | None, bool]:
    """The polygonal part of a geometry, repaired when invalid: (polygon or None, was_repaired)."""
    import shapely
    if geometry is None or geometry.is_empty:
        return None, False
    repaired = False
    if not geometry.is_valid:
        geometry, repaired = shapely.make_valid(geometry), True
    if geometry.geom_type in _POLYGONAL:
        return geometry, repaired
    parts = [part for part in getattr(geometry, "geoms", []) if part.geom_type in _POLYGONAL]
    if not parts:
        return None, repaired
    return shapely.union_all(parts), True


def inside(geometry: BaseGeometry, box: BaseGeometry) -> bool:
    """Whether a geometry has finite coordinates and lies within `box` (NaN or infinity never does)."""
    import numpy as np
    import shapely
    bounds = shapely.bounds(geometry)
    return bool(np.isfinite(bounds).all()) and box.contains(shapely.box(*bounds))


def usable(geometry: BaseGeometry | None) -> bool:
    """A polygonal, non-empty, valid geometry with finite lon/lat: one a map or a GPS check can use."""
    import numpy as np
    import shapely
    if geometry is None or geometry.is_empty or geometry.geom_type not in _POLYGONAL:
        return False
    west, south, east, north = shapely.bounds(geometry)
    finite = bool(np.isfinite([west, south, east, north]).all())
    return finite and -180 <= west <= east <= 180 and -90 <= south <= north <= 90 and geometry.is_valid


def stored_shape(geometry: dict | None) -> BaseGeometry | None:
    """A stored GeoJSON geometry as a shape, or None when it cannot be drawn (broken, empty, not lon/lat)."""
    import shapely
    from shapely.geometry import shape
    try:
        parsed = shape(geometry) if geometry else None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException):
        return None
    return parsed if usable(parsed) else None


def merge(geometries: list[BaseGeometry]) -> BaseGeometry:
    """Several features of one unit (e.g. islands given apart) as one (multi)polygon."""
    import shapely
    return geometries[0] if len(geometries) == 1 else shapely.union_all(geometries)


def simplify_coverage(geometries: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Clean and simplify polygons in a metric CRS, keeping shared edges shared."""
    import shapely
    try:
        cleaned = shapely.coverage_clean(geometries, gap_width=GAP_WIDTH_M)
    except shapely.errors.GEOSException:
        cleaned = geometries  # not a coverage GEOS can clean: simplify as given
    simplified = shapely.coverage_simplify(cleaned, tolerance_m) if tolerance_m > 0 else cleaned
    invalid = ~shapely.is_valid(simplified)
    if invalid.any():
        simplified[invalid] = [polygonal(geometry)[0] or geometry for geometry in simplified[invalid]]
    return simplified


def for_web(geometries: np.ndarray) -> list[dict]:
    """WGS 84 polygons rounded to ~1 m, as GeoJSON geometry dicts (lists, ready for a JSON column)."""
    import shapely
    from shapely.geometry import mapping
    rounded = shapely.set_precision(geometries, GRID_DEGREES)
    return [_lists(mapping(geometry)) for geometry in rounded]


def _lists(value):
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    return value


def from_geojson(geometries: list[dict]) -> np.ndarray:
    import numpy as np
    from shapely.geometry import shape
    return np.array([shape(geometry) for geometry in geometries], dtype=object)
