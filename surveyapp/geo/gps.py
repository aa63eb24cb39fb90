"""GPS consistency: does an establishment's GPS point lie in the commune or district it declares?

`recheck_gps_mismatch` walks the establishments in chunks (keyset on id, never all rows at once),
joins each chunk's points to the stored boundaries with a GeoPandas spatial join, and writes
`Establishment.gps_mismatch` only where it changed. A commune boundary is used when the declared
commune has one, else the district's; with neither (or no point) the flag is None (unchecked).
Points are compared in metres (UTM) with a tolerance, because stored boundaries are simplified and
phone GPS is off by a few metres.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from sqlmodel import Session

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

from ..audit import record_event
from . import queries, shapes

CHUNK_SIZE = 20_000
COLUMNS = ["id", "lat", "lon", "district", "commune", "old"]
#: A point this close (metres) to its declared unit still counts as inside.
TOLERANCE_M = 100.0


@dataclass
class GpsCheckSummary:
    checked: int = 0
    outside: int = 0
    unchecked: int = 0
    changed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"checked": self.checked, "outside": self.outside, "unchecked": self.unchecked,
                "changed": self.changed, "seconds": round(self.seconds, 2)}


@dataclass
class _Polygons:
    frame: gpd.GeoDataFrame  # columns unit_code, level, geometry (metric CRS)

    @property
    def codes(self) -> set[str]:
        return set(self.frame["unit_code"])


def recheck_gps_mismatch(session: Session, province_code: str, *, establishment_ids: Iterable[int] | None = None,
                         chunk_size: int = CHUNK_SIZE, tolerance_m: float = TOLERANCE_M,
                         after_chunk: Callable[[], None] | None = None, actor_id: int | None = None) -> GpsCheckSummary:
    """Recompute `gps_mismatch` for the province, or only for `establishment_ids` (e.g. after a record
    changed a GPS point). `after_chunk` (e.g. `session.commit`) runs after each chunk's updates, so a
    long run on a big registry does not hold one write transaction throughout."""
    import pandas as pd
    started = time.perf_counter()
    summary = GpsCheckSummary()
    only = None if establishment_ids is None else sorted(set(establishment_ids))
    polygons = _boundary_polygons(session, province_code)
    if polygons is None:
        summary.changed = queries.clear_gps_mismatch(session, province_code, only)
    elif only != []:
        after_id = 0
        while rows := queries.locations_after(session, province_code, after_id, chunk_size, only):
            after_id = rows[-1][0]
            chunk = pd.DataFrame([tuple(row) for row in rows], columns=COLUMNS)
            chunk["new"] = _flags(chunk, polygons, tolerance_m)
            _count(summary, chunk)
            changes = [{"id": int(i), "gps_mismatch": new}
                       for i, old, new in zip(chunk["id"], chunk["old"], chunk["new"]) if _flag(old) is not new]
            queries.set_gps_mismatch(session, changes)
            summary.changed += len(changes)
            session.flush()
            if after_chunk:
                after_chunk()
    summary.seconds = time.perf_counter() - started
    if only is None:  # a whole-province check is an event worth keeping; a single point's is not
        record_event(session, "gps_check", "establishment", province_code, after=summary.as_dict(), actor_id=actor_id)
    return summary


def _boundary_polygons(session: Session, province_code: str) -> _Polygons | None:
    import geopandas as gpd
    rows = [(b.unit_code, level, shapes.stored_shape(b.geometry)) for level in ("district", "commune")
            for b in queries.boundaries_of_level(session, province_code, level)]
    rows = [row for row in rows if row[2] is not None]  # a broken stored shape checks nothing
    if not rows:
        return None
    frame = gpd.GeoDataFrame({"unit_code": [r[0] for r in rows], "level": [r[1] for r in rows]},
                             geometry=[r[2] for r in rows], crs="EPSG:4326")
    return _Polygons(frame.to_crs(frame.estimate_utm_crs()))


def _flags(chunk: pd.DataFrame, polygons: _Polygons, tolerance_m: float) -> list[bool | None]:
    """True outside the declared unit, False inside, None when unchecked, per row of the chunk."""
    import geopandas as gpd
    codes = polygons.codes
    district = chunk["district"].where(chunk["district"].isin(codes))
    target = chunk["commune"].where(chunk["commune"].isin(codes), district)
    checkable = chunk["lat"].notna() & chunk["lon"].notna() & target.notna()
    if not checkable.any():
        return [None] * len(chunk)
    located = chunk[checkable]
    points = gpd.GeoDataFrame({"target": target[checkable]},
                              geometry=gpd.points_from_xy(located["lon"], located["lat"]), crs="EPSG:4326",
                              index=located.index).to_crs(polygons.frame.crs)
    joined = gpd.sjoin(points, polygons.frame[["unit_code", "geometry"]], how="inner",
                       predicate="dwithin", distance=tolerance_m)
    inside = set(joined.index[joined["unit_code"] == joined["target"]])
    return [(row not in inside) if ok else None for row, ok in zip(chunk.index, checkable)]


def _flag(value) -> bool | None:
    """A stored flag as read through pandas (None, NaN, numpy or Python bool) as None/True/False."""
    import pandas as pd
    return None if value is None or pd.isna(value) else bool(value)


def _count(summary: GpsCheckSummary, chunk: pd.DataFrame) -> None:
    known = chunk["new"].notna()
    summary.checked += int(known.sum())
    summary.unchecked += int((~known).sum())
    summary.outside += sum(1 for flag in chunk["new"] if flag is True)


def locate_points(session: Session, province_code: str,
                  points: list[tuple[int, float, float]]) -> dict[int, dict[str, str]]:
    """Which stored district and commune each (id, lat, lon) lies in: {id: {"district": code, ...}}.
    For a page of the data-quality list, so the reader sees where the point actually is."""
    import geopandas as gpd
    polygons = _boundary_polygons(session, province_code)
    if polygons is None or not points:
        return {}
    frame = gpd.GeoDataFrame({"id": [p[0] for p in points]},
                             geometry=gpd.points_from_xy([p[2] for p in points], [p[1] for p in points]),
                             crs="EPSG:4326").to_crs(polygons.frame.crs)
    joined = gpd.sjoin(frame, polygons.frame, how="inner", predicate="within")
    found: dict[int, dict[str, str]] = {}
    for establishment_id, level, code in zip(joined["id"], joined["level"], joined["unit_code"]):
        found.setdefault(int(establishment_id), {})[level] = code
    return found
