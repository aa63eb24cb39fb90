"""The JSON API: tokens, reads with ETags, and record submission with client UUIDs (idempotent)."""
from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token, hash_token
from surveyapp.models import ApiToken, QuestionnaireVersion, SurveyRecord

from .conftest import serving
from .test_survey import minimal_submission


@pytest.fixture
def mine(round_2019, add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía", owner="Út", commune_code="31498", address="Phường 5")


@pytest.fixture
def theirs(round_2019, add_establishment):
    return add_establishment(name="Cơ sở khác", commune_code="31501")


@pytest.fixture
def token(session):
    _row, secret = create_token(session, user_by_username(session, "enumerator"), "Điện thoại", actor_id=None)
    session.commit()
    return secret


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def body(establishment, **changes) -> dict:
    values = {"uuid": str(uuid.uuid4()), "establishment_code": establishment.code, "round": "2019",
              "answers": minimal_submission(), "status": "submitted"}
    values.update(changes)
    return values


def records(session) -> list[SurveyRecord]:
    session.expire_all()
    return list(session.exec(select(SurveyRecord)))


def test_token_is_stored_hashed_and_can_be_revoked(anon_client, client_as, session, token):
    row = session.exec(select(ApiToken)).one()
    assert row.token_hash == hash_token(token) and token not in (row.token_hash, row.prefix)
    assert anon_client.get("/api/v1/assignments", headers=bearer(token)).status_code == 200
    response = client_as("enumerator").post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 302
    refused = anon_client.get("/api/v1/assignments", headers=bearer(token))
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    assert anon_client.get("/api/v1/assignments", headers=bearer("sa_not-a-token")).status_code == 401


def test_users_and_admins_create_tokens_shown_once(client_as, client, session):
    page = client_as("analyst").post("/account/tokens", data={"name": "Máy tính phòng"})
    assert page.status_code == 200 and 'id="token-once"' in page.text
    analyst = user_by_username(session, "analyst")
    admin_page = client.post(f"/admin/users/{analyst.id}/tokens", data={"name": "Script"})
    assert 'id="token-once"' in admin_page.text
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == analyst.id)).all()
    assert sorted(r.name for r in rows) == ["Máy tính phòng", "Script"]
    assert client.post(f"/admin/users/{analyst.id}/tokens/{rows[0].id}/revoke").status_code == 302
    assert client_as("analyst").post("/account/tokens", data={"name": " "}).status_code == 302  # refused, flashed


def test_inactive_users_token_is_refused(anon_client, session, token):
    user = user_by_username(session, "enumerator")
    user.is_active = False
    session.add(user)
    session.commit()
    assert anon_client.get("/api/v1/assignments", headers=bearer(token)).status_code == 401


