"""All SQL about administrative units."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import AdminUnit, UnitLevel


def unit_by_code(session: Session, code: str) -> AdminUnit | None:
    return session.get(AdminUnit, code)


def _children(session: Session, parent_code: str, level: UnitLevel) -> list[AdminUnit]:
    statement = (
        select(AdminUnit).where(AdminUnit.level == level, AdminUnit.parent_code == parent_code).order_by(AdminUnit.code)
    )
    return list(session.exec(statement))


def districts_of_province(session: Session, province_code: str) -> list[AdminUnit]:
    return _children(session, province_code, UnitLevel.district)


def communes_of_district(session: Session, district_code: str) -> list[AdminUnit]:
    return _children(session, district_code, UnitLevel.commune)


def unit_choices(session: Session, province_code: str, level: UnitLevel) -> list[tuple[str, str, str | None]]:
    """(code, name, parent code) of the province's units of a level, for drop-downs (plain rows: a
    list page builds these on every request)."""
    statement = (
        select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code)
        .where(AdminUnit.level == level, AdminUnit.province_code == province_code)
        .order_by(AdminUnit.parent_code, AdminUnit.code)
    )
    return [tuple(row) for row in session.exec(statement)]


def communes_of_province(session: Session, province_code: str) -> list[AdminUnit]:
    statement = (
        select(AdminUnit)
        .where(AdminUnit.level == UnitLevel.commune, AdminUnit.province_code == province_code)
        .order_by(AdminUnit.parent_code, AdminUnit.code)
    )
    return list(session.exec(statement))




def existing_codes(session: Session) -> set[str]:
    return set(session.exec(select(AdminUnit.code)))


def count_by_level(session: Session, province_code: str | None = None) -> dict[str, int]:
    statement = select(AdminUnit.level, func.count()).group_by(AdminUnit.level)
    if province_code:
        statement = statement.where(AdminUnit.province_code == province_code)
    return {str(level): count for level, count in session.exec(statement)}


def names_by_code(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    statement = select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(sorted(codes)))
    return dict(session.exec(statement).all())
