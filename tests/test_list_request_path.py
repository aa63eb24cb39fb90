"""The JSON list's request path, made cheaper per request (issue 19): the same bytes, headers and
sessions as before, whatever is computed once and reused."""
from __future__ import annotations

import hashlib

import orjson

from surveyapp.api import serialize


def sorted_json(body: bytes) -> bytes:
    return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)


def test_a_row_lists_every_key_in_sorted_order_with_its_own_value(app):
    row = tuple(f"value of {field}" for field in serialize.ESTABLISHMENT_FIELDS)
    successor = ("new code", "new name", "new province code", "new province name")
    without = (None, "a name left over", "a province left over", "its name")
    with app.app_context():
        made, unknown = serialize.establishment_rows_json([(*row, None, *successor), (*row, None, *without)])
    assert list(made) == list(unknown) == sorted(serialize.ROW_KEYS)
    assert made == dict(zip(serialize.ROW_KEYS, (*row, None, *successor)))
    assert unknown == dict(zip(serialize.ROW_KEYS, (*row, None, None, None, None, None)))


def test_the_list_body_is_sorted_json_and_its_etag_the_bodys_hash(demo_client):
    for query in ("district=947&sector=C10&per_page=50", "per_page=3&page=2", "q=banh&page=2&per_page=7"):
        answer = demo_client.get(f"/api/v1/establishments?{query}")
        assert answer.status_code == 200 and answer.json["establishments"]
        assert answer.data == sorted_json(answer.data)
        assert answer.headers["ETag"] == f'"{hashlib.sha256(answer.data).hexdigest()[:32]}"'
        again = demo_client.get(f"/api/v1/establishments?{query}", headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


# The session cookie: verified once per process, then reused (its signature, age and contents still rule).

def signed_cookie(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app, cookie: str | None):
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    with app.test_request_context("/api/v1/establishments", headers=headers):
        from flask import request

        return app.session_interface.open_session(app, request)


def test_each_cookie_opens_its_own_session_every_time(app):
    first = signed_cookie(app, {"_user_id": "1:0", "_flashes": [("info", "Xin chào")]})
    second = signed_cookie(app, {"_user_id": "2:3"})
    for _ in range(2):
        assert dict(opened(app, first)) == {"_user_id": "1:0", "_flashes": [("info", "Xin chào")]}
        assert dict(opened(app, second)) == {"_user_id": "2:3"}
    assert dict(opened(app, None)) == {}


def test_a_change_to_one_requests_session_never_reaches_the_next_one_with_the_same_cookie(app):
    cookie = signed_cookie(app, {"_user_id": "1:0", "_flashes": [("info", "Xin chào")]})
    session = opened(app, cookie)
    session["_flashes"].append(("error", "Lỗi"))  # what flask.flash does to a list already there
    session["_user_id"] = "9:9"
    again = opened(app, cookie)
    assert dict(again) == {"_user_id": "1:0", "_flashes": [("info", "Xin chào")]}
    assert not again.modified


def test_a_forged_or_re_keyed_cookie_opens_an_empty_session(app):
    cookie = signed_cookie(app, {"_user_id": "1:0"})
    assert dict(opened(app, cookie)) == {"_user_id": "1:0"}
    assert dict(opened(app, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))) == {}
    app.secret_key = "another key"
    assert dict(opened(app, cookie)) == {}
    app.config["SECRET_KEY_FALLBACKS"] = ["test"]  # the old key as a fallback: the cookie holds again
    assert dict(opened(app, cookie)) == {"_user_id": "1:0"}


def test_a_cookie_opened_before_expires_all_the_same(app):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 6, 5, 0, tzinfo=dt.timezone.utc), tick=False):
        cookie = signed_cookie(app, {"_user_id": "1:0"})
        assert dict(opened(app, cookie)) == {"_user_id": "1:0"}
    lifetime = app.permanent_session_lifetime
    with time_machine.travel(dt.datetime(2026, 12, 6, 5, 0, tzinfo=dt.timezone.utc) + lifetime, tick=False):
        assert dict(opened(app, cookie)) == {"_user_id": "1:0"}  # exactly its lifetime old: still valid
    with time_machine.travel(dt.datetime(2026, 12, 6, 5, 0, 1, tzinfo=dt.timezone.utc) + lifetime, tick=False):
        assert dict(opened(app, cookie)) == {}
    with time_machine.travel(dt.datetime(2026, 12, 6, 4, 59, 59, tzinfo=dt.timezone.utc), tick=False):
        assert dict(opened(app, cookie)) == {}  # signed in the future (a clock set back): refused, as before


def test_a_request_that_leaves_the_session_alone_sets_no_cookie_but_varies_on_it(demo_app):
    client = demo_app.test_client()
    from .conftest import login

    login(client, "admin")
    first = client.get("/api/v1/establishments?per_page=1")  # the test login leaves no _id: rewritten once
    assert first.status_code == 200
    answer = client.get("/api/v1/establishments?per_page=1")
    assert "Set-Cookie" not in answer.headers and answer.headers["Vary"] == "Cookie"
    assert client.get("/api/v1/session").headers.get("Set-Cookie")  # a CSRF token added: the cookie is written


# Security headers: the same on every response, the policy's nonce new each time.

POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob:{hosts}; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
          "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def nonce_of(policy: str) -> str:
    import re

    return re.search(r"'nonce-([^']+)'", policy).group(1)


def test_every_response_carries_the_security_headers_in_order(app, client):
    answers = [client.get("/api/v1/establishments"), client.get("/api/v1/establishments"), client.get("/")]
    nonces = {nonce_of(answer.headers["Content-Security-Policy"]) for answer in answers}
    assert len(nonces) == 3
    for answer in answers:
        names = [name for name, _value in answer.headers]
        assert names[names.index("Content-Security-Policy"):][:5] == [
            "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
            "Permissions-Policy"]
        policy = answer.headers["Content-Security-Policy"]
        assert policy == POLICY.format(nonce=nonce_of(policy), hosts="")
        assert (answer.headers["X-Content-Type-Options"], answer.headers["X-Frame-Options"],
                answer.headers["Referrer-Policy"], answer.headers["Permissions-Policy"]) == (
            "nosniff", "DENY", "same-origin", "camera=(), microphone=(), geolocation=(self)")
        assert "Strict-Transport-Security" not in answer.headers
    assert answers[0].headers["Cache-Control"] == "private, no-cache"
    assert answers[2].headers["Cache-Control"] == "no-store"
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_policy_follows_the_map_tiles_configured_now(app, client):
    client.get("/api/v1/establishments")
    app.config["MAP_TILES_URL"] = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    policy = client.get("/api/v1/establishments").headers["Content-Security-Policy"]
    assert policy == POLICY.format(nonce=nonce_of(policy), hosts=" https://*.tile.example.org")
    app.config["MAP_TILES_URL"] = None
    policy = client.get("/api/v1/establishments").headers["Content-Security-Policy"]
    assert policy == POLICY.format(nonce=nonce_of(policy), hosts="")


def test_a_view_that_sets_a_header_keeps_it(app):
    from flask import Response

    from surveyapp.accounts.access import public

    @app.get("/own-headers")
    @public
    def own_headers():
        return Response("x", headers={"X-Frame-Options": "SAMEORIGIN", "Cache-Control": "max-age=60",
                                      "Content-Security-Policy": "default-src 'none'"}, mimetype="text/html")

    answer = app.test_client().get("/own-headers")
    assert answer.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert answer.headers.getlist("Cache-Control") == ["max-age=60"]
    assert answer.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_query_arguments_answer_get_as_a_multidict_does(app):
    from flask import request

    with app.test_request_context("/api/v1/establishments?district=947&sector=C10&sector=C11&page=x&empty=&n=7"):
        args = request.args
        assert args.get("district") == "947" and args.get("sector") == "C10"
        assert args.getlist("sector") == ["C10", "C11"]
        assert args.get("commune") is None and args.get("commune", "") == "" and args.get("empty") == ""
        assert args.get("n", type=int) == 7 and args.get("page", -1, type=int) == -1
        assert args.get("absent", 3, type=int) == 3
        assert "district" in args and "commune" not in args
        import pytest
        from werkzeug.exceptions import BadRequestKeyError

        with pytest.raises(BadRequestKeyError):
            args["commune"]
        with pytest.raises(TypeError):
            args["district"] = "x"  # still immutable


def test_the_lists_times_are_written_as_iso_local_writes_them(app):
    import datetime as dt
    import random

    from surveyapp import clock

    chance = random.Random(19)
    naive = [dt.datetime(1850, 1, 1) + dt.timedelta(seconds=chance.randrange(250 * 365 * 86400),
                                                    microseconds=chance.choice([0, chance.randrange(10**6)]))
             for _ in range(400)]
    naive += [dt.datetime(1905, 3, 1, 12), dt.datetime(2026, 12, 6, 5, 20, 0, 999999), dt.datetime(2026, 3, 8, 7, 0)]
    times = naive + [value.replace(tzinfo=dt.timezone.utc) for value in naive[::3]] + [
        value.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5))) for value in naive[1::3]] + [None]
    blank = tuple(f"v{index}" for index in range(len(serialize.ESTABLISHMENT_FIELDS)))
    for zone in ("Asia/Ho_Chi_Minh", "America/New_York", "Africa/Monrovia", "Asia/Kathmandu", "UTC"):
        app.config["BABEL_DEFAULT_TIMEZONE"] = zone
        with app.app_context():
            rows = [(*blank, value, None, None, None, None) for value in times]
            written = orjson.loads(orjson.dumps(serialize.establishment_rows_json(rows),
                                                option=serialize.ROWS_JSON_OPTION))
            assert [row["updated_at"] for row in written] == [clock.iso_local(value, zone) for value in times]


def test_vary_names_the_cookie_once_beside_what_a_view_varies_on(app):
    from flask import Response, session

    from surveyapp.accounts.access import public

    @app.get("/varies")
    @public
    def varies():
        session.get("anything")
        return Response("x", headers={"Vary": "Accept-Encoding"})

    @app.get("/varies-on-cookie")
    @public
    def varies_on_cookie():
        session.get("anything")
        return Response("x", headers={"Vary": "Cookie"})

    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["something"] = "kept"
    assert client.get("/varies").headers.getlist("Vary") == ["Accept-Encoding, Cookie"]
    assert client.get("/varies-on-cookie").headers.getlist("Vary") == ["Cookie"]
