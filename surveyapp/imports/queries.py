"""All SQL of imports: the establishments a file names, found by code or by commune, name and owner;
the multi-row statements that write a plan."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Iterator

from sqlalchemy import Row, Table, bindparam, func, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..models import AdminUnit, AuditEvent, Establishment, SurveyRecord

#: Codes or ids per IN (...) list: well under every backend's parameter limit.
CHUNK = 500
#: The establishment columns an import may change, compared with the file to tell updates from no-ops.
COMPARED = ("name", "owner", "legal_form", "vsic_code", "commune_code", "address", "lat", "lon", "workers",
            "revenue_vnd", "capital_vnd", "status", "tax_code", "phone", "year_started")
#: Table columns, not ORM attributes: 100,000 rows come back as plain rows, without the ORM's loading,
#: and multi-row statements skip the ORM's bookkeeping.
_TABLE: Table = Establishment.__table__
_COMPARED_COLUMNS = [_TABLE.c[name] for name in COMPARED]


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def current_values_by_code(session: Session, codes: Iterable[str]) -> dict[str, Row]:
    """code → (id, code, compared columns...) of the establishments that exist."""
    found: dict[str, Row] = {}
    for chunk in _chunks(sorted(set(codes))):
        statement = select(_TABLE.c.id, _TABLE.c.code, *_COMPARED_COLUMNS).where(_TABLE.c.code.in_(chunk))
        found.update({row.code: row for row in session.execute(statement).all()})
    return found


def current_values_by_id(session: Session, ids: Iterable[int]) -> dict[int, Row]:
    found: dict[int, Row] = {}
    for chunk in _chunks(sorted(set(ids))):
        statement = select(_TABLE.c.id, _TABLE.c.code, *_COMPARED_COLUMNS).where(_TABLE.c.id.in_(chunk))
        found.update({row.id: row for row in session.execute(statement).all()})
    return found


def compared_values(row: Row) -> tuple:
    """The COMPARED columns of a row of `current_values_by_code` or `_by_id`, in COMPARED's order."""
    return tuple(row)[2:]


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


def highest_establishment_id(session: Session) -> int:
    """The largest id so far (0 for none): the rows an import adds next all have larger ones."""
    return session.execute(select(func.max(_TABLE.c.id))).scalar() or 0


def insert_establishments(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add the rows (each with every column but id) in the way each backend takes fastest.

    SQLite: multi-row INSERTs of up to 1,000 rows (SQLAlchemy batches them so when RETURNING is asked):
    with the search index's FTS5 trigger, one-row statements take three times as long (25 s against
    8 s for 100,000 rows). PostgreSQL: COPY, about a third of an executemany's time in Python and two
    thirds in the server; a multi-row INSERT is worse still (psycopg parses its 28,000 placeholders
    anew for every batch, about half a millisecond a row).
    """
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        session.execute(insert(_TABLE).returning(_TABLE.c.id), rows).all()
    elif dialect.name == "postgresql":
        _copy_rows(session, _TABLE, rows)
    else:
        session.execute(insert(_TABLE), rows)


def _copy_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY rows of plain values (str, int, float, bool, None, aware datetime) into a table, in the
    session's transaction. Refused rows raise IntegrityError, as an INSERT would."""
    if not rows:
        return
    connection = session.connection()
    dialect, names = connection.dialect, list(rows[0])
    preparer = dialect.identifier_preparer
    statement = (f"COPY {preparer.format_table(table)} ({', '.join(preparer.quote(name) for name in names)}) "
                 "FROM STDIN")
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])
    except dialect.dbapi.IntegrityError as error:
        raise IntegrityError(statement, None, error) from error


def codes_and_ids_after(session: Session, after_id: int) -> dict[str, int]:
    """code → id of the establishments with an id above `after_id` (those an import just added, and
    any added meanwhile by others): one range read of the primary key, whatever the planner's statistics."""
    statement = select(_TABLE.c.code, _TABLE.c.id).where(_TABLE.c.id > after_id)
    return {code: establishment_id for code, establishment_id in session.execute(statement).all()}


def update_establishments(session: Session, columns: tuple[str, ...], rows: list[dict[str, Any]],
                          now: dt.datetime) -> None:
    """UPDATE `columns` of the establishment each row's `target_id` names; version + 1, updated_at = now."""
    statement = (update(_TABLE).where(_TABLE.c.id == bindparam("target_id"))
                 .values({name: bindparam(name, type_=_TABLE.c[name].type) for name in columns})
                 .values(version=_TABLE.c.version + 1, updated_at=now))
    session.execute(statement, rows)


def insert_audit_events(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)


def refresh_statistics(session: Session) -> None:
    """ANALYZE establishment on PostgreSQL, in the import's transaction.

    After thousands of rows written at once the planner's row count is stale until autovacuum gets to
    it; meanwhile a lookup of 500 codes may read the whole table (seconds each at 100,000 rows), in
    this import's round records and in the next import's check. SQLite finds these rows by index
    without statistics.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE establishment"))


def recent_import_events(session: Session, limit: int) -> list[dict]:
    """The "after" of the newest `limit` "import" events (file, sha256, counts), newest first."""
    return list(session.exec(
        select(AuditEvent.after).where(AuditEvent.action == "import", AuditEvent.entity_type == "establishment")
        .order_by(AuditEvent.id.desc()).limit(limit)).all())
