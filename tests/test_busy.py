"""A busy database: an import leaves data entry free; a token read writes nothing; a write that cannot get
the lock in time answers 503 with Retry-After, never 500."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token
from surveyapp.imports import queries as import_queries
from surveyapp.models import ApiToken, Establishment, SurveyRecord

from .conftest import build_app, dispose
from .test_api import bearer, body
from .test_imports import csv_file, run_import
from .test_survey import minimal_submission, post_record

#: Seconds a request waits for the write lock in these tests (production waits longer).
BUSY_TIMEOUT = 0.5
#: What data entry may take while an import runs (issue 20).
ENTRY_SECONDS = 2.0


@pytest.fixture
def app(databases, template_url):
    """The app over a fresh database, with a short wait for the write lock."""
    url = databases.copy(template_url)
    app = build_app(url, DATABASE_BUSY_TIMEOUT=BUSY_TIMEOUT)
    yield app
    dispose(app)
    databases.drop(url)


@pytest.fixture
def mine(round_2019, add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía", owner="Út", commune_code="31498", address="Phường 5")


@pytest.fixture
def token(session):
    _row, secret = create_token(session, user_by_username(session, "enumerator"), "Điện thoại", actor_id=None)
    session.commit()
    return secret


def last_used(session) -> dt.datetime | None:
    session.expire_all()
    return session.exec(select(ApiToken)).one().last_used_at


@contextmanager
def write_lock_held(app):
    """Another connection holds the database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the
    tables a submission and a token's last use write, locked against writers, not readers)."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(url)
    with engine.connect() as connection, connection.begin():
        connection.execute(text("LOCK TABLE survey_record, api_token, audit_event IN EXCLUSIVE MODE"))
        yield
    engine.dispose()


def test_a_submission_that_cannot_get_the_write_lock_answers_503_with_retry_after(app, anon_client, client_as,
                                                                                   session, token, mine):
    with write_lock_held(app):
        api = anon_client.post("/api/v1/records", json=body(mine), headers=bearer(token) | {"Accept-Language": "vi"})
        page = post_record(client_as("enumerator"), mine.code, minimal_submission(), "submit")
    assert api.status_code == 503 and int(api.headers["Retry-After"]) >= 1
    assert api.json["error"]["code"] == "busy"
    assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
    assert "Cơ sở dữ liệu đang bận" in page.text  # the page is in Vietnamese
    assert session.exec(select(SurveyRecord)).all() == []
    # Once the lock is released, the same submission goes through.
    assert anon_client.post("/api/v1/records", json=body(mine), headers=bearer(token)).status_code == 201


def test_a_token_read_writes_nothing_that_could_wait_for_the_lock(app, anon_client, session, token, mine):
    with write_lock_held(app):  # held throughout: a read that waited for it would fail
        response = anon_client.get("/api/v1/assignments", headers=bearer(token))
    assert response.status_code == 200
    assert last_used(session) is None  # skipped
    # Free, the last use is written (at most once a minute).
    assert anon_client.get("/api/v1/assignments", headers=bearer(token)).status_code == 200
    first = last_used(session)
    assert first is not None
    assert anon_client.get("/api/v1/assignments", headers=bearer(token)).status_code == 200
    assert last_used(session) == first


def test_data_entry_goes_on_while_a_big_import_writes(app, anon_client, runner, session, token, mine, tmp_path,
                                                      monkeypatch):
    """The import is held between two of its writes until the submissions are done: before, it held the
    write lock across every write, so they waited for the whole import."""
    monkeypatch.setattr("surveyapp.imports.writing.BATCH", 50)
    monkeypatch.setattr("surveyapp.imports.services.WRITE_ROWS", 50, raising=False)
    rows = [["", f"Cơ sở nhập {n}", f"Chủ {n}", "31498", "1071", "household_business", "", "", "3", ""]
            for n in range(300)]
    path = csv_file(tmp_path, rows)
    writing_started, entry_done = threading.Event(), threading.Event()
    insert = import_queries.insert_establishments
    inserts = []

    def insert_then_wait(db_session, values):
        if len(inserts) == 1:  # some rows are written, more are to come
            writing_started.set()
            entry_done.wait(timeout=10)  # a safety net: never a deadlock, whatever the import holds
        inserts.append(len(values))
        insert(db_session, values)

    monkeypatch.setattr(import_queries, "insert_establishments", insert_then_wait)
    outcome = {}
    importer = threading.Thread(target=lambda: outcome.setdefault("result", run_import(runner, path)))
    importer.start()
    try:
        assert writing_started.wait(timeout=60)
        started = time.perf_counter()
        submitted = anon_client.post("/api/v1/records", json=body(mine), headers=bearer(token))
        submit_seconds = time.perf_counter() - started
        read = anon_client.get("/api/v1/assignments", headers=bearer(token))
        read_seconds = time.perf_counter() - started - submit_seconds
    finally:
        entry_done.set()
        importer.join()
    assert (submitted.status_code, read.status_code) == (201, 200)
    assert submit_seconds < ENTRY_SECONDS and read_seconds < ENTRY_SECONDS
    assert outcome["result"].exit_code == 0, outcome["result"].output
    session.expire_all()
    assert len(session.exec(select(Establishment)).all()) == 301
