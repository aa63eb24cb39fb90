"""Registering a new establishment from the phone (/api/v1/establishments): idempotent on the client's
UUID, the same checks as the online form, likely duplicates of the commune flagged for review."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token
from surveyapp.duplicates.services import find_pairs, mark_not_duplicate
from surveyapp.models import AuditEvent, Establishment

from .conftest import serving

URL = "/api/v1/establishments"


@pytest.fixture
def token(session, round_2019):
    _row, secret = create_token(session, user_by_username(session, "enumerator"), "Điện thoại", actor_id=None)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def registration(**changes) -> dict:
    values = {"uuid": str(uuid.uuid4()), "round": "2019", "commune_code": "31498", "name": "Cơ sở Mắm Ba Khía Út Lý",
              "owner": "Lý Văn Tài", "legal_form": "household", "vsic_code": "1020", "address": "Ấp Chợ",
              "phone": "0912345678"}
    values.update(changes)
    return values


def establishments_named(session, name: str) -> list[Establishment]:
    session.expire_all()
    return list(session.exec(select(Establishment).where(Establishment.name == name)))


def test_registers_once_with_the_next_code_and_a_resend_gives_the_same(anon_client, session, token):
    sent = registration()
    first = anon_client.post(URL, json=sent, headers=token)
    assert first.status_code == 201, first.get_json()
    created = first.get_json()
    assert created["created"] is True and created["code"].startswith("94-") and created["likely_duplicates"] == []
    again = anon_client.post(URL, json=sent, headers=token)
    assert again.status_code == 200 and again.get_json()["code"] == created["code"]
    assert again.get_json()["created"] is False
    [row] = establishments_named(session, sent["name"])
    assert (row.client_uuid, row.commune_code, row.vsic_code, row.phone) == (sent["uuid"], "31498", "1020", "0912345678")
    assert row.possible_duplicate_of is None


def test_the_same_uuid_with_another_establishment_is_a_conflict(anon_client, session, token):
    sent = registration()
    assert anon_client.post(URL, json=sent, headers=token).status_code == 201
    response = anon_client.post(URL, json={**sent, "name": "Cơ sở khác hẳn"}, headers=token)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "uuid_conflict"
    assert establishments_named(session, "Cơ sở khác hẳn") == []


def test_missing_name_and_bad_fields_are_refused_field_by_field(anon_client, session, token):
    response = anon_client.post(URL, json=registration(name="  ", vsic_code="12", phone="123"), headers=token)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_establishment"
    assert set(error["details"]["errors"]) == {"name", "vsic_code", "phone"}
    assert session.exec(select(Establishment)).all() == []


def test_unknown_commune_is_refused(anon_client, session, token):
    response = anon_client.post(URL, json=registration(commune_code="99999"), headers=token)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["errors"]) == {"commune_code"}


def test_a_commune_not_assigned_is_forbidden(anon_client, session, token):
    response = anon_client.post(URL, json=registration(commune_code="31501"), headers=token)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "commune_not_assigned"
    assert session.exec(select(Establishment)).all() == []


def test_a_malformed_uuid_or_body_is_a_bad_request(anon_client, token):
    assert anon_client.post(URL, json=registration(uuid="nope"), headers=token).status_code == 400
    assert anon_client.post(URL, json=["x"], headers=token).status_code == 400


def test_a_supervisor_cannot_register_through_the_api(client_as, round_2019):
    client = client_as("supervisor")
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    response = client.post(URL, json=registration(), headers={"X-CSRFToken": csrf})
    assert response.status_code == 403


def test_a_likely_duplicate_is_registered_but_flagged_for_review(anon_client, session, token, add_establishment):
    existing = add_establishment(name="Cơ sở Mắm Ba Khía Út Lý", commune_code="31498")
    response = anon_client.post(URL, json=registration(name="Co so Mam Ba Khia Ut Ly"), headers=token)
    assert response.status_code == 201
    flagged = response.get_json()
    assert [d["code"] for d in flagged["likely_duplicates"]] == [existing.code]
    [row] = establishments_named(session, "Co so Mam Ba Khia Ut Ly")
    assert row.possible_duplicate_of == existing.code
    pairs = {(p.code_a, p.code_b) for p in find_pairs(session, commune_codes={"31498"})}
    assert tuple(sorted((row.code, existing.code))) in pairs  # the /duplicates page proposes the pair
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "flag_duplicate")).all()
    assert [e.entity_id for e in events] == [row.code]


def test_the_flag_shows_on_the_newcomers_page_with_a_link_to_compare(anon_client, client_as, session, token,
                                                                      add_establishment):
    existing = add_establishment(name="Cơ sở Mắm Ba Khía Út Lý", commune_code="31498")
    code = anon_client.post(URL, json=registration(name="Co so Mam Ba Khia Ut Ly"), headers=token).get_json()["code"]
    page = client_as("supervisor").get(f"/establishments/{code}").get_data(as_text=True)
    assert 'id="possible-duplicate"' in page
    assert f"/duplicates/compare?a={code}&amp;b={existing.code}" in page
    assert 'id="possible-duplicate"' not in client_as("supervisor").get(f"/establishments/{existing.code}").get_data(as_text=True)
    mark_not_duplicate(session, code, existing.code, actor_id=None)
    session.commit()
    assert 'id="possible-duplicate"' not in client_as("supervisor").get(f"/establishments/{code}").get_data(as_text=True)


def post_concurrently(app, headers: dict, payloads: list[dict]) -> list[int]:
    """POST every registration from its own thread, all released together, to a real server; the statuses."""
    start = threading.Barrier(len(payloads))

    def send(payload):
        request = urllib.request.Request(base + URL, data=json.dumps(payload).encode(), method="POST",
                                         headers=headers | {"Content-Type": "application/json"})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with serving(app) as base:
        with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
            return list(pool.map(send, payloads))


def test_twenty_concurrent_identical_registrations_make_one(app, session, token):
    sent = registration()
    statuses = post_concurrently(app, token, [sent] * 20)
    assert statuses.count(201) == 1 and statuses.count(200) == 19, statuses
    assert len(establishments_named(session, sent["name"])) == 1



@pytest.mark.parametrize(("language", "expected"), [
    ("vi", {"vsic_code": ("Ngành nghề chính (mã ngành VSIC)", "Ngành cấp 2 99 theo VSIC không phải ngành công nghiệp."),
            "commune_code": ("Xã/phường", "")}),
    ("en", {"vsic_code": ("Main activity (VSIC code)", "VSIC division 99 is not an industrial division."),
            "commune_code": ("Commune", "")}),
])
def test_a_refused_registration_names_each_field_by_its_label_in_the_requests_language(anon_client, token, language,
                                                                                         expected):
    """The outbox shows what the API says: a label and a message in the page's language, never a field name."""
    headers = {**token, "Accept-Language": language}
    only_the_server_knows = anon_client.post(URL, json=registration(vsic_code="9999"), headers=headers)
    assert only_the_server_knows.status_code == 422
    [vsic] = only_the_server_knows.get_json()["error"]["details"]["questions"]
    assert (vsic["field"], vsic["label"], vsic["message"]) == ("vsic_code", *expected["vsic_code"])
    unknown = anon_client.post(URL, json=registration(commune_code="99999"), headers=headers)
    [commune] = unknown.get_json()["error"]["details"]["questions"]
    assert commune["label"] == expected["commune_code"][0] and "99999" in commune["message"]
