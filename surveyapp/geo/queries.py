"""All SQL of maps, boundaries and GPS consistency."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import BigInteger, and_, case, cast, delete, func, insert, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import (MAP_GRID_LEVEL, AdminUnit, AuditEvent, Boundary, Establishment, SurveyRecord, SurveyRound,
                      UnitLevel, map_grid_cell)
from .viewport import LAT_OFFSET, LON_OFFSET, Cells, View, cells_covering

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter

#: Answer that says a product of the establishment is certified as a typical rural industrial product.
CERTIFIED_QUESTION = "typical_product_level"
NOT_CERTIFIED = "none"


def _sum(column):
    """SUM as a whole number on every backend (PostgreSQL returns NUMERIC for a bigint sum)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


# --- administrative units and boundaries -------------------------------------------------------

def units_of_level(session: Session, province_code: str, level: str) -> list[AdminUnit]:
    statement = (select(AdminUnit).where(AdminUnit.province_code == province_code, AdminUnit.level == level)
                 .order_by(AdminUnit.code))
    return list(session.exec(statement))


def _units_of_level_codes(province_code: str, level: str):
    return select(AdminUnit.code).where(AdminUnit.province_code == province_code, AdminUnit.level == level)


def replace_boundaries(session: Session, province_code: str, level: str, rows: list[dict]) -> int:
    """Delete the province's boundaries of this level and insert `rows`; returns how many were deleted."""
    removed = session.execute(
        delete(Boundary).where(Boundary.level == level,
                               Boundary.unit_code.in_(_units_of_level_codes(province_code, level)))
    ).rowcount
    if rows:
        session.execute(insert(Boundary), rows)
    return removed or 0


@dataclass(frozen=True)
class StoredBoundary:
    unit_code: str
    name: str
    geometry: dict
    source_file: str | None


def boundaries_of_level(session: Session, province_code: str, level: str) -> list[StoredBoundary]:
    return _stored_boundaries(session, Boundary.level == level, AdminUnit.province_code == province_code)


def _stored_boundaries(session: Session, *conditions) -> list[StoredBoundary]:
    statement = (select(Boundary.unit_code, AdminUnit.name, Boundary.geometry, Boundary.source_file)
                 .join(AdminUnit, AdminUnit.code == Boundary.unit_code)
                 .where(*conditions).order_by(Boundary.unit_code))
    return [StoredBoundary(*row) for row in session.exec(statement)]


@dataclass(frozen=True)
class BoundarySummary:
    level: str
    units: int
    with_boundary: int
    source_files: tuple[str, ...]
    imported_at: object


def boundary_summary(session: Session, province_code: str) -> list[BoundarySummary]:
    """Per level: how many units the province has, how many have a boundary, from which files, when."""
    summaries = []
    for level in (UnitLevel.district.value, UnitLevel.commune.value):
        units = session.exec(select(func.count()).select_from(AdminUnit).where(
            AdminUnit.province_code == province_code, AdminUnit.level == level)).one()
        statement = (select(Boundary.source_file, func.count(), func.max(Boundary.imported_at))
                     .join(AdminUnit, AdminUnit.code == Boundary.unit_code)
                     .where(Boundary.level == level, AdminUnit.province_code == province_code)
                     .group_by(Boundary.source_file))
        rows = session.exec(statement).all()
        summaries.append(BoundarySummary(
            level, units, sum(count for _, count, _ in rows), tuple(sorted(str(f) for f, _, _ in rows if f)),
            max((moment for _, _, moment in rows), default=None)))
    return summaries


def boundary_counts(session: Session, province_code: str) -> dict[str, int]:
    statement = (select(Boundary.level, func.count()).join(AdminUnit, AdminUnit.code == Boundary.unit_code)
                 .where(AdminUnit.province_code == province_code).group_by(Boundary.level))
    return {str(level): count for level, count in session.exec(statement)}


# --- aggregates for the choropleth ---------------------------------------------------------------


