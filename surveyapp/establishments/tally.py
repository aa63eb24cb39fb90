"""A maintained count of establishments, so that a list's total costs the same at a million rows as at 3,000.

The list shows "1.000.000 establishments, page 1 of 20.000": counting the rows of a filter reads
every entry of its index range (PostgreSQL: 0.15 s for a million; SQLite: 1.5 ms for a district's
sector of 51,400). `establishment_tally` holds how many establishments each combination of commune,
sector, legal form and status has (a few thousand rows for a province); a total is the sum of the
combinations a filter selects. Triggers keep it exact within the transaction that changes an
establishment, on SQLite and PostgreSQL alike (the same as the search index: outside the models).

Filters on other things (search words, a round, GPS, support, certificates, OCOP) still count the
rows themselves: the tally cannot split by them, and their own indexes keep those counts small.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import column, table, text

TABLE = "establishment_tally"
#: The columns a total can be split by; all of them are NOT NULL on establishment.
KEYS = ("district_code", "commune_code", "sector", "legal_form", "status")
tally = table(TABLE, *(column(name) for name in KEYS), column("n"))

_KEY_LIST = ", ".join(KEYS)
_CREATE_TABLE = f"""
    CREATE TABLE {TABLE} (
        district_code VARCHAR(3) NOT NULL, commune_code VARCHAR(5) NOT NULL, sector VARCHAR(3) NOT NULL,
        legal_form VARCHAR(20) NOT NULL, status VARCHAR(10) NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY ({_KEY_LIST}))"""


def _add(row: str, step: str) -> str:
    values = ", ".join(f"{row}.{name}" for name in KEYS)
    return (f"INSERT INTO {TABLE} ({_KEY_LIST}, n) VALUES ({values}, {step}) "
            f"ON CONFLICT ({_KEY_LIST}) DO UPDATE SET n = {TABLE}.n + excluded.n")


_CHANGED = " OR ".join(f"old.{name} IS NOT new.{name}" for name in KEYS)
_PG_CHANGED = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in KEYS)
_SQLITE_TRIGGERS = {
    "establishment_tally_insert":
        f"CREATE TRIGGER establishment_tally_insert AFTER INSERT ON establishment BEGIN {_add('new', '1')}; END",
    "establishment_tally_delete":
        f"CREATE TRIGGER establishment_tally_delete AFTER DELETE ON establishment BEGIN {_add('old', '-1')}; END",
    "establishment_tally_update":
        f"CREATE TRIGGER establishment_tally_update AFTER UPDATE OF {_KEY_LIST} ON establishment "
        f"WHEN {_CHANGED} BEGIN {_add('old', '-1')}; {_add('new', '1')}; END",
}
_PG_FUNCTION = f"""
    CREATE FUNCTION establishment_tally_upkeep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN {_add('OLD', '-1')}; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add('NEW', '1')}; END IF;
        RETURN NULL;
    END $$"""
_PG_TRIGGERS = {
    "establishment_tally_insert_delete":
        "CREATE TRIGGER establishment_tally_insert_delete AFTER INSERT OR DELETE ON establishment "
        "FOR EACH ROW EXECUTE FUNCTION establishment_tally_upkeep()",
    "establishment_tally_update":
        f"CREATE TRIGGER establishment_tally_update AFTER UPDATE OF {_KEY_LIST} ON establishment "
        f"FOR EACH ROW WHEN ({_PG_CHANGED}) EXECUTE FUNCTION establishment_tally_upkeep()",
}


def create(connection) -> None:
    """The table, filled from the rows already there, and its triggers."""
    connection.execute(text(_CREATE_TABLE))
    if connection.dialect.name == "postgresql":
        connection.execute(text(_PG_FUNCTION))
    _create_triggers(connection)
    refill(connection)


def drop(connection) -> None:
    _drop_triggers(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP FUNCTION IF EXISTS establishment_tally_upkeep()"))
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))


def refill(connection) -> None:
    """Count every combination again from the establishments (after a bulk load without triggers)."""
    connection.execute(text(f"DELETE FROM {TABLE}"))
    connection.execute(text(f"INSERT INTO {TABLE} ({_KEY_LIST}, n) SELECT {_KEY_LIST}, count(*) "
                            f"FROM establishment GROUP BY {_KEY_LIST}"))


@contextmanager
def suspended(connection):
    """For bulk loads: no upkeep row by row; counted once at the end."""
    _drop_triggers(connection)
    yield
    _create_triggers(connection)
    refill(connection)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's comparisons: the models do not declare the tally."""
    return name != TABLE


def installed_triggers(connection) -> set[str]:
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
    else:
        rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
    return set(rows) & set(_triggers(connection))


def _triggers(connection) -> dict[str, str]:
    return _PG_TRIGGERS if connection.dialect.name == "postgresql" else _SQLITE_TRIGGERS


def _create_triggers(connection) -> None:
    for statement in _triggers(connection).values():
        connection.execute(text(statement))


def _drop_triggers(connection) -> None:
    suffix = " ON establishment" if connection.dialect.name == "postgresql" else ""
    for name in _triggers(connection):
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name}{suffix}"))
