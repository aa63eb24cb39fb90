"""A session ends for good: an old cookie replayed after sign-out, a password change, deactivation or a
role change opens nothing; a Bearer header authenticates by itself or fails."""
from __future__ import annotations

import pytest

from surveyapp.accounts.services import user_by_username

from .test_accounts import sign_in


def signed_in(app, username: str):
    """A client signed in through the form (so its cookie carries what a real sign-in writes)."""
    client = app.test_client()
    assert sign_in(client, username, f"{username}-password").status_code == 302
    return client


def replay(app, cookie_value: str):
    """Another browser presenting a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie_value)
    return thief


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app):
    client = signed_in(app, "analyst")
    copied = cookie_of(client)
    assert replay(app, copied).get("/establishments").status_code == 200
    client.post("/logout")
    response = replay(app, copied).get("/establishments")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    api = replay(app, copied).get("/api/v1/session")
    assert api.status_code == 401


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app):
    laptop = signed_in(app, "analyst")
    phone = signed_in(app, "analyst")
    changed = phone.post("/account/password", data={"current": "analyst-password", "new": "tra-vinh-hoa-sen",
                                                     "confirm": "tra-vinh-hoa-sen"})
    assert changed.status_code == 302
    assert laptop.get("/establishments").status_code == 302
    assert phone.get("/establishments").status_code == 200
    assert sign_in(app.test_client(), "analyst", "tra-vinh-hoa-sen").status_code == 302


def test_an_admin_password_reset_ends_the_users_sessions(app, client):
    analyst = signed_in(app, "analyst")
    with app.app_context():
        from surveyapp.db import get_session
        user_id = user_by_username(get_session(), "analyst").id
    assert client.post(f"/admin/users/{user_id}/password").status_code == 200
    assert analyst.get("/establishments").status_code == 302


@pytest.mark.parametrize("change", [{"role": "analyst", "is_active": ""}, {"role": "supervisor", "is_active": "y"}],
                         ids=["deactivated", "role changed"])
def test_deactivation_or_a_role_change_ends_the_users_sessions(app, client, session, change):
    analyst = signed_in(app, "analyst")
    copied = cookie_of(analyst)
    user_id = user_by_username(session, "analyst").id
    saved = client.post(f"/admin/users/{user_id}", data={"full_name": "", **change})
    assert saved.status_code == 302
    assert replay(app, copied).get("/establishments").status_code == 302
    assert replay(app, copied).get("/api/v1/session").status_code == 401


def test_a_name_change_keeps_the_users_sessions(app, client, session):
    analyst = signed_in(app, "analyst")
    user_id = user_by_username(session, "analyst").id
    saved = client.post(f"/admin/users/{user_id}", data={"full_name": "Trần Văn Nam", "role": "analyst",
                                                        "is_active": "y"})
    assert saved.status_code == 302
    assert analyst.get("/establishments").status_code == 200


def test_signing_in_again_after_sign_out_works(app):
    client = signed_in(app, "analyst")
    client.post("/logout")
    assert sign_in(client, "analyst", "analyst-password").status_code == 302
    assert client.get("/establishments").status_code == 200


def test_a_junk_bearer_header_never_falls_back_to_the_session_cookie(app, client_as):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = client_as("enumerator")
    for junk in ("Bearer junk", "Bearer ", "Bearer sa_not-a-real-token"):
        posted = browser.post("/api/v1/records", json={"uuid": "x"}, headers={"Authorization": junk})
        assert posted.status_code == 401, junk
        assert browser.get("/api/v1/session", headers={"Authorization": junk}).status_code == 401, junk
    assert browser.get("/api/v1/session").status_code == 200  # the cookie alone still works
