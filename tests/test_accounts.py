"""Signing in and out, passwords, throttling, security headers, admin pages, the audit trail."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select
from werkzeug.security import check_password_hash

from surveyapp.accounts.services import user_by_username
from surveyapp.models import Assignment, AuditEvent, SurveyRound


def sign_in(client, username, password, next_url=None):
    return client.post("/login", query_string={"next": next_url} if next_url else None,
                       data={"username": username, "password": password})


def test_every_page_but_login_needs_a_login(anon_client):
    for url in ("/", "/establishments", "/survey", "/review", "/admin/users", "/account/password"):
        response = anon_client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    assert anon_client.get("/login").status_code == 200
    assert anon_client.get("/static/css/app.css").status_code == 200
    assert anon_client.get("/vendor/leaflet/leaflet.js").status_code == 200


def test_sign_in_redirects_to_next_on_this_site_only(anon_client):
    response = sign_in(anon_client, "analyst", "analyst-password", "/establishments?district=941")
    assert response.status_code == 302 and response.headers["Location"] == "/establishments?district=941"
    assert anon_client.get("/establishments").status_code == 200
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client = anon_client.application.test_client()
        response = sign_in(client, "analyst", "analyst-password", evil)
        assert response.headers["Location"] == "/", evil


def test_an_enumerator_lands_on_the_survey_page(anon_client):
    assert sign_in(anon_client, "enumerator", "enumerator-password").headers["Location"] == "/survey"


def test_wrong_password_and_unknown_user_get_the_same_answer(anon_client, session):
    wrong = sign_in(anon_client, "analyst", "nope-nope-nope")
    unknown = sign_in(anon_client, "nobody", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda text: re.sub(r'name="csrf_token"[^>]*>|value="[^"]*"', "", text)  # noqa: E731
    assert strip(wrong.text) == strip(unknown.text)
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text or "Wrong username or password" in wrong.text
    failures = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert [(e.entity_id, e.ip_address) for e in failures] == [("analyst", "127.0.0.1"), ("nobody", "127.0.0.1")]


def test_inactive_user_cannot_sign_in(anon_client, session):
    user = user_by_username(session, "analyst")
    user.is_active = False
    session.add(user)
    session.commit()
    assert sign_in(anon_client, "analyst", "analyst-password").status_code == 401


def test_throttling_after_five_failures_a_minute(anon_client, session):
    for _ in range(5):
        assert sign_in(anon_client, "supervisor", "wrong-password").status_code == 401
    throttled = sign_in(anon_client, "supervisor", "supervisor-password")  # even the right password waits
    assert throttled.status_code == 429
    other = sign_in(anon_client.application.test_client(), "analyst", "analyst-password")
    assert other.status_code == 302  # another username from the same address is not blocked by these five


def test_session_cookie_flags(anon_client):
    response = sign_in(anon_client, "analyst", "analyst-password")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = sign_in(anon_client.application.test_client(), "analyst", "analyst-password")
    https = anon_client.application.test_client().post(
        "/login", data={"username": "analyst", "password": "analyst-password"}, base_url="https://localhost")
    assert "Secure" in https.headers["Set-Cookie"]
    assert secure.status_code == 302


def test_sign_out_needs_post_and_ends_the_session(client):
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_change_password(client_as, session):
    client = client_as("analyst")
    wrong = client.post("/account/password", data={"current": "bad", "new": "n" * 12, "confirm": "n" * 12})
    assert wrong.status_code == 422
    short = client.post("/account/password", data={"current": "analyst-password", "new": "short", "confirm": "short"})
    assert short.status_code == 422
    differ = client.post("/account/password", data={"current": "analyst-password", "new": "n" * 12, "confirm": "m" * 12})
    assert differ.status_code == 422
    done = client.post("/account/password", data={"current": "analyst-password", "new": "new-password-1",
                                                   "confirm": "new-password-1"})
    assert done.status_code == 302
    session.expire_all()
    assert check_password_hash(user_by_username(session, "analyst").password_hash, "new-password-1")


def test_security_headers_and_csp_nonce(client):
    response = client.get("/")
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert nonce != re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]).group(1)
    assert "http" not in csp  # only this site
    assert "<script>" not in response.text  # no inline script without the nonce


def test_admin_creates_a_user_and_sees_the_password_once(client, session):
    page = client.post("/admin/users/new", data={"username": "lan", "full_name": "Nguyễn Thị Lan",
                                                 "role": "enumerator", "password": ""})
    assert page.status_code == 200
    password = re.search(r'<code class="fs-5 user-select-all">([^<]+)</code>', page.text).group(1)
    assert check_password_hash(user_by_username(session, "lan").password_hash, password)
    assert password not in client.get("/admin/users").text
    taken = client.post("/admin/users/new", data={"username": "lan", "role": "analyst"})
    assert taken.status_code == 422 and 'value="lan"' in taken.text


def test_admin_assigns_communes_and_changes_roles(client, session):
    survey_round = SurveyRound(code="2019", title="Khảo sát 2019", is_open=True)
    session.add(survey_round)
    session.commit()
    analyst = user_by_username(session, "analyst")
    response = client.post(f"/admin/users/{analyst.id}/assignments",
                           data={"round": str(survey_round.id), "district": "945", "communes": ["31498"]})
    assert response.status_code == 302
    assigned = {a.commune_code for a in session.exec(select(Assignment).where(Assignment.user_id == analyst.id))}
    assert len(assigned) == 9 and "31498" in assigned  # 8 communes of Cù Lao Dung + Phường 5
    page = client.get(f"/admin/users/{analyst.id}").text
    assert "Phường 5 (31498)" in page
    edit = client.post(f"/admin/users/{analyst.id}", data={"role": "supervisor", "full_name": "Lê Văn A",
                                                           "is_active": "y"})
    assert edit.status_code == 302
    session.expire_all()
    assert user_by_username(session, "analyst").role == "supervisor"
    admin = user_by_username(session, "admin")
    demote = client.post(f"/admin/users/{admin.id}", data={"role": "analyst", "is_active": "y"})
    assert demote.status_code == 422
    assignment_id = session.exec(select(Assignment.id)).first()
    assert client.post(f"/admin/assignments/{assignment_id}/delete").status_code == 302
    assert session.exec(select(Assignment.id).where(Assignment.id == assignment_id)).first() is None


def test_admin_creates_and_closes_a_round(client, session):
    bad = client.post("/admin/rounds", data={"code": "2026 !", "title": "Khảo sát 2026",
                                             "questionnaire": "cnnt-2019@2"})
    assert bad.status_code == 422 and 'value="Khảo sát 2026"' in bad.text
    good = client.post("/admin/rounds", data={"code": "2026", "title": "Khảo sát 2026", "questionnaire": "cnnt-2019@2",
                                              "start_date": "2026-03-01", "end_date": "2026-09-30", "is_open": "y"})
    assert good.status_code == 302
    survey_round = session.exec(select(SurveyRound).where(SurveyRound.code == "2026")).one()
    assert survey_round.is_open and survey_round.questionnaire_id == "cnnt-2019"
    assert survey_round.questionnaire_version == "2"  # the round form offers the current versions only
    client.post("/admin/rounds/2026/open", data={"open": "0"})
    session.expire_all()
    assert not session.exec(select(SurveyRound).where(SurveyRound.code == "2026")).one().is_open


def test_audit_trail_is_browsable_and_filterable(client, anon_client):
    sign_in(anon_client, "nobody", "x" * 10)
    page = client.get("/admin/audit?action=login_failed")
    assert page.status_code == 200
    assert re.search(r'data-total="1"', page.text) and "nobody" in page.text and "127.0.0.1" in page.text
    assert 'data-total="0"' in client.get("/admin/audit?action=login_failed&since=2999-01-01").text
    assert client.get("/admin/audit?since=yesterday").status_code == 400
    assert client.get("/admin/audit?page=0").status_code == 400


@pytest.mark.parametrize("role", ["supervisor", "enumerator", "analyst"])
def test_only_admins_see_the_administration_menu(client_as, role):
    assert "/admin/users" not in client_as(role).get("/establishments").text
