"""The database: one engine per app, one session per request, migrations with Alembic."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click
from flask.cli import with_appcontext
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
    app.extensions["surveyapp.engine"] = engine
    app.extensions["surveyapp.sessionmaker"] = sessionmaker(
        engine, class_=Session, expire_on_commit=False
    )
    app.teardown_appcontext(_close_request_session)
    app.cli.add_command(init_db_command)


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
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
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
