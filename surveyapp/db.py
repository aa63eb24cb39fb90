"""The database: one engine per app, one session per request, migrations with Alembic."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click
from flask.cli import with_appcontext
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Seconds a statement waits for a lock another connection holds (SQLite's write lock, a PostgreSQL row or
#: table lock) before failing as "busy" (a 503 with Retry-After on the web). Imports write in short
#: transactions, so a submission gets in within a second or two; a request never hangs for long.
BUSY_TIMEOUT = 5.0
#: Milliseconds a write that may be skipped (a token's last use) waits for a lock.
SKIPPABLE_WAIT_MS = 50
#: SQLSTATEs of PostgreSQL (lock timeout, serialization failure, deadlock) and SQLite messages of a
#: database another connection is writing to: the same request later would succeed.
_BUSY_CODES = ("55P03", "40001", "40P01")
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def init_app(app: Flask) -> None:
    timeout = float(app.config.get("DATABASE_BUSY_TIMEOUT", BUSY_TIMEOUT))
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False), busy_timeout=timeout)
    app.extensions["surveyapp.engine"] = engine
    app.extensions["surveyapp.sessionmaker"] = sessionmaker(
        engine, class_=Session, expire_on_commit=False
    )
    app.teardown_appcontext(_close_request_session)
    app.cli.add_command(init_db_command)


def make_engine(url: str, echo: bool = False, busy_timeout: float = BUSY_TIMEOUT) -> Engine:
    milliseconds = round(busy_timeout * 1000)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": busy_timeout})
        event.listen(engine, "connect", lambda connection, _record: _sqlite_pragmas(connection, milliseconds))
        return engine
    options = " ".join(filter(None, [make_url(url).query.get("options"), f"-c lock_timeout={milliseconds}"]))
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args={"options": options})


def _sqlite_pragmas(dbapi_connection, busy_timeout_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    # WAL keeps the database consistent with NORMAL; only the last commits may be lost on power cut.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["surveyapp.engine"]


def get_session() -> Session:
    """The session of the current request or CLI command; closed when the app context ends."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["surveyapp.sessionmaker"]()
    return g.db_session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session of its own for work outside a request: commits on success, rolls back on error."""
    session = (app or current_app).extensions["surveyapp.sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_busy(error: BaseException) -> bool:
    """Whether a database error means another connection holds a lock (try again soon), not a fault."""
    if not isinstance(error, DBAPIError):
        return False
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in _BUSY_CODES or any(message in str(error.orig) for message in _BUSY_MESSAGES)


@contextmanager
def skippable_write(session: Session) -> Iterator[None]:
    """Commit the session's work so far, then run the block in a short transaction of the session's own
    that waits SKIPPABLE_WAIT_MS at most for a lock, and commit it; when the database is busy it rolls back
    and raises (see `is_busy`). For a write a request may skip: it never keeps the request waiting."""
    session.commit()
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # a setting of the connection, put back before the connection goes back to the pool
        normal = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SKIPPABLE_WAIT_MS}")
    else:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {SKIPPABLE_WAIT_MS}")
    try:
        yield
    except BaseException:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(normal)}")
        session.rollback()
        raise
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(normal)}")
    session.commit()


def _close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(app: Flask | None = None) -> None:
    """Create the schema or bring it to the newest migration."""
    from alembic import command

    app = app or current_app
    config = alembic_config(app.config["DATABASE_URL"])
    with get_engine(app).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild tables (copy, drop, rename); with foreign keys enforced, dropping a
            # referenced table fails. The pragma only takes effect outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite:
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def schema_is_current(app: Flask | None = None) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    app = app or current_app
    script = ScriptDirectory.from_config(alembic_config(app.config["DATABASE_URL"]))
    with get_engine(app).connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


def has_table(name: str, app: Flask | None = None) -> bool:
    return inspect(get_engine(app)).has_table(name)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database schema, or migrate it to the newest version."""
    migrate()
    click.echo(f"Database ready: {display_url(current_app.config['DATABASE_URL'])}")


def display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
