"""GPS judged at capture: what a questionnaire page needs to judge a fix at once, and the flags the
server keeps for the supervisor when the enumerator keeps a fix the page warned about.

The page (static/js/gps.js) and the server judge alike:
- outside the province's box (plus PROVINCE_MARGIN_DEG): refused (the server refuses it on submit);
- accuracy worse than the question's `max_accuracy_m` (else GPS_MAX_ACCURACY_M): warned, "try again";
  kept if the enumerator wants, and flagged (`SurveyRecord.gps_imprecise`);
- more than GPS_TOLERANCE_M outside the imported outline of the declared commune's district: warned,
  saving allowed, flagged (`SurveyRecord.gps_outside_district`; None when there is no outline).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlmodel import Session

from ..models import AdminUnit
from ..questionnaire.definition import Question
from . import queries

#: Degrees added around the province's bounding box before a GPS point counts as outside (~2 km).
PROVINCE_MARGIN_DEG = 0.02


@dataclass(frozen=True)
class GpsRules:
    #: Accuracy (metres) a geopoint asks for when its definition names none.
    max_accuracy_m: float = 10.0
    #: A point this close (metres) to the declared district still counts as inside.
    tolerance_m: float = 100.0

    def accuracy_limit(self, question: Question) -> float:
        return question.max_accuracy_m or self.max_accuracy_m


def gps_rules(config: Mapping[str, Any]) -> GpsRules:
    """The rules an app is configured with (GPS_MAX_ACCURACY_M, GPS_TOLERANCE_M)."""
    return GpsRules(float(config.get("GPS_MAX_ACCURACY_M") or GpsRules.max_accuracy_m),
                    float(config.get("GPS_TOLERANCE_M") or GpsRules.tolerance_m))


def map_tiles(config: Mapping[str, Any]) -> dict[str, str] | None:
    """The tile layer the point map draws under the outlines, when the app is configured with one."""
    url = config.get("MAP_TILES_URL")
    return {"url": url, "attribution": config.get("MAP_TILES_ATTRIBUTION") or ""} if url else None


def inside_province(province: AdminUnit | None, lat: float, lon: float) -> bool | None:
    """Whether a point lies in the province's box (with the margin); None when the box is unknown."""
    if province is None or province.min_lat is None:
        return None
    return (province.min_lat - PROVINCE_MARGIN_DEG <= lat <= province.max_lat + PROVINCE_MARGIN_DEG
            and province.min_lon - PROVINCE_MARGIN_DEG <= lon <= province.max_lon + PROVINCE_MARGIN_DEG)


def outside_district(session: Session, district_code: str, lat: float, lon: float, tolerance_m: float) -> bool | None:
    """True when the point lies more than `tolerance_m` outside the district's imported outline, None
    when the district has none."""
    import geopandas as gpd
    from shapely.geometry import Point, shape
    boundary = queries.boundary_of(session, district_code)
    if boundary is None:
        return None
    outline, point = shape(boundary.geometry), Point(lon, lat)
    if outline.covers(point):
        return False
    shapes = gpd.GeoSeries([outline, point], crs="EPSG:4326")
    metric = shapes.to_crs(shapes.estimate_utm_crs())
    return bool(metric.iloc[0].distance(metric.iloc[1]) > tolerance_m)


def capture_frame(session: Session, province: AdminUnit | None, commune: AdminUnit | None,
                  rules: GpsRules) -> dict[str, Any]:
    """What the questionnaire page judges a fix with, as JSON: the province's box, the declared district
    and the imported outlines to draw (the province's districts and the declared district's communes;
    they are simplified at import, a few tens of kilobytes)."""
    district_code = commune.parent_code if commune is not None else None
    outlines = []
    if province is not None:
        outlines += [_feature(b, "district", b.unit_code == district_code)
                     for b in queries.boundaries_of_level(session, province.code, "district")]
    if district_code:
        outlines += [_feature(b, "commune", b.unit_code == commune.code)
                     for b in queries.boundaries_under(session, district_code)]
    declared = next((f for f in outlines if f["properties"]["level"] == "district" and f["properties"]["declared"]),
                    None)
    bounds = ([province.min_lat, province.min_lon, province.max_lat, province.max_lon]
              if province is not None and province.min_lat is not None else None)
    return {
        "province": province.name if province is not None else None,
        "bounds": bounds,
        "margin": PROVINCE_MARGIN_DEG,
        "tolerance_m": rules.tolerance_m,
        "district": ({"code": district_code, "name": declared["properties"]["name"],
                      "geometry": declared["geometry"]} if declared else None),
        "outlines": {"type": "FeatureCollection", "features": outlines},
    }


def _feature(boundary: queries.StoredBoundary, level: str, declared: bool) -> dict[str, Any]:
    return {"type": "Feature", "geometry": boundary.geometry,
            "properties": {"code": boundary.unit_code, "name": boundary.name, "level": level, "declared": declared}}
