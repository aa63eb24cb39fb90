"""The index behind the search box: "banh pia" finds "Bánh Pía" anywhere in name, owner or address.

`establishment.search_text` holds that text folded (lowercase, no diacritics); `LIKE '%term%'` on it
reads every row, about half a second at a million. Substring search needs a trigram index:

* SQLite: an FTS5 table with the trigram tokenizer over search_text (external content: it stores
  only the index), kept current by three triggers. A term is looked up with MATCH.
* PostgreSQL: a GIN index with pg_trgm's operator class, which LIKE '%term%' uses by itself.

Only terms of three letters or more can use a trigram index; shorter words are checked on the rows
the longer ones found (or, when every word is short, on all rows). The triggers live outside the
models: a migration that rebuilds the establishment table on SQLite must create them again
(`create(connection)`), and tests check that they exist.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

FTS_TABLE = "establishment_search"
PG_INDEX = "ix_establishment_search_trgm"
MIN_TERM = 3
_SQLITE_TRIGGERS = {
    "establishment_search_insert": f"""
        CREATE TRIGGER establishment_search_insert AFTER INSERT ON establishment BEGIN
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "establishment_search_delete": f"""
        CREATE TRIGGER establishment_search_delete AFTER DELETE ON establishment BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
    "establishment_search_update": f"""
        CREATE TRIGGER establishment_search_update AFTER UPDATE OF search_text ON establishment BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}


def create(connection) -> None:
    """Create the index (filled from the rows already there)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, content='establishment', "
                                "content_rowid='id', tokenize='trigram')"))
        _create_triggers(connection)
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    elif connection.dialect.name == "postgresql":
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        connection.execute(text(f"CREATE INDEX {PG_INDEX} ON establishment USING gin (search_text gin_trgm_ops)"))


def drop(connection) -> None:
    if connection.dialect.name == "sqlite":
        _drop_triggers(connection)
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    elif connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP INDEX IF EXISTS {PG_INDEX}"))


@contextmanager
def suspended(connection):
    """For bulk loads: no index upkeep row by row; the whole index is built once at the end."""
    if connection.dialect.name == "sqlite":
        _drop_triggers(connection)
        yield
        _create_triggers(connection)
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    elif connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP INDEX IF EXISTS {PG_INDEX}"))
        yield
        connection.execute(text(f"CREATE INDEX {PG_INDEX} ON establishment USING gin (search_text gin_trgm_ops)"))
    else:
        yield


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's comparisons: leave out this index's objects, which the models do not declare."""
    return not (name and (name == PG_INDEX or name.startswith(FTS_TABLE)))


def installed_triggers(connection) -> set[str]:
    rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
    return set(rows) & set(_SQLITE_TRIGGERS)


def _create_triggers(connection) -> None:
    for statement in _SQLITE_TRIGGERS.values():
        connection.execute(text(statement))


def _drop_triggers(connection) -> None:
    for name in _SQLITE_TRIGGERS:
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
