"""All SQL of maps, boundaries and GPS consistency."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import BigInteger, and_, case, cast, delete, func, insert, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import AdminUnit, AuditEvent, Boundary, Establishment, SurveyRecord, SurveyRound, UnitLevel

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
    statement = (
        select(Boundary.unit_code, AdminUnit.name, Boundary.geometry, Boundary.source_file)
        .join(AdminUnit, AdminUnit.code == Boundary.unit_code)
        .where(Boundary.level == level, AdminUnit.province_code == province_code)
        .order_by(Boundary.unit_code)
    )
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

#: Aliases for the latest record joined to each establishment (the round filter's EXISTS names the
#: tables themselves; joining them unaliased would make that subquery correlate to the join).
_LatestRound = aliased(SurveyRound, name="latest_round")
_LatestRecord = aliased(SurveyRecord, name="latest_record")


@dataclass(frozen=True)
class UnitTotals:
    establishments: int
    workers: int
    revenue_vnd: int
    in_sector: int | None
    certified: int | None


def totals_by_unit(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, level: str,
                   share_of: str | None = None, certified: bool = False) -> dict[str, UnitTotals]:
    """Filtered establishments grouped by district or commune, in one GROUP BY."""
    unit = Establishment.district_code if level == UnitLevel.district.value else Establishment.commune_code
    columns = [unit, func.count(), _sum(Establishment.workers), _sum(Establishment.revenue_vnd)]
    if share_of:
        columns.append(func.sum(case((Establishment.sector == share_of, 1), else_=0)))
    if certified:
        answer = _LatestRecord.answers[CERTIFIED_QUESTION].as_string()
        named = func.coalesce(answer, NOT_CERTIFIED).not_in([NOT_CERTIFIED, ""])
        columns.append(func.sum(case((named, 1), else_=0)))
    statement = select(*columns).select_from(Establishment)
    if certified:
        # The latest record: the current version of the record of the establishment's latest round
        # (one per establishment and round, so the joins never duplicate an establishment).
        latest = and_(_LatestRecord.establishment_id == Establishment.id, _LatestRecord.round_id == _LatestRound.id,
                      _LatestRecord.is_current == True)  # noqa: E712
        statement = (statement.outerjoin(_LatestRound, _LatestRound.code == Establishment.latest_round_code)
                     .outerjoin(_LatestRecord, latest))
    statement = within_scope(apply_filter(statement, wanted), scope).group_by(unit)
    result = {}
    for row in session.exec(statement):
        row = list(row)
        code, count, workers, revenue = row[:4]
        extra = row[4:]
        in_sector = int(extra.pop(0) or 0) if share_of else None
        n_certified = int(extra.pop(0) or 0) if certified else None
        result[code] = UnitTotals(count, int(workers), int(revenue), in_sector, n_certified)
    return result


# --- establishment points ------------------------------------------------------------------------

def _located(wanted: "EstablishmentFilter", scope: set[str] | None, *columns):
    statement = select(*columns).where(Establishment.lat.is_not(None), Establishment.lon.is_not(None))
    return within_scope(apply_filter(statement, wanted), scope)


def count_located(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None) -> int:
    return session.exec(_located(wanted, scope, func.count()).select_from(Establishment)).one()


def point_rows(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, limit: int,
               details: bool = False) -> list[tuple]:
    """(id, lat, lon) of filtered establishments with a GPS point, by id; with `details` also
    (code, name, sector, legal form) for maps that must show popups without the server."""
    columns = [Establishment.id, Establishment.lat, Establishment.lon]
    if details:
        columns += [Establishment.code, Establishment.name, Establishment.sector, Establishment.legal_form]
    statement = _located(wanted, scope, *columns).order_by(Establishment.id).limit(limit)
    return list(session.exec(statement).all())


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