@functools.cache
def _aliases():
    """(latest round, latest record, legacy commune): aliases for the latest record joined to each
    establishment (the round filter's EXISTS names the tables themselves; joining them unaliased would
    make that subquery correlate to the join) and for its commune before 1 July 2025. Made on first use:
    an alias made at import time configures every mapper while the app starts."""
    return (aliased(SurveyRound, name="latest_round"), aliased(SurveyRecord, name="latest_record"),
            aliased(AdminUnit, name="legacy_commune"))


#: The map's level of the communes after 1 July 2025 (drawn as circles: they have no boundaries).
COMMUNE_2025 = "commune_2025"


@dataclass(frozen=True)
class UnitTotals:
    establishments: int
    workers: int
    revenue_vnd: int
    in_sector: int | None
    certified: int | None
    #: Establishments with a GPS point (latitude and longitude).
    located: int = 0


def totals_by_unit(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, level: str,
                   share_of: str | None = None, certified: bool = False) -> dict[str, UnitTotals]:
    """Filtered establishments grouped by district or commune, in one GROUP BY.

    Communes are grouped with their district first, the order of `ix_establishment_map_units`, which
    holds every column read here: a million rows are summed from the index, without a sort."""
    latest_round, latest_record, legacy_commune = _aliases()
    units = [Establishment.district_code]
    if level == COMMUNE_2025:  # each legacy commune counts in its 2025 commune (the main part of a split one)
        units = [legacy_commune.successor_code]
    elif level != UnitLevel.district.value:
        units.append(Establishment.commune_code)
    located = and_(Establishment.lat.is_not(None), Establishment.lon.is_not(None))
    columns = [*units, func.count(), _sum(Establishment.workers), _sum(Establishment.revenue_vnd),
               func.sum(case((located, 1), else_=0))]
    if share_of:
        columns.append(func.sum(case((Establishment.sector == share_of, 1), else_=0)))
    if certified:
        answer = latest_record.answers[CERTIFIED_QUESTION].as_string()
        named = func.coalesce(answer, NOT_CERTIFIED).not_in([NOT_CERTIFIED, ""])
        columns.append(func.sum(case((named, 1), else_=0)))
    statement = select(*columns).select_from(Establishment)
    if level == COMMUNE_2025:
        statement = statement.join(legacy_commune, legacy_commune.code == Establishment.commune_code)
    if certified:
        # The latest record: the current version of the record of the establishment's latest round
        # (one per establishment and round, so the joins never duplicate an establishment).
        latest = and_(latest_record.establishment_id == Establishment.id, latest_record.round_id == latest_round.id,
                      latest_record.is_current == True)  # noqa: E712
        statement = (statement.outerjoin(latest_round, latest_round.code == Establishment.latest_round_code)
                     .outerjoin(latest_record, latest))
    statement = within_scope(apply_filter(statement, wanted), scope).group_by(*units)
    result = {}
    for row in session.exec(statement):
        row = list(row)
        code = row[len(units) - 1]
        count, workers, revenue, n_located = row[len(units):len(units) + 4]
        extra = row[len(units) + 4:]
        in_sector = int(extra.pop(0) or 0) if share_of else None
        n_certified = int(extra.pop(0) or 0) if certified else None
        result[code] = UnitTotals(count, int(workers), int(revenue), in_sector, n_certified, int(n_located or 0))
    return result


# --- establishment points ------------------------------------------------------------------------

def _located(wanted: "EstablishmentFilter", scope: set[str] | None, *columns):
    statement = select(*columns).where(Establishment.lat.is_not(None), Establishment.lon.is_not(None))
    return within_scope(apply_filter(statement, wanted), scope)


def point_rows(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, limit: int,
               details: bool = False) -> list[tuple]:
    """(id, lat, lon) of filtered establishments with a GPS point, by id; with `details` also
    (code, name, sector, legal form) for maps that must show popups without the server."""
    columns = [Establishment.id, Establishment.lat, Establishment.lon]
    if details:
        columns += [Establishment.code, Establishment.name, Establishment.sector, Establishment.legal_form]
    statement = _located(wanted, scope, *columns).order_by(Establishment.id).limit(limit)
    return list(session.exec(statement).all())


