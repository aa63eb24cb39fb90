"""Passwords: the common and the repetitive are refused wherever a password is set (admin page, own
password page, CLI), with the reason in Vietnamese on the pages."""
from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from surveyapp.accounts.passwords import password_weakness
from surveyapp.accounts.services import AccountError, create_user, generate_password, user_by_username

WEAK = {
    "aaaaaaaaaa": "pattern", "1234567890": "pattern", "0987654321": "pattern", "abcdefghijk": "pattern",
    "qwertyuiop": "pattern", "abcabcabcabc": "pattern", "1212121212": "pattern", "aaaaabbbbb": "pattern",
    "password123": "common", "Matkhau@2026": "common", "1q2w3e4r5t": "common", "iloveyou12": "common",
    "nguyenvanlan": "username", "NguyenVanLan2026": "username",
}


@pytest.mark.parametrize("password", sorted(WEAK))
def test_weak_passwords_are_named_with_their_reason(password):
    assert password_weakness(password, "nguyenvanlan") == WEAK[password]


@pytest.mark.parametrize("password", ["tra-vinh-hoa-sen", "analyst-password", "Sóc Trăng mùa lúa", "k7#pQ2vL9x"])
def test_ordinary_passwords_pass(password):
    assert password_weakness(password, "analyst2") is None


def test_generated_passwords_always_pass():
    assert all(password_weakness(generate_password(), "lan") is None for _ in range(200))


def test_create_user_refuses_a_weak_password(session):
    with pytest.raises(AccountError):
        create_user(session, "lan", "enumerator", "1234567890")
    assert user_by_username(session, "lan") is None


def test_admin_page_refuses_a_weak_password_in_vietnamese(client, session):
    page = client.post("/admin/users/new", data={"username": "lan", "role": "enumerator", "password": "aaaaaaaaaa"})
    assert page.status_code == 422
    assert "Mật khẩu này là một dãy hoặc một mẫu lặp lại" in page.text
    assert user_by_username(session, "lan") is None
    same = client.post("/admin/users/new", data={"username": "lan", "role": "enumerator", "password": "lan1234567"})
    assert same.status_code == 422 and "Mật khẩu không được là tên đăng nhập" in same.text


def test_own_password_change_refuses_a_weak_password_in_vietnamese(client_as, session):
    client = client_as("analyst")
    for weak, message in (("1234567890", "một dãy hoặc một mẫu lặp lại"), ("password123", "quá phổ biến")):
        page = client.post("/account/password", data={"current": "analyst-password", "new": weak, "confirm": weak})
        assert page.status_code == 422 and message in page.text, weak
    session.expire_all()
    assert check_password_hash(user_by_username(session, "analyst").password_hash, "analyst-password")


def test_cli_create_user_refuses_a_weak_password(runner, session):
    result = runner.invoke(args=["users", "create", "--username", "lan", "--role", "enumerator",
                                 "--password", "aaaaaaaaaa"])
    assert result.exit_code == 1
    assert "sequence or a repeated pattern" in result.output
    assert user_by_username(session, "lan") is None
    fine = runner.invoke(args=["users", "create", "--username", "lan", "--role", "enumerator",
                               "--password", "tra-vinh-hoa-sen"])
    assert fine.exit_code == 0, fine.output
