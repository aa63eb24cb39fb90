"""A large synthetic registry fast: a census of `base` establishments, copied in SQL up to `size` rows.

Generating establishments one by one in Python costs about half a millisecond each (names, points,
numbers, a record); a million would take ten minutes. Copying a generated base with one
INSERT ... SELECT per table keeps the same shape of data (names, units, numbers, records) at
database speed. The secondary indexes are dropped for the copy and built again afterwards: sorting
a million keys once is much faster than a million random index insertions.

Copy k of base row n gets id n + k × (last base id), sequence number n + k × step (step: one more
than the most sequence numbers the base spans in any district, so codes stay unique and six digits
long; the base's codes follow each district's highest real code, so copies never meet real ones),
a GPS point nudged by up to ≈ 55 m, and record UUIDs starting with k. Works on SQLite and
PostgreSQL; used by `flask demo --establishments` for large sizes, the benchmark and the export
memory test.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import Integer, String, cast, func, literal, select, text
from sqlmodel import Session

from ..establishments import search_index, tally
from ..models import Establishment, SurveyRecord
from . import queries
from .generator import MAX_SEQUENCE, generate_demo_census

BASE = 5_000


class ScaleError(ValueError):
    """The registry cannot be built as asked."""


def build_large_registry(session: Session, province_code: str, size: int, base: int = BASE, seed: int = 7,
                         beside_real: bool = False) -> int:
    """Fill an empty registry (or one with real rows only, when `beside_real`) with `size` synthetic
    establishments, one record each; returns how many synthetic establishments there are.

    Up to `base` every row is generated; above, `size` must be a multiple of `base`. Only the
    generated base is copied: real rows are never read.
    """
    if size <= base:
        return generate_demo_census(session, province_code, size, seed=seed, beside_real=beside_real)["establishments"]
    if size % base:
        raise ScaleError(f"above {base:,} the number of establishments must be a multiple of {base:,}")
    generate_demo_census(session, province_code, base, seed=seed, beside_real=beside_real)
    first_id, last_id = queries.demo_id_range(session)  # inserted last: no real row has an id in between
    span, highest = queries.demo_sequence_span(session)
    step = span + 1
    copies = size // base
    if highest + (copies - 1) * step > MAX_SEQUENCE:
        raise ScaleError(f"{size} establishments do not fit six-digit codes with a base of {base}")
    if copies > 1:
        numbers = _copy_numbers(copies - 1)
        with _bulk_settings(session.connection()), _indexes_rebuilt(session, (Establishment.__table__,
                                                                              SurveyRecord.__table__)):
            _copy_establishments(session, numbers, step, first_id, last_id)
            _copy_records(session, numbers, first_id, last_id)
        _advance_id_sequences(session)
    session.flush()
    return session.execute(select(func.count()).select_from(Establishment.__table__)
                           .where(Establishment.__table__.c.is_demo == True)).scalar()  # noqa: E712


def round_counts(session: Session) -> dict[str, int]:
    """Synthetic establishments per latest round code, e.g. {"2018": 850000, "2019": 150000}."""
    table = Establishment.__table__
    return dict(session.execute(select(table.c.latest_round_code, func.count())
                                .where(table.c.is_demo == True)  # noqa: E712
                                .group_by(table.c.latest_round_code).order_by(table.c.latest_round_code)).all())


def _copy_numbers(last: int):
    """1, 2, … last as a recursive CTE (both databases; SQLite cannot name VALUES columns)."""
    numbers = select(literal(1, Integer).label("copy")).cte("copies", recursive=True)
    return numbers.union_all(select(numbers.c.copy + 1).where(numbers.c.copy < last))


def _copy_establishments(session: Session, numbers, step: int, first_id: int, last_id: int) -> None:
    table = Establishment.__table__
    copy = numbers.c.copy
    sequence = cast(func.substr(table.c.code, 8), Integer) + copy * step + 1_000_000
    nudge = ((table.c.id * 7919 + copy * 104_729) % 1001 - 500) * 1e-6
    replaced = {
        "id": table.c.id + copy * last_id,
        "code": func.substr(table.c.code, 1, 7, type_=String) + func.substr(cast(sequence, String), 2),
        "lat": table.c.lat + nudge,
        "lon": table.c.lon - nudge,
    }
    source = (select(*[replaced.get(c.name, c) for c in table.columns])
              .select_from(table).join(numbers, text("1 = 1"))
              .where(table.c.id.between(first_id, last_id), table.c.is_demo == True)  # noqa: E712
              .order_by(copy, table.c.id))
    session.execute(table.insert().from_select([c.name for c in table.columns], source))


def _copy_records(session: Session, numbers, first_id: int, last_id: int) -> None:
    records = SurveyRecord.__table__
    copy = numbers.c.copy
    prefix = func.substr(cast(copy + 100_000_000, String), 2, type_=String)  # eight digits: still hexadecimal
    replaced = {
        "uuid": prefix + func.substr(records.c.uuid, 9),
        "establishment_id": records.c.establishment_id + copy * last_id,
    }
    columns = [c for c in records.columns if c.name != "id"]
    source = (select(*[replaced.get(c.name, c) for c in columns])
              .select_from(records).join(numbers, text("1 = 1"))
              .where(records.c.establishment_id.between(first_id, last_id)).order_by(copy, records.c.id))
    session.execute(records.insert().from_select([c.name for c in columns], source))


#: SQLite settings for the bulk copy: sorting a million index keys wants more than the default
#: 2 MB page cache. (Settings such as synchronous cannot change inside the session's transaction.)
BULK_PRAGMAS = {"cache_size": (-524_288, -2_000)}


@contextmanager
def _bulk_settings(connection):
    if connection.dialect.name != "sqlite":
        yield
        return
    for name, (bulk, _usual) in BULK_PRAGMAS.items():
        connection.exec_driver_sql(f"PRAGMA {name} = {bulk}")
    try:
        yield
    finally:
        for name, (_bulk, usual) in BULK_PRAGMAS.items():
            connection.exec_driver_sql(f"PRAGMA {name} = {usual}")


@contextmanager
def _indexes_rebuilt(session: Session, tables):
    connection = session.connection()
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(connection)
    with search_index.suspended(connection), tally.suspended(connection):
        yield
    for index in indexes:
        index.create(connection)


def _advance_id_sequences(session: Session) -> None:
    """PostgreSQL hands out ids from a sequence that explicit ids do not move: move it past them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('establishment', 'id'), "
                             "(SELECT max(id) FROM establishment))"))