def _grid(level: int):
    """The (row, column) cell expressions of a grid level; at MAP_GRID_LEVEL, those of the grid index."""
    return map_grid_cell(Establishment.lat, LAT_OFFSET, level), map_grid_cell(Establishment.lon, LON_OFFSET, level)


def _in_cells(statement, cells: Cells):
    """Only rows in these cells, read from the grid index's range of them."""
    indexed = cells.at(MAP_GRID_LEVEL)
    row, column = _grid(MAP_GRID_LEVEL)
    statement = statement.where(row.between(indexed.y0, indexed.y1), column.between(indexed.x0, indexed.x1))
    if cells.level > MAP_GRID_LEVEL:
        row, column = _grid(cells.level)
        statement = statement.where(row.between(cells.y0, cells.y1), column.between(cells.x0, cells.x1))
    return statement


def points_in_view(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, view: View,
                   limit: int) -> list[tuple[int, float, float]]:
    """Up to `limit` (id, lat, lon) of the filtered establishments inside the view, by id. Ask for one
    more than you show: no ORDER BY in SQL, so a crowded view stops reading after `limit` rows."""
    statement = _in_cells(_located(wanted, scope, Establishment.id, Establishment.lat, Establishment.lon),
                          cells_covering(view, MAP_GRID_LEVEL))
    statement = statement.where(Establishment.lat.between(view.south, view.north),
                                Establishment.lon.between(view.west, view.east))
    return sorted(tuple(row) for row in session.exec(statement.limit(limit)))


@dataclass(frozen=True)
class GridCluster:
    """The filtered establishments of one grid cell."""
    count: int
    #: Mean position of the establishments.
    lat: float
    lon: float
    #: The smallest id: the establishment itself when the cell holds one.
    first_id: int
    #: Cells of `inner_level` holding them: rows y0–y1, columns x0–x1.
    y0: int
    y1: int
    x0: int
    x1: int


