"""No command ends in a traceback on a user's mistake or a state the app made: one line "Error: …", exit 1."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from surveyapp.accounts.services import AccountError

from .conftest import build_app, dispose
from .test_promotion import PROJECTS_CSV

ROOT = Path(__file__).resolve().parents[1]


def assert_one_line_error(result, *fragments: str) -> None:
    """Exit code 1 (2 for a bad option) through click's own error path, not an exception the runner caught."""
    assert result.exit_code in (1, 2), result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], result.output


@pytest.fixture
def files(tmp_path):
    (tmp_path / "garbage.csv").write_bytes(b"not,a,spreadsheet\n\x00\xff\xfe")
    (tmp_path / "garbage.xlsx").write_bytes(b"garbage")
    (tmp_path / "bad.geojson").write_text('{"type": nope', encoding="utf-8")
    (tmp_path / "list.csv").write_text("name,commune_code,vsic_code,legal_form\nCơ sở A,31498,1071,household\n",
                                       encoding="utf-8")
    (tmp_path / "projects.csv").write_text(PROJECTS_CSV, encoding="utf-8")
    return tmp_path


#: (arguments, fragments of the error line); {tmp} is the folder of the `files` fixture.
MISTAKES = [
    (["demo", "--province", "01"], ["admin-units load"]),
    (["demo", "--establishments", "12345"], ["multiple of 5,000"]),
    (["duplicates", "--district", "999"], ["Unknown district: 999"]),
    (["duplicates", "--out", "/nonexistent/pairs.csv"], ["/nonexistent/pairs.csv"]),
    (["boundaries", "list", "--province", "99"], ["Unknown province: 99"]),
    (["boundaries", "check-gps", "--province", "99"], ["Unknown province: 99"]),
    (["boundaries", "import", "{tmp}/bad.geojson", "--level", "district"], ["cannot be read"]),
    (["boundaries", "import", "{tmp}/garbage.csv", "--level", "district"], ["Unsupported file type"]),
    (["users", "create", "--username", "admin", "--role", "admin"], ["taken"]),
    (["users", "create", "--username", "lan", "--role", "enumerator", "--communes", "31498", "--round", "9999"],
     ["Unknown survey round: 9999"]),
    (["admin-units", "load", "--province", "99"], ["Unknown province code: 99"]),
    (["export", "--format", "csv", "--out", "/nonexistent/dir/list.csv"], ["Cannot write"]),
    (["import", "{tmp}/garbage.csv"], ["not a CSV text file"]),
    (["import", "{tmp}/garbage.xlsx"], ["not a valid .xlsx file"]),
    (["import", "{tmp}/list.csv", "--round", "9999"], ["Unknown survey round: 9999"]),
    (["promotion", "import", "{tmp}/garbage.xlsx", "--kind", "support"], ["not a valid .xlsx file"]),
]


@pytest.mark.parametrize("arguments, fragments", MISTAKES, ids=[" ".join(a[:2]) + f"-{i}" for i, (a, _) in
                                                                  enumerate(MISTAKES)])
def test_a_mistake_is_one_line(runner, files, arguments, fragments):
    result = runner.invoke(args=[argument.format(tmp=files) for argument in arguments])
    assert_one_line_error(result, *fragments)


#: Commands that touch the database, run on one that has no tables yet.
BEFORE_SETUP = [
    ["demo", "--establishments", "10"],
    ["demo", "--establishments", "10", "--replace"],
    ["users", "create", "--username", "lan", "--role", "analyst"],
    ["export", "--format", "csv", "--out", "{tmp}/out.csv"],
    ["import", "{tmp}/list.csv"],
    ["promotion", "import", "{tmp}/projects.csv", "--kind", "projects"],
    ["duplicates"],
    ["boundaries", "list"],
    ["boundaries", "check-gps"],
]


@pytest.fixture
def unset_runner(databases):
    """A runner over a database that exists but was never set up (no tables)."""
    url = databases.new_url()
    app = build_app(url)
    yield app.test_cli_runner()
    dispose(app)
    databases.drop(url)


