"""The district map of a filter: aggregates from SQL, class breaks, labels in the reader's language,
assembled into a `maps.MapSpec`. Runs inside a request (numbers are formatted for its locale).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import get_locale
from sqlmodel import Session

from .. import reference
from ..adminunits import queries as unit_queries
from ..establishments.filters import EstablishmentFilter
from ..i18n import format_million_vnd, format_number
from ..models import AdminUnit
from . import queries, shapes
from .indicators import DRAWN_LEVEL_LABELS, INDICATORS, NO_DATA_COLOUR, ClassBreaks, MapOptions, classify
from .maps import Area, MapSpec, Points


#: Indicators counted in whole units (legend classes 0–10, 11–25 rather than 0–10, 10–25).
WHOLE_NUMBERS = {"establishments", "workers", "certified"}


@dataclass
class DistrictMap:
    spec: MapSpec
    level: str
    #: Whether the units of the level have stored boundaries (else: circles at centroids).
    has_boundaries: bool
    #: Whether commune boundaries exist, so the reader may choose the level.
    commune_boundaries: bool
    areas: list[Area]
    #: Formatted value and establishment count per unit, for the table under the map.
    value_text: dict[str, str]
    count_text: dict[str, str]
    counts: dict[str, int]
    #: Filtered establishments with a GPS point.
    points_total: int
    #: How many of them the map carries in itself (a downloaded file); 0 when it fetches them.
    points_shown: int
    breaks: ClassBreaks | None


def build_district_map(session: Session, *, wanted: EstablishmentFilter, options: MapOptions,
                       scope: set[str] | None, province_code: str, tiles: tuple[str, str] | None,
                       popup_url: str, link_base: str, points_url: str | None = None, max_points: int = 0,
                       with_details: bool = False) -> DistrictMap:
    """Everything the map of this filter shows. With `points_url` (the page) the map fetches the points
    of its view from there; without (a standalone file) it embeds up to `max_points`, and
    `with_details` embeds their popup texts too."""
    counts_by_level = queries.boundary_counts(session, province_code)
    commune_boundaries = counts_by_level.get("commune", 0) > 0
    if wanted.units_2025:  # the 2025 communes have no boundaries: circles at their centroids
        level, stored = queries.COMMUNE_2025, {}
        units = unit_queries.communes_2025_of_province(session, province_code)
    else:
        level = options.level or ("commune" if commune_boundaries else "district")
        units = queries.units_of_level(session, province_code, level)
        # A broken stored shape is left out (its unit drawn as having none) rather than breaking the map.
        stored = {b.unit_code: b for b in queries.boundaries_of_level(session, province_code, level)
                  if shapes.stored_shape(b.geometry) is not None}
    totals = queries.totals_by_unit(session, wanted, scope, level,
                                    share_of=options.share_of if options.indicator == "sector_share" else None,
                                    certified=options.indicator == "certified")
    values = {unit.code: _value(options.indicator, totals.get(unit.code)) for unit in units}
    breaks = classify(list(values.values()), options.scheme)
    value_text = {code: _format(options.indicator, totals.get(code), value) for code, value in values.items()}
    counts = {unit.code: (totals[unit.code].establishments if unit.code in totals else 0) for unit in units}
    count_text = {code: format_number(count) for code, count in counts.items()}
    label = _indicator_label(options)
    areas = [Area(unit.code, unit.name, stored[unit.code].geometry if unit.code in stored else None,
                  values[unit.code], _tooltip(unit, label, value_text[unit.code], count_text[unit.code], options),
                  unit.lat, unit.lon) for unit in units]
    points_total = sum(unit_totals.located for unit_totals in totals.values())
    points = None
    if points_url is None and points_total <= max_points:
        points = _points(session, wanted, scope, max_points, with_details)
    point_options = _point_options(popup_url, link_base, with_details)
    spec = MapSpec(
        areas=areas,
        colours={code: (breaks.colour_of(value) if breaks else NO_DATA_COLOUR) for code, value in values.items()},
        legend=_legend(label, breaks, values, has_boundaries=bool(stored), indicator=options.indicator),
        bounds=_bounds(session, wanted, stored, province_code),
        layer_names={"areas": f"{label} · {DRAWN_LEVEL_LABELS[level]}",
                     "points": _("Establishments (%(count)s)", count=format_number(points_total)),
                     "tiles": _("Background map")},
        points=points, point_options=point_options, tiles=tiles,
        live_points=_live_options(points_url, point_options) if points_url else None,
        attribution=_("Boundaries: %(files)s", files=", ".join(sorted({b.source_file for b in stored.values()
                                                                        if b.source_file}))) if stored else "",
    )
    return DistrictMap(spec, level, bool(stored), commune_boundaries, areas, value_text, count_text, counts,
                       points_total, len(points.id) if points else 0, breaks)


def _value(indicator: str, totals: queries.UnitTotals | None) -> float | None:
    if totals is None:
        return None if indicator == "sector_share" else 0
    if indicator == "workers":
        return totals.workers
    if indicator == "revenue":
        return totals.revenue_vnd / 1_000_000
    if indicator == "sector_share":
        return 100 * (totals.in_sector or 0) / totals.establishments if totals.establishments else None
    if indicator == "certified":
        return totals.certified or 0
    return totals.establishments


def _format(indicator: str, totals: queries.UnitTotals | None, value: float | None) -> str:
    if value is None:
        return _("no establishments")
    if indicator == "revenue":
        return format_million_vnd(totals.revenue_vnd if totals else 0)
    if indicator == "sector_share":
        return f"{format_number(value, 1)} %"
    return format_number(value)


def _format_bound(indicator: str, value: float) -> str:
    if indicator == "sector_share":
        return f"{format_number(value, 1)} %"
    return format_number(round(value))


def _indicator_label(options: MapOptions) -> str:
    if options.indicator == "sector_share":
        division = reference.vsic_divisions()[options.share_of]
        return _("Share of %(sector)s", sector=f"{division.code} {division.name(str(get_locale()))}")
    return str(INDICATORS[options.indicator])


def _tooltip(unit: AdminUnit, label: str, value: str, count: str, options: MapOptions) -> list[list[str]]:
    rows = [[unit.name], [label, value]]
    if options.indicator != "establishments":
        rows.append([_("Establishments"), count])
    return rows


def _legend(label: str, breaks: ClassBreaks | None, values: dict, has_boundaries: bool, indicator: str) -> dict:
    items = []
    if breaks:
        whole = indicator in WHOLE_NUMBERS
        lower = breaks.lower
        for upper, colour in zip(breaks.upper, breaks.colours):
            text = _format_bound(indicator, lower) if upper <= lower else \
                f"{_format_bound(indicator, lower)} – {_format_bound(indicator, upper)}"
            items.append({"colour": colour, "label": text, "round": not has_boundaries})
            lower = upper + 1 if whole else upper  # counts: 0–10, 11–25; amounts share their bounds
    if any(value is None for value in values.values()):
        items.append({"colour": NO_DATA_COLOUR, "label": _("no establishments"), "round": not has_boundaries})
    notes = []
    if not has_boundaries:
        notes.append(_("Circle area is proportional to the value (no boundaries imported)."))
    if indicator == "certified":
        notes.append(_("Certified: the latest record names a typical-product certification level."))
    return {"title": label, "items": items, "note": " ".join(notes)}


def _bounds(session: Session, wanted: EstablishmentFilter, stored: dict, province_code: str) -> list[list[float]]:
    """The filtered commune or district when there is one, else the province."""
    import shapely
    focus = wanted.commune or wanted.district or province_code
    if focus in stored:
        west, south, east, north = shapely.bounds(shapes.from_geojson([stored[focus].geometry])[0])
        return [[south, west], [north, east]]
    if focus == province_code and stored:
        west, south, east, north = shapely.total_bounds(shapes.from_geojson([b.geometry for b in stored.values()]))
        return [[south, west], [north, east]]
    unit = unit_queries.unit_by_code(session, focus) or unit_queries.unit_by_code(session, province_code)
    if unit is not None and unit.min_lat is not None:
        return [[unit.min_lat, unit.min_lon], [unit.max_lat, unit.max_lon]]
    return [[8.5, 102.0], [23.5, 110.0]]  # Viet Nam


def _points(session: Session, wanted: EstablishmentFilter, scope: set[str] | None, limit: int,
            with_details: bool) -> Points:
    rows = queries.point_rows(session, wanted, scope, limit, details=with_details)
    points = Points(lat=[round(r[1], 5) for r in rows], lon=[round(r[2], 5) for r in rows], id=[r[0] for r in rows])
    if with_details:
        points.details = {"code": [r[3] for r in rows], "name": [r[4] for r in rows],
                          "sector": [r[5] for r in rows], "legal_form": [r[6] for r in rows]}
    return points


def _point_options(popup_url: str, link_base: str, standalone: bool) -> dict:
    language = str(get_locale())
    return {
        "labels": {"code": _("Code"), "sector": _("Sector"), "legalForm": _("Legal form"),
                   "open": _("Open the establishment"), "loading": _("Loading…"),
                   "failed": _("The details could not be loaded.")},
        "sectors": {code: division.name(language) for code, division in reference.vsic_divisions().items()},
        "legalForms": {str(form.value): str(text) for form, text in reference.LEGAL_FORM_LABELS.items()},
        "popupUrl": popup_url, "linkBase": link_base, "newWindow": standalone,
    }


def _live_options(points_url: str, point_options: dict) -> dict:
    """Settings of the page's point layer (district_map.js `livePoints`): where to fetch, what to say."""
    count = "{count}"  # filled in by the script with the number, grouped as format_number does
    labels = {**point_options["labels"],
              "inView": _("%(count)s establishments in this view.", count=count),
              "clustered": _("Groups show how many establishments are near: click one to zoom in."),
              "cluster": _("%(count)s establishments: click to zoom in", count=count),
              "here": _("%(count)s establishments at this place", count=count),
              "previous": _("Previous"), "next": _("Next"),
              "pointsFailed": _("The establishments of this view could not be loaded.")}
    return {**point_options, "labels": labels, "pointsUrl": points_url, "thousands": format_number(1000)[1:-3]}
