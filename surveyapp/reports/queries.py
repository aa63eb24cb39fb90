"""All SQL of reports: GROUP BY aggregates over the filtered establishments, never rows one by one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, cast, func
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import AdminUnit, Establishment

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


_LegacyCommune = aliased(AdminUnit, name="legacy_commune")


def _sum(column):
    """SUM as a whole number on every backend (PostgreSQL returns NUMERIC for a bigint sum)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _filtered(statement: Select, province_code: str, wanted: "EstablishmentFilter", scope: set[str] | None) -> Select:
    statement = statement.where(Establishment.province_code == province_code)
    if wanted.units_2025:  # areas are the communes after 1 July 2025: each legacy commune's main successor
        statement = statement.join(_LegacyCommune, _LegacyCommune.code == Establishment.commune_code)
    return within_scope(apply_filter(statement, wanted), scope)


def _area(wanted: "EstablishmentFilter"):
    """What "by district" tables group by: the district, or with `units=2025` the commune after 1 July 2025."""
    return _LegacyCommune.successor_code if wanted.units_2025 else Establishment.district_code


def by_district_and_sector(session: Session, province_code: str, wanted: "EstablishmentFilter",
                           scope: set[str] | None) -> list[tuple[str, str, int, int]]:
    """(district code, sector, establishments, workers); the 2025 commune instead of the district with `units=2025`."""
    area = _area(wanted)
    statement = select(area, Establishment.sector, func.count(), _sum(Establishment.workers)).select_from(Establishment)
    statement = _filtered(statement, province_code, wanted, scope).group_by(area, Establishment.sector)
    return [tuple(row) for row in session.exec(statement).all()]


def by_legal_form(session: Session, province_code: str, wanted: "EstablishmentFilter",
                  scope: set[str] | None) -> list[tuple[str, int, int, int, int]]:
    """(legal form, establishments, workers, revenue đồng, capital đồng), most establishments first."""
    statement = select(Establishment.legal_form, func.count(), _sum(Establishment.workers),
                       _sum(Establishment.revenue_vnd), _sum(Establishment.capital_vnd))
    statement = _filtered(statement, province_code, wanted, scope).group_by(Establishment.legal_form)
    return sorted((tuple(row) for row in session.exec(statement).all()), key=lambda row: (-row[1], row[0]))


def by_district(session: Session, province_code: str, wanted: "EstablishmentFilter",
                scope: set[str] | None) -> dict[str, tuple[int, int, int]]:
    """district code (the 2025 commune with `units=2025`) → (establishments, workers, revenue đồng)."""
    area = _area(wanted)
    statement = select(area, func.count(), _sum(Establishment.workers),
                       _sum(Establishment.revenue_vnd)).select_from(Establishment)
    statement = _filtered(statement, province_code, wanted, scope).group_by(area)
    return {code: (count, workers, revenue) for code, count, workers, revenue in session.exec(statement).all()}
