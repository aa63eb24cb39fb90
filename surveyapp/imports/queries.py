"""All SQL of imports: the establishments a file names, found by code or by commune, name and owner."""
from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import Row
from sqlmodel import Session, select

from ..models import AdminUnit, Establishment, SurveyRecord

#: Codes or ids per IN (...) list: well under every backend's parameter limit.
CHUNK = 500
#: The establishment columns an import may change, compared with the file to tell updates from no-ops.
COMPARED = ("name", "owner", "legal_form", "vsic_code", "commune_code", "address", "lat", "lon", "workers",
            "revenue_vnd", "capital_vnd", "status", "tax_code", "phone", "year_started")
_COMPARED_COLUMNS = [getattr(Establishment, name) for name in COMPARED]


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def current_values_by_code(session: Session, codes: Iterable[str]) -> dict[str, Row]:
    """code → (id, code, compared columns...) of the establishments that exist."""
    found: dict[str, Row] = {}
    for chunk in _chunks(sorted(set(codes))):
        statement = select(Establishment.id, Establishment.code, *_COMPARED_COLUMNS).where(Establishment.code.in_(chunk))
        found.update({row.code: row for row in session.exec(statement).all()})
    return found


def current_values_by_id(session: Session, ids: Iterable[int]) -> dict[int, Row]:
    found: dict[int, Row] = {}
    for chunk in _chunks(sorted(set(ids))):
        statement = select(Establishment.id, Establishment.code, *_COMPARED_COLUMNS).where(Establishment.id.in_(chunk))
        found.update({row.id: row for row in session.exec(statement).all()})
    return found


def names_in_communes(session: Session, communes: Iterable[str]) -> list[Row]:
    """(id, code, commune_code, name, owner) of every establishment of these communes."""
    rows: list[Row] = []
    for chunk in _chunks(sorted(set(communes))):
        statement = select(Establishment.id, Establishment.code, Establishment.commune_code, Establishment.name,
                           Establishment.owner).where(Establishment.commune_code.in_(chunk))
        rows.extend(session.exec(statement).all())
    return rows


def establishments_by_id(session: Session, ids: list[int]) -> dict[int, Establishment]:
    statement = select(Establishment).where(Establishment.id.in_(ids))
    return {establishment.id: establishment for establishment in session.exec(statement)}


def units_by_code(session: Session, codes: Iterable[str]) -> dict[str, AdminUnit]:
    found: dict[str, AdminUnit] = {}
    for chunk in _chunks(sorted(set(codes))):
        found.update({unit.code: unit for unit in session.exec(select(AdminUnit).where(AdminUnit.code.in_(chunk)))})
    return found


def current_records(session: Session, round_id: int, establishment_ids: list[int]) -> dict[int, SurveyRecord]:
    """establishment id → its current record in the round, for these establishments."""
    statement = select(SurveyRecord).where(SurveyRecord.round_id == round_id, SurveyRecord.is_current == True,  # noqa: E712
                                           SurveyRecord.establishment_id.in_(establishment_ids))
    return {record.establishment_id: record for record in session.exec(statement)}


def establishments_with_other_rounds(session: Session, round_id: int, establishment_ids: list[int]) -> set[int]:
    """Which of these establishments have a record in another round (their visit is an update)."""
    statement = select(SurveyRecord.establishment_id).where(
        SurveyRecord.round_id != round_id, SurveyRecord.establishment_id.in_(establishment_ids)).distinct()
    return set(session.exec(statement).all())
