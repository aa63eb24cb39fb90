"""`flask setup` (what `make run` calls) and `flask users create`."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from surveyapp.accounts.services import user_by_username
from surveyapp.db import session_scope
from surveyapp.models import AdminUnit, AuditEvent, Establishment, User

from .conftest import build_app, dispose


def test_setup_on_an_empty_database_then_again(databases):
    url = databases.new_url()
    app = build_app(url)
    runner = app.test_cli_runner()
    try:
        first = runner.invoke(args=["setup", "--demo-establishments", "40"])
        assert first.exit_code == 0, first.output
        password = re.search(r"Created admin account 'admin' with password: (\S+)", first.output).group(1)
        assert "shown only once" in first.output
        assert "synthetic demo census of 40 establishments" in first.output
        with app.app_context(), session_scope(app) as session:
            admin = user_by_username(session, "admin")
            assert admin.role == "admin" and check_password_hash(admin.password_hash, password)
            assert session.scalar(select(func.count()).select_from(AdminUnit)) == 63 + 696 + 10035
            establishments_before = session.scalar(select(func.count()).select_from(Establishment))

        second = runner.invoke(args=["setup", "--demo-establishments", "40"])
        assert second.exit_code == 0, second.output
        assert "password" not in second.output and "demo census" not in second.output
        with app.app_context(), session_scope(app) as session:
            assert session.scalar(select(func.count()).select_from(User)) == 1
            assert session.scalar(select(func.count()).select_from(Establishment)) == establishments_before
            assert check_password_hash(user_by_username(session, "admin").password_hash, password)
    finally:
        dispose(app)
        databases.drop(url)


def test_users_create(runner, session):
    result = runner.invoke(args=["users", "create", "--username", "Lan.NT", "--role", "analyst"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown once\): (\S+)", result.output).group(1)
    user = user_by_username(session, "lan.nt")
    assert user.role == "analyst" and check_password_hash(user.password_hash, password)
    assert user.password_hash.startswith("scrypt:")
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "user")).all()
    assert [(e[0].action, e[0].after["username"]) for e in events] == [("create", "lan.nt")]


def test_users_create_refuses_bad_input(runner):
    assert runner.invoke(args=["users", "create", "--username", "ab", "--role", "analyst"]).exit_code == 1
    assert runner.invoke(args=["users", "create", "--username", "lan", "--role", "king"]).exit_code == 2
    assert runner.invoke(args=["users", "create", "--username", "lan", "--role", "admin", "--password", "short"]).exit_code == 1
    assert runner.invoke(args=["users", "create", "--username", "lan", "--role", "admin"]).exit_code == 0
    taken = runner.invoke(args=["users", "create", "--username", "LAN", "--role", "analyst"])
    assert taken.exit_code == 1 and "taken" in taken.output
