"""Behind a reverse proxy: TRUSTED_PROXIES makes the client address and the scheme right; sign-in
throttling counts per address and per username across addresses, for one short window."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from surveyapp.accounts import services
from surveyapp.models import AuditEvent

from .conftest import build_app, dispose

ATTACKER, ADMIN_DESK = "203.0.113.7", "198.51.100.2"


@pytest.fixture
def proxied_app(databases, template_url):
    """The app as deployed behind one reverse proxy (TRUSTED_PROXIES=1)."""
    url = databases.copy(template_url)
    app = build_app(url, TRUSTED_PROXIES=1)
    yield app
    dispose(app)
    databases.drop(url)


def sign_in_from(client, address: str, username: str, password: str, proto: str = "http"):
    return client.post("/login", data={"username": username, "password": password},
                       headers={"X-Forwarded-For": address, "X-Forwarded-Proto": proto})


def failure_addresses(session) -> list[str]:
    return list(session.exec(select(AuditEvent.ip_address).where(AuditEvent.action == "login_failed")))


def test_a_spray_from_one_client_does_not_lock_out_another_behind_the_proxy(proxied_app):
    attacker = proxied_app.test_client()
    for number in range(23):
        sign_in_from(attacker, ATTACKER, f"guess{number}", "wrong-password")
    assert sign_in_from(attacker, ATTACKER, "guess99", "wrong-password").status_code == 429
    admin = sign_in_from(proxied_app.test_client(), ADMIN_DESK, "admin", "admin-password")
    assert admin.status_code == 302


def test_the_forwarded_address_is_recorded_only_from_a_trusted_proxy(proxied_app, app):
    from surveyapp.db import session_scope

    sign_in_from(proxied_app.test_client(), ATTACKER, "analyst", "wrong-password")
    sign_in_from(app.test_client(), ATTACKER, "analyst", "wrong-password")  # no TRUSTED_PROXIES: header ignored
    with session_scope(proxied_app) as session:
        assert failure_addresses(session) == [ATTACKER]
    with session_scope(app) as session:
        assert failure_addresses(session) == ["127.0.0.1"]


def test_forwarded_https_makes_the_cookie_secure_and_adds_hsts(proxied_app, app):
    https = sign_in_from(proxied_app.test_client(), ADMIN_DESK, "analyst", "analyst-password", proto="https")
    assert "Secure" in https.headers["Set-Cookie"]
    assert https.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = sign_in_from(proxied_app.test_client(), ADMIN_DESK, "analyst", "analyst-password")
    assert "Secure" not in plain.headers["Set-Cookie"] and "Strict-Transport-Security" not in plain.headers
    untrusted = sign_in_from(app.test_client(), ADMIN_DESK, "analyst", "analyst-password", proto="https")
    assert "Secure" not in untrusted.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in untrusted.headers


def test_one_username_tried_from_many_addresses_waits_a_minute(proxied_app, monkeypatch):
    client = proxied_app.test_client()
    for number in range(services.FAILURES_PER_USERNAME_ANY_ADDRESS):
        assert sign_in_from(client, f"192.0.2.{number + 1}", "supervisor", "wrong-password").status_code == 401
    assert sign_in_from(client, ADMIN_DESK, "supervisor", "supervisor-password").status_code == 429
    assert sign_in_from(client, ADMIN_DESK, "analyst", "analyst-password").status_code == 302  # others go on
    later = services.utcnow() + dt.timedelta(seconds=61)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert sign_in_from(proxied_app.test_client(), ADMIN_DESK, "supervisor", "supervisor-password").status_code == 302


def test_trusted_proxies_from_the_environment(databases, template_url, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    url = databases.copy(template_url)
    app = build_app(url)
    try:
        assert app.config["TRUSTED_PROXIES"] == 2
    finally:
        dispose(app)
        databases.drop(url)