def clusters_in_cells(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, cells: Cells,
                      inner_level: int) -> list[GridCluster]:
    """The filtered establishments in these cells, grouped by cell: first by the finer cells of
    `inner_level` (MAP_GRID_LEVEL: SQLite groups a million rows in the grid index's order, without
    sorting them), then those few rows by the cells asked for."""
    row, column = _grid(inner_level)
    per_cell = select(row.label("y"), column.label("x"), func.count().label("n"),
                      func.sum(Establishment.lat).label("lat_sum"), func.sum(Establishment.lon).label("lon_sum"),
                      func.min(Establishment.id).label("first_id"))  # no point: no cell, left out by _in_cells
    fine = _in_cells(within_scope(apply_filter(per_cell, wanted), scope), cells.at(inner_level))
    fine = fine.group_by(row, column).subquery("fine")
    shift = 2 ** (inner_level - cells.level)
    y, x = (fine.c.y // shift, fine.c.x // shift) if shift > 1 else (fine.c.y, fine.c.x)
    statement = select(func.sum(fine.c.n), func.sum(fine.c.lat_sum), func.sum(fine.c.lon_sum),
                       func.min(fine.c.first_id), func.min(fine.c.y), func.max(fine.c.y), func.min(fine.c.x),
                       func.max(fine.c.x)).group_by(y, x)
    clusters = []
    for count, lat_sum, lon_sum, first_id, y0, y1, x0, x1 in session.exec(statement):
        count = int(count)
        clusters.append(GridCluster(count, lat_sum / count, lon_sum / count, first_id, y0, y1, x0, x1))
    return clusters


def establishment_by_id(session: Session, establishment_id: int) -> Establishment | None:
    return session.get(Establishment, establishment_id)


# --- GPS consistency -----------------------------------------------------------------------------

def locations_after(session: Session, province_code: str, after_id: int, limit: int,
                    only: list[int] | None = None) -> list[tuple]:
    """The next chunk (keyset on id) of (id, lat, lon, district, commune, gps_mismatch); `only`: these ids."""
    statement = (
        select(Establishment.id, Establishment.lat, Establishment.lon, Establishment.district_code,
               Establishment.commune_code, Establishment.gps_mismatch)
        .where(Establishment.province_code == province_code, Establishment.id > after_id)
        .order_by(Establishment.id).limit(limit)
    )
    if only is not None:
        statement = statement.where(Establishment.id.in_(only))
    return list(session.exec(statement).all())


def set_gps_mismatch(session: Session, changes: Iterable[dict]) -> None:
    """Bulk UPDATE by primary key: [{"id": 1, "gps_mismatch": True}, ...]."""
    changes = list(changes)
    if changes:
        session.execute(update(Establishment), changes)


def clear_gps_mismatch(session: Session, province_code: str, only: list[int] | None = None) -> int:
    """Flags back to unknown (no boundaries left to check against)."""
    statement = update(Establishment).where(Establishment.province_code == province_code,
                                            Establishment.gps_mismatch.is_not(None))
    if only is not None:
        statement = statement.where(Establishment.id.in_(only))
    return session.execute(statement.values(gps_mismatch=None)).rowcount or 0


def gps_counts(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None) -> dict[bool | None, int]:
    """How many filtered establishments lie outside (True), inside (False) or are unchecked (None)."""
    statement = within_scope(apply_filter(
        select(Establishment.gps_mismatch, func.count()).select_from(Establishment), wanted), scope)
    return {flag: count for flag, count in session.exec(statement.group_by(Establishment.gps_mismatch))}


def latest_event(session: Session, action: str) -> AuditEvent | None:
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
    return session.exec(statement).first()



# --- GPS judged at capture -----------------------------------------------------------------------

def boundary_of(session: Session, unit_code: str) -> StoredBoundary | None:
    statement = (select(Boundary.unit_code, AdminUnit.name, Boundary.geometry, Boundary.source_file)
                 .join(AdminUnit, AdminUnit.code == Boundary.unit_code).where(Boundary.unit_code == unit_code))
    row = session.exec(statement).first()
    return StoredBoundary(*row) if row else None


def boundaries_under(session: Session, parent_code: str) -> list[StoredBoundary]:
    """The imported outlines of the units whose parent is `parent_code` (a district's communes)."""
    return _stored_boundaries(session, AdminUnit.parent_code == parent_code)


@dataclass(frozen=True)
class FlaggedRecord:
    uuid: str
    code: str
    name: str
    commune_code: str
    district_code: str
    round_code: str
    status: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    imprecise: bool | None
    outside_district: bool | None


def flagged_records(session: Session, province_code: str, scope: set[str] | None,
                    limit: int) -> tuple[int, list[FlaggedRecord]]:
    """Current records whose GPS was kept although flagged at capture: (how many, the latest `limit`)."""
    flagged = (SurveyRecord.is_current & ((SurveyRecord.gps_imprecise.is_(True))
                                          | (SurveyRecord.gps_outside_district.is_(True))))
    base = (select(SurveyRecord).join(Establishment, Establishment.id == SurveyRecord.establishment_id)
            .where(flagged, Establishment.province_code == province_code))
    base = within_scope(base, scope)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    statement = within_scope(
        select(SurveyRecord.uuid, Establishment.code, Establishment.name, Establishment.commune_code,
               Establishment.district_code, SurveyRound.code, SurveyRecord.status, SurveyRecord.lat,
               SurveyRecord.lon, SurveyRecord.gps_accuracy_m, SurveyRecord.gps_imprecise,
               SurveyRecord.gps_outside_district)
        .join(Establishment, Establishment.id == SurveyRecord.establishment_id)
        .join(SurveyRound, SurveyRound.id == SurveyRecord.round_id)
        .where(flagged, Establishment.province_code == province_code), scope)
    rows = session.exec(statement.order_by(SurveyRecord.updated_at.desc(), SurveyRecord.id.desc()).limit(limit))
    return total, [FlaggedRecord(*row) for row in rows]
