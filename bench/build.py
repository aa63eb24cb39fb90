"""Benchmark databases: a registry of N synthetic establishments with the accounts the runs use.

A built database is kept in bench/work/ and reused while its size and the schema revision match
(`--rebuild` builds again). The enumerator is assigned every commune of the open round, so the
submission run may post records for any establishment.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from surveyapp import create_app
from surveyapp.accounts.queries import user_by_username
from surveyapp.accounts.services import assign_communes, create_user
from surveyapp.accounts.tokens import create_token
from surveyapp.adminunits.queries import communes_of_province
from surveyapp.adminunits.services import load_admin_units
from surveyapp.db import migrate, session_scope
from surveyapp.demo.scale import build_large_registry
from surveyapp.survey.queries import round_by_code
from surveyapp.models import Establishment

PROVINCE = "94"
PASSWORD = "bench-password"
WORK = Path(__file__).resolve().parent / "work"


@dataclass
class BenchDatabase:
    url: str
    size: int
    build_seconds: float | None  #: None when an earlier build was reused
    token: str  #: the enumerator's API token
    sqlite_path: Path | None = None


def app_for(url: str):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": False, "WTF_CSRF_ENABLED": True})


def sqlite_url(size: int) -> tuple[str, Path]:
    path = WORK / f"registry-{size}.sqlite"
    return f"sqlite:///{path}", path


def prepare(url: str, size: int, rebuild: bool = False, sqlite_path: Path | None = None) -> BenchDatabase:
    """The database at `url` with `size` establishments, built unless a matching one is there."""
    WORK.mkdir(parents=True, exist_ok=True)
    if not rebuild and _establishments(url) == size:
        app = app_for(url)
        with app.app_context():
            migrate()  # a database built before the newest migration is brought up to it
            token = _read_token(url) or _accounts(app)  # e.g. a registry built by `flask demo`
        app.extensions["surveyapp.engine"].dispose()
        (WORK / _token_file(url)).write_text(token)
        _analyze(url)
        return BenchDatabase(url, size, None, token, sqlite_path)
    _empty(url, sqlite_path)
    started = time.perf_counter()
    app = app_for(url)
    with app.app_context():
        migrate()
        with session_scope() as session:
            load_admin_units(session, PROVINCE)
        with session_scope() as session:
            build_large_registry(session, PROVINCE, size)
        token = _accounts(app)
    app.extensions["surveyapp.engine"].dispose()
    _analyze(url)
    seconds = time.perf_counter() - started
    (WORK / _token_file(url)).write_text(token)
    return BenchDatabase(url, size, seconds, token, sqlite_path)


def _accounts(app) -> str:
    """The bench's accounts (made once) and a new API token for the enumerator."""
    with session_scope() as session:
        for username, role in (("admin", "admin"), ("enumerator", "enumerator"), ("analyst", "analyst")):
            if user_by_username(session, username) is None:
                create_user(session, username, role, PASSWORD)
        session.flush()
        enumerator = user_by_username(session, "enumerator")
        communes = [unit.code for unit in communes_of_province(session, PROVINCE)]
        assign_communes(session, enumerator, round_by_code(session, "2019"), communes, actor_id=None)
        _row, token = create_token(session, enumerator, "bench", actor_id=None)
    return token


def _analyze(url: str) -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map (what autovacuum would do
    soon after a bulk load), without which counts cannot be answered from the index alone."""
    postgres = url.startswith("postgresql")
    engine = create_engine(url, isolation_level="AUTOCOMMIT") if postgres else create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    engine.dispose()


def _establishments(url: str) -> int | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Establishment.__table__)).scalar()
    except Exception:  # noqa: BLE001 - no database or no table yet: build it
        return None
    finally:
        engine.dispose()


def _empty(url: str, sqlite_path: Path | None) -> None:
    if sqlite_path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _token_file(url: str) -> str:
    return "token-" + "".join(ch if ch.isalnum() else "_" for ch in url.rsplit("@", 1)[-1])[-80:]


def _read_token(url: str) -> str | None:
    path = WORK / _token_file(url)
    return path.read_text().strip() if path.exists() else None
