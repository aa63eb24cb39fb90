"""An import written in short transactions: stopped half way (an error, a hand registration, kill -9), the
database stays whole and importing the same file again finishes it without creating anything twice."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import make_url
from sqlmodel import select

from surveyapp.establishments.services import register_establishment
from surveyapp.imports import queries as import_queries
from surveyapp.models import Establishment

from .test_imports import csv_file, run_import

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 50


def code_less_rows(count: int) -> list[list]:
    return [["", f"Cơ sở nhập {n}", f"Chủ {n}", "31498", "1071", "household_business", "", "", "3", ""]
            for n in range(count)]


def establishments(session) -> list[Establishment]:
    session.expire_all()
    return session.exec(select(Establishment)).all()


def assert_no_duplicates(rows) -> None:
    assert [code for code, n in Counter(row.code for row in rows).items() if n > 1] == []
    assert [name for name, n in Counter((row.name, row.owner) for row in rows).items() if n > 1] == []


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr("surveyapp.imports.writing.BATCH", CHUNK)
    monkeypatch.setattr("surveyapp.imports.services.WRITE_ROWS", CHUNK)
    monkeypatch.setattr("surveyapp.imports.services.WRITE_PAUSE", 0)


def fail_insert(monkeypatch, on_call: int, error: Exception) -> None:
    insert = import_queries.insert_establishments
    calls = []

    def insert_or_fail(db_session, values):
        calls.append(len(values))
        if len(calls) == on_call:
            raise error
        insert(db_session, values)

    monkeypatch.setattr(import_queries, "insert_establishments", insert_or_fail)


def test_a_stopped_code_less_import_imported_again_creates_nothing_twice(runner, session, tmp_path, monkeypatch,
                                                                         small_chunks):
    path = csv_file(tmp_path, code_less_rows(300))
    fail_insert(monkeypatch, 3, IntegrityError("INSERT", {}, sqlite3.IntegrityError("disk said no")))
    stopped = run_import(runner, path)
    assert stopped.exit_code == 1 and "stopped after 100 rows" in stopped.output, stopped.output
    assert len(establishments(session)) == 100
    monkeypatch.undo()  # the database works again (and the chunks are the production size)
    preview = run_import(runner, path, "--dry-run")
    assert "would add 200, update 0, leave 100 unchanged" in preview.output, preview.output
    assert "Warning: An import of this same file stopped after 100 rows" in preview.output
    finished = run_import(runner, path)
    assert finished.exit_code == 0, finished.output
    rows = establishments(session)
    assert len(rows) == 300
    assert_no_duplicates(rows)
    again = run_import(runner, path)  # a finished file, imported again, changes nothing
    assert "0 added, 0 updated, 300 unchanged" in again.output, again.output
    assert "stopped" not in again.output  # the last import of the file finished
    assert len(establishments(session)) == 300


def test_a_registration_by_hand_during_an_import_does_not_stop_it(app, runner, session, tmp_path, monkeypatch,
                                                                   small_chunks):
    """Between the codes of a chunk being worked out and its INSERT, an enumerator registers an establishment
    in the same district: it takes the code the import was about to use."""
    path = csv_file(tmp_path, code_less_rows(300))
    insert = import_queries.insert_establishments
    calls = []

    def register_then_insert(db_session, values):
        calls.append(len(values))
        if len(calls) == 2:  # some rows are written, the next chunk has its codes
            with app.app_context():
                other = app.extensions["surveyapp.sessionmaker"]()
                try:
                    register_establishment(other, name="Đăng ký tay", commune_code="31498", vsic_code="1071",
                                           legal_form="household_business")
                    other.commit()
                finally:
                    other.close()
        insert(db_session, values)

    monkeypatch.setattr(import_queries, "insert_establishments", register_then_insert)
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    rows = establishments(session)
    assert len(rows) == 301
    assert "Đăng ký tay" in {row.name for row in rows}
    assert_no_duplicates(rows)


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM establishment")).scalar()
    finally:
        engine.dispose()


def _import_process(url: str, path: Path, write_rows: int) -> subprocess.Popen:
    env = os.environ | {"DATABASE_URL": url, "IMPORT_WRITE_ROWS": str(write_rows), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "surveyapp", "import", str(path)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_an_import_killed_half_way_leaves_the_database_whole_and_finishes_when_run_again(app, session, tmp_path):
    url = app.config["DATABASE_URL"]
    rows, chunk = 4000, 100
    path = csv_file(tmp_path, code_less_rows(rows))
    process = _import_process(url, path, chunk)
    try:
        deadline = time.monotonic() + 120
        while _count(url) < 2 * chunk:  # wait for committed chunks, then kill in the middle of the writing
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no rows committed in 2 minutes"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    written = _count(url)
    assert 0 < written < rows, "the import finished before it was killed"
    assert written % chunk == 0
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(make_url(url).database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            # FTS5's own check: the search index holds exactly the establishments' search texts.
            connection.execute("INSERT INTO establishment_search(establishment_search) VALUES ('integrity-check')")
            found = connection.execute("SELECT count(*) FROM establishment_search "
                                       "WHERE establishment_search MATCH '\"nhap\"'").fetchone()[0]
            assert found == written
    again = _import_process(url, path, chunk)
    output, errors = again.communicate(timeout=600)
    assert again.returncode == 0, errors.decode()
    assert f"{rows - written} added, 0 updated, {written} unchanged" in output.decode()
    all_rows = establishments(session)
    assert len(all_rows) == rows
    assert_no_duplicates(all_rows)
