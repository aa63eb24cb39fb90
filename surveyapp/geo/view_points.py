"""What the map's point layer gets for the view it shows (`GET /maps/points`): every filtered
establishment in the view as a point when there are few enough, else grid clusters.

Answer (JSON, positions rounded to about a metre):
- `{"kind": "points", "total": n, "points": [[id, lat, lon], ...]}`
- `{"kind": "clusters", "total": n, "clusters": [[count, lat, lon, [south, west, north, east]], ...],
  "points": [[id, lat, lon], ...]}`: a cluster sits at its establishments' mean position; the box
  holds them all (clicking zooms to it); a cell holding one establishment comes as a point.
"""
from __future__ import annotations

from sqlmodel import Session

from ..establishments.filters import EstablishmentFilter
from . import queries
from .viewport import MAX_ZOOM, View, bounds_of, cells_covering, index_level


def points_or_clusters(session: Session, wanted: EstablishmentFilter, scope: set[str] | None, view: View,
                       most_points: int, most_points_at_max_zoom: int) -> dict:
    """Points when the view holds at most `most_points` (`most_points_at_max_zoom` at the largest
    zoom, where a cluster could not open further), else clusters of the zoom's grid."""
    limit = most_points if view.zoom < MAX_ZOOM else most_points_at_max_zoom
    rows = queries.points_in_view(session, wanted, scope, view, limit + 1)
    if len(rows) <= limit:
        return {"kind": "points", "total": len(rows), "points": [_point(*row) for row in rows]}
    inner = index_level(view)
    clusters, points = [], []
    for cluster in queries.clusters_in_cells(session, wanted, scope, cells_covering(view, view.level), inner):
        if cluster.count == 1:
            points.append(_point(cluster.first_id, cluster.lat, cluster.lon))
        else:
            clusters.append([cluster.count, round(cluster.lat, 5), round(cluster.lon, 5),
                             bounds_of(inner, cluster.y0, cluster.y1, cluster.x0, cluster.x1)])
    total = sum(cluster[0] for cluster in clusters) + len(points)
    return {"kind": "clusters", "total": total, "clusters": clusters, "points": sorted(points)}


def _point(establishment_id: int, lat: float, lon: float) -> list:
    return [establishment_id, round(lat, 5), round(lon, 5)]