def test_reads_assignments_establishments_and_questionnaire(anon_client, token, mine, theirs):
    assignments = anon_client.get("/api/v1/assignments", headers=bearer(token)).json["assignments"]
    assert assignments == [{"commune_code": "31498", "commune_name": "Phường 5", "district_code": "941",
                            "round": "2019", "round_open": True, "admin_units": "legacy"}]
    page = anon_client.get("/api/v1/establishments?per_page=1", headers=bearer(token))
    assert page.status_code == 200
    assert [e["code"] for e in page.json["establishments"]] == [mine.code]  # not the other commune's
    assert page.json["total"] == 1
    again = anon_client.get("/api/v1/establishments?per_page=1", headers=bearer(token) | {"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert anon_client.get("/api/v1/establishments?page=0", headers=bearer(token)).json["error"]["code"] == "invalid_argument"
    questionnaire = anon_client.get("/api/v1/questionnaire?round=2019", headers=bearer(token))
    definition = questionnaire.json["questionnaire"]
    assert definition["form_id"] == "cnnt-2019" and definition["version"] == "2"
    assert definition["items"][0]["name"] == "visit_type"
    cached = anon_client.get("/api/v1/questionnaire?round=2019", headers=bearer(token) | {"If-None-Match": questionnaire.headers["ETag"]})
    assert cached.status_code == 304
    assert anon_client.get("/api/v1/questionnaire?round=1999", headers=bearer(token)).status_code == 404


def test_post_then_identical_retry_then_conflicting_reuse(anon_client, session, token, mine):
    payload = body(mine)
    created = anon_client.post("/api/v1/records", json=payload, headers=bearer(token))
    assert created.status_code == 201 and created.json["created"] is True
    assert created.headers["Location"] == f"/api/v1/records/{payload['uuid']}"
    retry = anon_client.post("/api/v1/records", json=payload, headers=bearer(token))
    assert retry.status_code == 200 and retry.json["created"] is False and retry.json["uuid"] == payload["uuid"]
    assert len(records(session)) == 1
    changed = dict(payload, answers=minimal_submission(workers_total="9"))
    conflict = anon_client.post("/api/v1/records", json=changed, headers=bearer(token))
    assert conflict.status_code == 409 and conflict.json["error"]["code"] == "uuid_conflict"
    assert len(records(session)) == 1
    record = records(session)[0]
    assert record.enumerator_id == user_by_username(session, "enumerator").id and record.status == "submitted"


def test_edits_name_the_version_they_replace(anon_client, session, token, mine):
    first = body(mine)
    anon_client.post("/api/v1/records", json=first, headers=bearer(token))
    without = anon_client.post("/api/v1/records", json=body(mine), headers=bearer(token))
    assert without.status_code == 409 and without.json["error"]["code"] == "stale_version"
    assert without.json["error"]["details"]["current_uuid"] == first["uuid"]
    edit = body(mine, supersedes=first["uuid"], answers=minimal_submission(workers_total="7"))
    second = anon_client.post("/api/v1/records", json=edit, headers=bearer(token))
    assert second.status_code == 201 and second.json["version_number"] == 2
    stale = anon_client.post("/api/v1/records", json=body(mine, supersedes=first["uuid"]), headers=bearer(token))
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_version"
    assert [(r.version_number, r.is_current) for r in sorted(records(session), key=lambda r: r.version_number)] == \
        [(1, False), (2, True)]


def test_invalid_answers_are_refused_with_per_field_errors(anon_client, session, token, mine):
    response = anon_client.post("/api/v1/records", json=body(mine, answers=minimal_submission(workers_female="99")),
                                headers=bearer(token) | {"Accept-Language": "en"})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid_answers"
    assert error["details"]["errors"] == {"workers_female": "Female workers must be between 0 and total workers"}
    typed_wrong = anon_client.post("/api/v1/records", json=body(mine, answers={"visit_type": "sometimes"}),
                                   headers=bearer(token))
    assert "visit_type" in typed_wrong.json["error"]["details"]["errors"]
    assert records(session) == []


@pytest.mark.parametrize(("payload", "code"), [
    ("not json", "invalid_json"), ([], "invalid_json"), ({"uuid": "nope", "establishment_code": "x", "answers": {}}, "invalid_request"),
    ({"uuid": str(uuid.uuid4()), "answers": {}}, "invalid_request"),
    ({"uuid": str(uuid.uuid4()), "establishment_code": "x", "answers": []}, "invalid_request"),
    ({"uuid": str(uuid.uuid4()), "establishment_code": "x", "answers": {}, "status": "approved"}, "invalid_request"),
])
def test_malformed_requests_are_400_with_a_code(anon_client, token, mine, payload, code):
    data = payload if isinstance(payload, str) else json.dumps(payload)
    response = anon_client.post("/api/v1/records", data=data, headers=bearer(token) | {"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["error"]["code"] == code


def test_unknown_or_foreign_establishment_is_404(anon_client, token, theirs, session):
    for code in ("94-941-999999", theirs.code):
        response = anon_client.post("/api/v1/records", json=body(theirs, establishment_code=code), headers=bearer(token))
        assert response.status_code == 404 and response.json["error"]["code"] == "unknown_establishment"
    assert records(session) == []


def test_roles_and_anonymous(anon_client, client_as, session, mine):
    _row, analyst_token = create_token(session, user_by_username(session, "analyst"), "x", actor_id=None)
    session.commit()
    forbidden = anon_client.post("/api/v1/records", json=body(mine), headers=bearer(analyst_token))
    assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "forbidden"
    anonymous = anon_client.post("/api/v1/records", json=body(mine))
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    assert anon_client.get("/api/v1/nothing-here").json["error"]["code"] == "not_found"


def test_an_approved_record_cannot_be_replaced_by_an_enumerator(anon_client, client_as, session, token, mine):
    first = body(mine)
    anon_client.post("/api/v1/records", json=first, headers=bearer(token))
    client_as("supervisor").post(f"/review/records/{first['uuid']}/approve")
    refused = anon_client.post("/api/v1/records", json=body(mine, supersedes=first["uuid"]), headers=bearer(token))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "record_approved"


def test_cookie_sessions_need_the_csrf_token(app, client_as, session, mine):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = client_as("enumerator")
    refused = browser.post("/api/v1/records", json=body(mine))
    assert refused.status_code == 400 and refused.json["error"]["code"] == "bad_request"
    csrf_token = browser.get("/api/v1/session").json["csrf_token"]
    accepted = browser.post("/api/v1/records", json=body(mine), headers={"X-CSRFToken": csrf_token})
    assert accepted.status_code == 201


def test_openapi_document(anon_client):
    document = anon_client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {"/records", "/establishments", "/questionnaire", "/assignments"} <= set(document["paths"])
    assert set(document["paths"]["/records"]["post"]["responses"]) >= {"200", "201", "400", "404", "409", "422"}


def _post(url: str, token: str, payload: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers=bearer(token) | {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def post_all_at_once(app, token: str, payloads: list[dict]) -> list[int]:
    """POST every payload from its own thread, all released together, to a real server; the statuses."""
    start = threading.Barrier(len(payloads))

    def send(payload):
        start.wait()
        return _post(url, token, payload)

    with serving(app) as base:
        url = base + "/api/v1/records"
        with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
            return list(pool.map(send, payloads))


def test_fifty_concurrent_identical_posts_make_one_record(app, session, token, mine):
    statuses = post_all_at_once(app, token, [body(mine)] * 50)
    assert sorted(statuses).count(201) == 1 and statuses.count(200) == 49, statuses
    assert len(records(session)) == 1


def test_concurrent_different_first_versions_leave_one_current_record(app, session, token, mine):
    statuses = post_all_at_once(app, token, [body(mine) for _ in range(20)])
    assert statuses.count(201) == 1 and statuses.count(409) == 19, statuses
    assert len(records(session)) == 1


def test_first_records_of_a_new_round_from_twenty_phones_at_once_all_succeed(app, session, token, mine,
                                                                            add_establishment):
    """The round's questionnaire version is stored by the first record: twenty first records racing to
    store it must not fail (they did: 409 for the losers of the race)."""
    others = [add_establishment(name=f"Cơ sở số {n}", commune_code="31498") for n in range(19)]
    statuses = post_all_at_once(app, token, [body(establishment) for establishment in [mine, *others]])
    assert statuses == [201] * 20
    assert len(records(session)) == 20
    assert len(session.exec(select(QuestionnaireVersion)).all()) == 1


def test_establishments_take_the_lists_filter(client, add_establishment):
    wanted = add_establishment(name="Cơ sở Bánh Pía Sóc Trăng", vsic_code="1071", commune_code="31498")
    add_establishment(name="Cơ sở Bánh Pía khác ngành", vsic_code="1610", commune_code="31498")
    add_establishment(name="Cơ sở Đan lát", vsic_code="1071", commune_code="31498")
    found = client.get("/api/v1/establishments?sector=c10&q=banh+pia")
    assert found.status_code == 200 and found.json["total"] == 1
    assert [e["code"] for e in found.json["establishments"]] == [wanted.code]
    assert client.get("/api/v1/establishments?district=941&sector=C10").json["total"] == 2
    bad = client.get("/api/v1/establishments?sector=Z99&district=999")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_filter"
    assert set(bad.json["error"]["details"]["errors"]) == {"sector", "district"}


def test_token_last_use_is_written_at_most_once_a_minute(anon_client, session, token):
    import datetime as dt

    def last_used():
        session.expire_all()
        return session.exec(select(ApiToken)).one().last_used_at

    assert last_used() is None
    assert anon_client.get("/api/v1/assignments", headers=bearer(token)).status_code == 200
    first = last_used()
    assert first is not None
    anon_client.get("/api/v1/assignments", headers=bearer(token))
    assert last_used() == first  # a second call within the minute writes nothing
    row = session.exec(select(ApiToken)).one()
    row.last_used_at = first - dt.timedelta(minutes=5)
    session.add(row)
    session.commit()
    anon_client.get("/api/v1/assignments", headers=bearer(token))
    assert last_used() > first - dt.timedelta(minutes=5)


@pytest.mark.parametrize(("language", "label", "message"), [
    ("vi", "Trong đó: lao động nữ (người)", "Số lao động nữ phải từ 0 đến tổng số lao động"),
    ("en", "Of whom: women (persons)", "Female workers must be between 0 and total workers"),
])
def test_refused_answers_carry_each_question_label_in_the_requests_language(anon_client, token, mine, language,
                                                                            label, message):
    response = anon_client.post("/api/v1/records", json=body(mine, answers=minimal_submission(
        workers_female="99", owner_name="")), headers=bearer(token) | {"Accept-Language": language})
    assert response.status_code == 422
    questions = response.json["error"]["details"]["questions"]
    assert [item["field"] for item in questions] == ["owner_name", "workers_female"]  # document order
    assert questions[1] == {"field": "workers_female", "label": label, "message": message}
    assert questions[0]["label"] == {"vi": "Họ và tên chủ cơ sở hoặc người đại diện theo pháp luật",
                                     "en": "Full name of the owner or legal representative"}[language]
