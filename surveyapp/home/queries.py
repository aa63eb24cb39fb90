"""Aggregates for the home page, computed in SQL."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, cast, func
from sqlmodel import Session, select

from ..models import AdminUnit, Establishment


def _sum(column):
    """SUM as a whole number on every backend (PostgreSQL returns NUMERIC for a bigint sum)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


@dataclass
class Totals:
    establishments: int
    workers: int
    revenue_vnd: int
    communes: int


def totals(session: Session, province_code: str) -> Totals:
    statement = select(
        func.count(),
        _sum(Establishment.workers),
        _sum(Establishment.revenue_vnd),
        func.count(func.distinct(Establishment.commune_code)),
    ).where(Establishment.province_code == province_code, Establishment.status != "merged")
    return Totals(*session.exec(statement).one())


def establishments_by_district(session: Session, province_code: str) -> list[tuple]:
    """(code, name, establishments, workers, revenue) for every district, with zeros where empty."""
    counts = (
        select(
            Establishment.district_code.label("code"),
            func.count().label("establishments"),
            _sum(Establishment.workers).label("workers"),
            _sum(Establishment.revenue_vnd).label("revenue"),
        )
        .where(Establishment.province_code == province_code, Establishment.status != "merged")
        .group_by(Establishment.district_code)
        .subquery()
    )
    statement = (
        select(
            AdminUnit.code,
            AdminUnit.name,
            func.coalesce(counts.c.establishments, 0),
            func.coalesce(counts.c.workers, 0),
            func.coalesce(counts.c.revenue, 0),
        )
        .outerjoin(counts, counts.c.code == AdminUnit.code)
        .where(AdminUnit.level == "district", AdminUnit.parent_code == province_code)
        .order_by(AdminUnit.code)
    )
    return list(session.exec(statement).all())


def establishments_by_sector(session: Session, province_code: str) -> list[tuple]:
    """(sector, establishments, workers), largest first."""
    statement = (
        select(Establishment.sector, func.count(), _sum(Establishment.workers))
        .where(Establishment.province_code == province_code, Establishment.status != "merged")
        .group_by(Establishment.sector)
        .order_by(func.count().desc(), Establishment.sector)
    )
    return list(session.exec(statement).all())
