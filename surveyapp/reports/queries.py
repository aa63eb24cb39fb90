"""All SQL of reports: GROUP BY aggregates over the filtered establishments, never rows one by one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, cast, func
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import Establishment

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


def _sum(column):
    """SUM as a whole number on every backend (PostgreSQL returns NUMERIC for a bigint sum)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _filtered(statement: Select, province_code: str, wanted: "EstablishmentFilter", scope: set[str] | None) -> Select:
    statement = statement.where(Establishment.province_code == province_code)
    return within_scope(apply_filter(statement, wanted), scope)


def by_district_and_sector(session: Session, province_code: str, wanted: "EstablishmentFilter",
                           scope: set[str] | None) -> list[tuple[str, str, int, int]]:
    """(district code, sector, establishments, workers)."""
    statement = select(Establishment.district_code, Establishment.sector, func.count(), _sum(Establishment.workers))
    statement = _filtered(statement, province_code, wanted, scope).group_by(Establishment.district_code,
                                                                           Establishment.sector)
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
    """district code → (establishments, workers, revenue đồng)."""
    statement = select(Establishment.district_code, func.count(), _sum(Establishment.workers),
                       _sum(Establishment.revenue_vnd))
    statement = _filtered(statement, province_code, wanted, scope).group_by(Establishment.district_code)
    return {code: (count, workers, revenue) for code, count, workers, revenue in session.exec(statement).all()}
