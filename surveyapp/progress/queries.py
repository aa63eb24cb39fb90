"""All SQL of fieldwork figures: current records per round, area and state, and establishments to visit.

Both counts run over the same establishments — the province's, merged duplicates left out, narrowed
by the list's filter and a user's communes when given — so every rate's part is within its whole.
"""
from __future__ import annotations

import functools

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..establishments.filters import EstablishmentFilter
from ..establishments.queries import apply_filter, within_scope
from ..models import AdminUnit, Establishment, SurveyRecord, User
from .figures import CountsTable

#: What the counts can be grouped by: the whole province, a district, a commune, the commune after 1 July
#: 2025 (each legacy commune counts in its main successor), or who filled the record.
GROUPINGS = ("province", "district", "commune", "commune_2025", "enumerator")


@functools.cache
def _legacy_commune():
    """Each establishment's commune before 1 July 2025, joined as a second AdminUnit. Made on first use:
    an alias made at import time configures every mapper while the app starts."""
    return aliased(AdminUnit, name="legacy_commune")


def round_counts(session: Session, province_code: str, by: str = "province", *, round_id: int | None = None,
                 wanted: EstablishmentFilter | None = None, scope: set[str] | None = None) -> CountsTable:
    """Current records per (round, group, state) and establishments to visit per group.

    `by` is one of GROUPINGS; the group key is the district or commune code, the enumerator's user id
    (None for records made without an account), or None for the province. Establishments to visit
    are not counted per enumerator (None). `round_id` limits the records to one round.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping: {by}")
    wanted = wanted or EstablishmentFilter()
    record = aliased(SurveyRecord)  # the filter's own "has a record in round R" subquery must not correlate
    group = _group_columns(by, record)
    statement = (select(record.round_id, *group, record.status, func.count())
                 .select_from(Establishment).join(record, record.establishment_id == Establishment.id)
                 .where(record.is_current == True))  # noqa: E712
    if round_id is not None:
        statement = statement.where(record.round_id == round_id)
    statement = _joined_units(statement, by)
    statement = _establishments(statement, province_code, wanted, scope).group_by(record.round_id, *group,
                                                                                  record.status)
    records: dict = {}
    for record_round, *key, status, count in session.exec(statement):
        records.setdefault((record_round, key[0] if key else None), {})[str(status)] = count
    to_visit = None if by == "enumerator" else _to_visit(session, province_code, by, wanted, scope)
    return CountsTable(to_visit, records)


def _group_columns(by: str, record) -> tuple:
    if by == "enumerator":
        return (record.enumerator_id,)
    return {"province": (), "district": (Establishment.district_code,), "commune": (Establishment.commune_code,),
            "commune_2025": (_legacy_commune().successor_code,)}[by]


def _joined_units(statement: Select, by: str) -> Select:
    """The establishment's legacy commune, joined when counts go by the commune after 1 July 2025."""
    if by != "commune_2025":
        return statement
    legacy_commune = _legacy_commune()
    return statement.join(legacy_commune, legacy_commune.code == Establishment.commune_code)


def _establishments(statement: Select, province_code: str, wanted: EstablishmentFilter,
                    scope: set[str] | None) -> Select:
    """The establishments to visit: the province's, not merged (apply_filter), the filter's, the scope's."""
    statement = statement.where(Establishment.province_code == province_code)
    return within_scope(apply_filter(statement, wanted), scope)


def _to_visit(session: Session, province_code: str, by: str, wanted: EstablishmentFilter,
              scope: set[str] | None) -> dict:
    group = _group_columns(by, None)
    statement = _joined_units(select(*group, func.count()).select_from(Establishment), by)
    statement = _establishments(statement, province_code, wanted, scope).group_by(*group)
    return {(key[0] if key else None): count for *key, count in session.execute(statement)}


def enumerator_names(session: Session, user_ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """user id → (username, full name)."""
    statement = select(User.id, User.username, User.full_name).where(User.id.in_(sorted(user_ids)))
    return {user_id: (username, full_name) for user_id, username, full_name in session.exec(statement)}
