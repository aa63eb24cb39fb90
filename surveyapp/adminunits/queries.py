"""All SQL about administrative units."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, bindparam, case, delete, func, insert
from sqlmodel import Session, select

from ..models import AdminUnit, AdminUnit2025, CommuneCrosswalk, UnitLevel


def unit_by_code(session: Session, code: str) -> AdminUnit | None:
    return session.get(AdminUnit, code)


_UNIT_FACTS = select(AdminUnit.code, AdminUnit.name, AdminUnit.level, AdminUnit.parent_code,
                     AdminUnit.province_code).where(AdminUnit.code == bindparam("code"))


def unit_facts(session: Session, code: str) -> Row | None:
    """Code, name, level, parent and province of a unit, as plain values (a filter's check on every list)."""
    return session.connection().execute(_UNIT_FACTS, {"code": code}).first()


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


# --- the units after 1 July 2025 and the crosswalk ----------------------------------------------

def existing_codes_2025(session: Session) -> set[str]:
    return set(session.exec(select(AdminUnit2025.code)))


def replace_crosswalk(session: Session, rows: list[dict]) -> None:
    session.execute(delete(CommuneCrosswalk))
    if rows:
        session.execute(insert(CommuneCrosswalk), rows)


def units_2025_loaded(session: Session) -> bool:
    return session.exec(select(CommuneCrosswalk.legacy_code).limit(1)).first() is not None


def unit_2025_by_code(session: Session, code: str) -> AdminUnit2025 | None:
    return session.get(AdminUnit2025, code)


def _successors_of_province(province_code: str):
    """Codes of the 2025 communes that the province's legacy communes count in (their main part)."""
    return (select(CommuneCrosswalk.new_code)
            .join(AdminUnit, AdminUnit.code == CommuneCrosswalk.legacy_code)
            .where(AdminUnit.province_code == province_code, AdminUnit.level == UnitLevel.commune,
                   CommuneCrosswalk.is_main == True))  # noqa: E712


def communes_2025_of_province(session: Session, province_code: str) -> list[AdminUnit2025]:
    """The 2025 communes covering the (legacy) province: those its communes went to, ordered by code."""
    statement = (select(AdminUnit2025).where(AdminUnit2025.code.in_(_successors_of_province(province_code)))
                 .order_by(AdminUnit2025.code))
    return list(session.exec(statement))


def commune_2025_choices(session: Session, province_code: str) -> list[tuple[str, str]]:
    """(code, name) of those communes, for drop-downs."""
    statement = (select(AdminUnit2025.code, AdminUnit2025.name)
                 .where(AdminUnit2025.code.in_(_successors_of_province(province_code)))
                 .order_by(AdminUnit2025.code))
    return [tuple(row) for row in session.exec(statement)]


def is_commune_2025_of_province(session: Session, code: str, province_code: str) -> bool:
    statement = _successors_of_province(province_code).where(CommuneCrosswalk.new_code == code).limit(1)
    return session.exec(statement).first() is not None


def legacy_communes_counted_in(new_code: str):
    """SELECT of the legacy commune codes whose establishments count in this 2025 commune."""
    return select(CommuneCrosswalk.legacy_code).where(CommuneCrosswalk.new_code == new_code,
                                                      CommuneCrosswalk.is_main == True)  # noqa: E712


def crosswalk_of(session: Session, legacy_code: str) -> list[tuple[CommuneCrosswalk, AdminUnit2025]]:
    """Every new commune a legacy commune went to, its main part first."""
    statement = (select(CommuneCrosswalk, AdminUnit2025)
                 .join(AdminUnit2025, AdminUnit2025.code == CommuneCrosswalk.new_code)
                 .where(CommuneCrosswalk.legacy_code == legacy_code)
                 .order_by(CommuneCrosswalk.is_main.desc(), CommuneCrosswalk.new_code))
    return list(session.exec(statement).all())


def crosswalk_counts(session: Session, province_code: str) -> dict[str, int]:
    """Of the province's legacy communes: how many went whole into one new commune, how many were split."""
    parts = (select(CommuneCrosswalk.legacy_code, func.count().label("parts"))
             .join(AdminUnit, AdminUnit.code == CommuneCrosswalk.legacy_code)
             .where(AdminUnit.province_code == province_code)
             .group_by(CommuneCrosswalk.legacy_code).subquery())
    statement = select(func.sum(case((parts.c.parts == 1, 1), else_=0)),
                       func.sum(case((parts.c.parts > 1, 1), else_=0)))
    one_to_one, split = session.exec(statement).one()
    return {"one_new_commune": int(one_to_one or 0), "split": int(split or 0)}


@dataclass(frozen=True)
class Successor:
    """Where a legacy commune's establishments count after 1 July 2025."""

    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    #: The legacy commune was split; this is its main part.
    split: bool


def successors_by_code(session: Session, legacy_codes: set[str]) -> dict[str, Successor]:
    """Legacy commune code → its 2025 commune (the main part), for the rows of a page."""
    if not legacy_codes:
        return {}
    statement = (select(AdminUnit.code, AdminUnit.successor_code, AdminUnit.successor_name,
                        AdminUnit.successor_province_code, AdminUnit.successor_province_name, AdminUnit.successor_split)
                 .where(AdminUnit.code.in_(sorted(legacy_codes)), AdminUnit.successor_code.is_not(None)))
    return {code: Successor(*rest) for code, *rest in session.exec(statement)}