@pytest.mark.parametrize("arguments", BEFORE_SETUP, ids=[" ".join(a[:2]) for a in BEFORE_SETUP])
def test_a_database_without_tables_says_run_setup(unset_runner, files, arguments):
    result = unset_runner.invoke(args=[argument.format(tmp=files) for argument in arguments])
    assert_one_line_error(result, "flask --app surveyapp setup")


def test_a_database_of_a_newer_version_is_one_line(app, runner):
    from sqlalchemy import text

    from surveyapp.db import get_engine

    with get_engine(app).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    for command in ("init-db", "setup"):
        assert_one_line_error(runner.invoke(args=[command]), "Cannot migrate the database", "ffffffffffff")


def _locked(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))


class _SerializationFailure(Exception):
    sqlstate = "40001"


def _serialization_failure(*_args, **_kwargs):
    raise OperationalError("UPDATE x", {}, _SerializationFailure("could not serialize access"))


def _sqlite_busy(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is busy"))


def _refused(*_args, **_kwargs):
    raise IntegrityError("INSERT INTO x", {}, sqlite3.IntegrityError("UNIQUE constraint failed: establishment.code"))


def _unreadable(*_args, **_kwargs):
    raise PermissionError(13, "Permission denied", "/srv/list.csv")


def _domain(*_args, **_kwargs):
    raise AccountError("Unknown commune code: 99999")


@pytest.mark.parametrize("raiser, fragments", [
    (_locked, ["locked", "try again"]),
    (_serialization_failure, ["locked", "try again"]),  # the rule of db.is_busy: one home for it
    (_sqlite_busy, ["locked", "try again"]),
    (_refused, ["UNIQUE constraint failed: establishment.code"]),
    (_unreadable, ["/srv/list.csv", "Permission denied"]),
    (_domain, ["Unknown commune code: 99999"]),
], ids=["locked", "serialization", "sqlite-busy", "integrity", "oserror", "domain"])
def test_expected_errors_anywhere_in_a_command_are_one_line(runner, monkeypatch, raiser, fragments):
    monkeypatch.setattr("surveyapp.duplicates.cli.find_pairs", raiser)
    assert_one_line_error(runner.invoke(args=["duplicates"]), *fragments)


def test_a_programming_error_is_not_hidden(runner, monkeypatch):
    def broken(*_args, **_kwargs):
        return {}["missing"]

    monkeypatch.setattr("surveyapp.duplicates.cli.find_pairs", broken)
    result = runner.invoke(args=["duplicates"])
    assert isinstance(result.exception, KeyError)


def test_every_command_is_guarded(app):
    from surveyapp.cli_errors import is_guarded

    def walk(command: click.Command):
        yield command
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    commands = [command for command in walk(app.cli) if command.callback is not None]
    assert {"setup", "demo", "init-db", "import", "export", "duplicates", "create", "load", "check-gps"} <= {
        command.name for command in commands}
    assert [command.name for command in commands if not is_guarded(command)] == []


def _flask(url: str, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": url, "FLASK_DEBUG": "0"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "surveyapp", *arguments], cwd=ROOT,
                           env=environment, capture_output=True, text=True, timeout=300)


def test_the_real_command_line(databases):
    """`flask --app surveyapp ...` in a process of its own: stderr has the one line, never a traceback."""
    url = databases.new_url()
    try:
        before = _flask(url, "users", "create", "--username", "lan", "--role", "analyst")
        assert before.returncode == 1 and "Traceback" not in before.stderr, before.stderr
        assert before.stderr.startswith("Error: ") and "flask --app surveyapp setup" in before.stderr

        setup = _flask(url, "setup", "--demo-establishments", "40")
        assert setup.returncode == 0, setup.stderr
        replaced = _flask(url, "demo", "--establishments", "60", "--seed", "3", "--replace")
        assert replaced.returncode == 0, replaced.stderr
        assert "Removed 40 synthetic establishments" in replaced.stdout
        refused = _flask(url, "demo", "--establishments", "60")
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert refused.stderr.startswith("Error: ") and "--replace" in refused.stderr
    finally:
        databases.drop(url)
