"""The part of the map a browser shows (`bbox`, `zoom`) and the grid that clusters it. No database.

The grid has 2**level cells per 360 degrees on both axes, counted from 180° W and 90° S, so a cell's
index never depends on the view: clusters stay where they are while the reader pans. At zoom z a
Leaflet map is 256 × 2**z pixels around the world, so the grid of level z + 2 has cells 64 pixels
wide (a little taller on screen away from the equator: latitude is not stretched as on the map).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from flask_babel import lazy_gettext as _l

from ..models import MAP_GRID_LEVEL
from ..web import bounded_int

#: The map's zoom range (maps.MAX_ZOOM; below 0 Leaflet has no tiles).
MAX_ZOOM = 18
#: Levels the clustering grid is finer than the zoom: 2 → cells of 64 pixels.
CELL_LEVELS_BELOW_ZOOM = 2
#: Most cells one answer may cover (a 64-pixel grid over a 6,400 × 6,400-pixel screen).
MAX_CELLS = 10_000
#: Offsets that make latitudes and longitudes non-negative.
LAT_OFFSET, LON_OFFSET = 90.0, 180.0


@dataclass(frozen=True)
class View:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def level(self) -> int:
        """Grid level of this zoom's clusters."""
        return self.zoom + CELL_LEVELS_BELOW_ZOOM


@dataclass(frozen=True)
class Cells:
    """A rectangle of grid cells, inclusive: rows y0–y1 (latitude), columns x0–x1 (longitude)."""
    level: int
    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def count(self) -> int:
        return (self.y1 - self.y0 + 1) * (self.x1 - self.x0 + 1)

    def at(self, level: int) -> "Cells":
        """The same area on a coarser grid (at least the same cells) or a finer one (exactly them)."""
        if level <= self.level:
            shift = self.level - level
            return Cells(level, self.y0 >> shift, self.y1 >> shift, self.x0 >> shift, self.x1 >> shift)
        shift = level - self.level
        return Cells(level, self.y0 << shift, ((self.y1 + 1) << shift) - 1, self.x0 << shift,
                     ((self.x1 + 1) << shift) - 1)


def cell_size(level: int) -> float:
    """Width (and height) of a cell in degrees."""
    return 360 / 2 ** level


def cell_index(value: float, offset: float, level: int) -> int:
    """The cell of a coordinate, as `models.grid_cell` computes it in SQL (the same float operations)."""
    return math.floor((value + offset) * (2 ** level / 360))


def cells_covering(view: View, level: int) -> Cells:
    """The cells the view touches, whole."""
    return Cells(level, cell_index(view.south, LAT_OFFSET, level), cell_index(view.north, LAT_OFFSET, level),
                 cell_index(view.west, LON_OFFSET, level), cell_index(view.east, LON_OFFSET, level))


def bounds_of(level: int, y0: int, y1: int, x0: int, x1: int) -> list[float]:
    """[south, west, north, east] of a rectangle of cells, rounded to about a metre."""
    size = cell_size(level)
    return [round(y0 * size - LAT_OFFSET, 5), round(x0 * size - LON_OFFSET, 5),
            round((y1 + 1) * size - LAT_OFFSET, 5), round((x1 + 1) * size - LON_OFFSET, 5)]


def index_level(view: View) -> int:
    """The grid level the database groups by first: the index's, or the view's when finer."""
    return max(MAP_GRID_LEVEL, view.level)


def parse_view(args: Mapping[str, str]) -> tuple[View | None, dict[str, str]]:
    """`bbox=west,south,east,north` (degrees, WGS 84) and `zoom` (0–18); problems as {argument: message}."""
    errors: dict[str, str] = {}
    box = _parse_bbox(args.get("bbox"))
    if isinstance(box, str):
        errors["bbox"] = box
    zoom = bounded_int(args.get("zoom"), 0, MAX_ZOOM)
    if zoom is None:
        errors["zoom"] = str(_l("zoom must be a whole number from 0 to %(max)s.", max=MAX_ZOOM))
    if errors:
        return None, errors
    view = View(*box, zoom=zoom)
    if cells_covering(view, view.level).count > MAX_CELLS:
        return None, {"bbox": str(_l("The box is too large for this zoom: zoom out or send a smaller box."))}
    return view, {}


def _parse_bbox(raw: str | None) -> tuple[float, float, float, float] | str:
    """The four numbers, or the message saying what is wrong with them."""
    expected = str(_l("bbox must be four numbers west,south,east,north in degrees."))
    parts = (raw or "").split(",")
    if len(parts) != 4:
        return expected
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        return expected
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        return expected
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return str(_l("bbox needs west < east within -180…180 and south < north within -90…90."))
    return west, south, east, north
