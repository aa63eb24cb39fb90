"""The access-control matrix: every route × every role and an anonymous visitor; row-level rules."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask import Flask
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token
from surveyapp.models import Assignment, SurveyRecord
from surveyapp.promotion.services import add_support, save_project
from surveyapp.questionnaire.registry import registry
from surveyapp.survey.services import definition_for, save_record

from .conftest import ACCOUNTS, build_app, dispose, login

ALL = {"admin", "supervisor", "enumerator", "analyst"}
PUBLIC = "public"
ADMIN = {"admin"}
CAPTURE = {"admin", "enumerator"}
REVIEW = {"admin", "supervisor"}
#: The decision for every endpoint. A route missing here fails the suite: decide, then add it.
EXPECTED = {
    "static": PUBLIC, "bootstrap.static": PUBLIC, "vendor.asset": PUBLIC, "accounts.switch_language": PUBLIC,
    "accounts.login": PUBLIC, "accounts.logout": ALL, "accounts.password": ALL,
    "home.index": ALL, "establishments.list_establishments": ALL, "establishments.show_establishment": ALL,
    "survey.choose_commune": CAPTURE, "survey.commune": CAPTURE, "survey.register": CAPTURE, "survey.record": CAPTURE,
    "review.queue": REVIEW, "review.show": REVIEW, "review.approve": REVIEW, "review.send_back": REVIEW,
    "admin.users": ADMIN, "admin.new_user": ADMIN, "admin.edit_user": ADMIN, "admin.reset_user_password": ADMIN,
    "admin.add_assignments": ADMIN, "admin.delete_assignment": ADMIN, "admin.rounds": ADMIN,
    "admin.toggle_round": ADMIN, "admin.audit": ADMIN, "admin.create_user_token": ADMIN,
    "admin.revoke_user_token": ADMIN, "admin.questionnaires": ADMIN, "admin.upload_questionnaire": ADMIN,
    "admin.questionnaire_candidate": ADMIN, "admin.questionnaire_candidate_preview": ADMIN,
    "admin.questionnaire_preview": ADMIN, "admin.publish_questionnaire": ADMIN, "admin.attach_questionnaire": ADMIN,
    "admin.download_questionnaire": ADMIN, "admin.download_xform": ADMIN, "accounts.tokens": ALL, "accounts.revoke_own_token": ALL,
    "api.openapi": PUBLIC, "api.session_info": ALL, "api.assignments": ALL, "api.establishments": ALL,
    "api.questionnaire": ALL, "api.get_record": ALL, "api.post_record": CAPTURE,
    "api.register_establishment": CAPTURE, "api.post_photo": CAPTURE,
    "photos.photo": ALL, "photos.thumbnail": ALL,
    "offline.service_worker": PUBLIC, "offline.manifest": PUBLIC, "offline.offline_form": CAPTURE,
    "offline.outbox": CAPTURE,
    "duplicates.candidates": REVIEW, "duplicates.compare": REVIEW, "duplicates.merge_pair": REVIEW,
    "duplicates.not_duplicate": REVIEW, "duplicates.merges": REVIEW, "duplicates.revert": ADMIN,
    "coverage.coverage": {"admin", "supervisor", "analyst"},
    "dataquality.index": {"admin", "supervisor", "analyst"}, "dataquality.answers": {"admin", "supervisor", "analyst"},
    "dataquality.answers_csv": {"admin", "supervisor", "analyst"},
    "promotion.projects": ALL, "promotion.project": ALL, "promotion.report": ALL,
    "printing.blank_questionnaire": ALL, "printing.filled_record": ALL,
    # OpenRosa: open to the access check, each request proves itself with Digest or Basic (never the cookie).
    "openrosa.form_list": PUBLIC, "openrosa.form_xml": PUBLIC, "openrosa.manifest": PUBLIC,
    "openrosa.establishments_media": PUBLIC, "openrosa.submission": PUBLIC,
    "openrosa.collect_settings": CAPTURE, "openrosa.new_app_password": CAPTURE,
    "openrosa.revoke_own_app_password": CAPTURE,
}
#: Decisions for the routes of maps and boundaries.
MAPS: dict = {
    "geo.district_map": ALL, "geo.download_district_map": ALL, "geo.establishment_popup": ALL, "geo.view_points": ALL,
    "geo.gps_mismatches": ALL, "geo.recheck_gps": ADMIN, "geo.boundaries": ADMIN,
}
#: Decisions for the routes of exports, imports and reports.
EXPORTS: dict = {
    "exports.establishments": ALL, "exports.photos": ALL, "reports.index": ALL, "reports.download": ALL,
    "reports.panel_page": ALL, "reports.effect_page": ALL,
    "imports.upload": ADMIN, "imports.confirm": ADMIN, "imports.problems": ADMIN,
}
#: URL values of those routes (an unknown upload token: the admin gets 404, the others 403).
EXPORT_SAMPLES = {"fmt": "csv", "table": "legal_forms", "token": "0" * 32}
#: The promotion project of `world`.
PROJECT = "KC-2019-01"
EXPECTED.update(MAPS)
EXPECTED.update(EXPORTS)


@pytest.fixture
def world(app, session, round_2019, add_establishment):
    """The round_2019 assignments, a submitted record in Phường 5 (enumerator) and Phường 7 (enumerator2), and a
    promotion project that supported both establishments."""
    survey_round = round_2019
    mine = add_establishment(name="Cơ sở của A", commune_code="31498")
    theirs = add_establishment(name="Cơ sở của B", commune_code="31501")
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        records = {}
        for establishment, username in ((mine, "enumerator"), (theirs, "enumerator2")):
            result = save_record(session, establishment=establishment, survey_round=survey_round,
                                 definition=definition, raw_answers={"visit_type": "new"}, submit=False,
                                 actor_id=user_by_username(session, username).id, actor_role="enumerator")
            result.record.status = "submitted"
            records[username] = result.record.uuid
    token, _secret = create_token(session, user_by_username(session, "analyst"), "phone", actor_id=None)
    save_project(session, code=PROJECT, title="Hỗ trợ máy móc", year=2019, level="local", activity="machinery",
                 state_support_vnd=200_000_000, beneficiary_contribution_vnd=300_000_000)
    for establishment in (mine, theirs):
        add_support(session, project_code=PROJECT, establishment_code=establishment.code,
                    state_support_vnd=100_000_000, beneficiary_contribution_vnd=150_000_000)
    session.commit()
    return {"round": survey_round, "mine": mine, "theirs": theirs, "records": records, "token_id": token.id}


def sample_values(session, world) -> dict:
    return {
        "filename": "css/app.css", "package": "leaflet", "code": world["mine"].code, "record_uuid": world["records"]["enumerator"],
        "user_id": user_by_username(session, "analyst").id,
        "assignment_id": session.exec(select(Assignment.id)).first(),
        "token_id": world["token_id"], "merge_id": 1, "form_id": "cnnt-2019", "file_name": "0" * 64 + ".jpg",
        "version": "2", "sha": "0" * 64,
    }


def build_url(app: Flask, rule, values: dict) -> str:
    arguments = {}
    for name in rule.arguments:
        if name == "code" and rule.endpoint == "accounts.switch_language":
            arguments[name] = "vi"
        elif name == "code" and rule.endpoint == "admin.toggle_round":
            arguments[name] = "2019"
        elif name == "code" and rule.endpoint == "promotion.project":
            arguments[name] = PROJECT
        elif name == "code" and rule.endpoint.startswith("survey.") and "communes" in rule.rule:
            arguments[name] = "31498"
        elif name == "filename" and rule.endpoint == "vendor.asset":
            arguments[name] = "leaflet.css"
        elif name == "filename" and rule.endpoint == "bootstrap.static":
            arguments[name] = "css/bootstrap.min.css"
        elif name in EXPORT_SAMPLES and rule.endpoint.split(".")[0] in ("exports", "reports", "imports"):
            arguments[name] = EXPORT_SAMPLES[name]
        else:
            arguments[name] = values[name]
    with app.test_request_context("/"):
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def visit(app, username: str | None, method: str, url: str):
    client = app.test_client() if username is None else login(app.test_client(), username)
    return client.open(url, method=method, query_string={"round": "2019"} if "?" not in url else None)


def test_every_route_has_a_decision(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED) == set(), "new routes need an access decision in EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "EXPECTED names routes that do not exist"


def test_access_matrix(app, session, world):
    values = sample_values(session, world)
    checked = 0
    for rule in app.url_map.iter_rules():
        url = build_url(app, rule, values)
        expected = EXPECTED[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for username in [None, *sorted(ALL)]:
                role = None if username is None else ACCOUNTS[username]
                response = visit(app, username, method, url)
                went_to_login = response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
                if rule.rule.startswith("/api/"):
                    went_to_login = response.status_code == 401  # the API answers JSON, not a redirect
                where = f"{method} {rule.rule} as {role or 'anonymous'}: {response.status_code}"
                if expected == PUBLIC or (role is not None and role in expected):
                    assert response.status_code != 403 and not went_to_login, where
                    assert response.status_code < 500, where
                elif role is None:
                    assert went_to_login, where
                else:
                    assert response.status_code == 403, where
                checked += 1
    assert checked >= 5 * 30


def test_a_route_without_a_decision_is_refused_to_everyone(databases, template_url):
    url = databases.copy(template_url)
    app = build_app(url)
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    try:
        assert login(app.test_client(), "admin").get("/forgotten").status_code == 403
        assert app.test_client().get("/forgotten").status_code == 403
    finally:
        dispose(app)
        databases.drop(url)


def test_enumerator_cannot_reach_another_enumerators_commune(app, client_as, world, session):
    other, other_uuid = world["theirs"], world["records"]["enumerator2"]
    enumerator = client_as("enumerator")
    assert enumerator.get(f"/establishments/{other.code}").status_code == 404
    assert enumerator.get(f"/survey/establishments/{other.code}/record?round=2019").status_code == 404
    before = session.exec(select(SurveyRecord).where(SurveyRecord.uuid == other_uuid)).one().answers
    posted = enumerator.post(f"/survey/establishments/{other.code}/record?round=2019",
                             data={"action": "draft", "base_uuid": other_uuid, "visit_type": "update"})
    assert posted.status_code == 404
    session.expire_all()
    assert session.exec(select(SurveyRecord).where(SurveyRecord.uuid == other_uuid)).one().answers == before
    assert enumerator.get("/survey/communes/31501?round=2019").status_code == 404
    assert enumerator.get("/survey/communes/31501/register?round=2019").status_code == 404
    assert enumerator.get(f"/review/records/{other_uuid}").status_code == 403
    assert enumerator.get(f"/establishments/{other.code}/records/{other_uuid}/print").status_code == 404
    listing = enumerator.get("/establishments").text
    assert world["mine"].code in listing and other.code not in listing
    assert enumerator.get("/establishments?commune=31501").text.count("/establishments/94-") == 0
    # Their own commune works.
    assert enumerator.get(f"/establishments/{world['mine'].code}").status_code == 200
    assert enumerator.get(f"/survey/establishments/{world['mine'].code}/record?round=2019").status_code == 200


ESTABLISHMENT_CODE = re.compile(r"94-\d{3}-\d{6}")


def establishment_codes_in(body: bytes) -> set[str]:
    """The establishment codes a response shows, whatever its format (HTML, JSON, CSV, GeoPackage, XLSX)."""
    if body[:4] == b"PK\x03\x04":  # XLSX: zipped XML
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return set(ESTABLISHMENT_CODE.findall(body.decode("latin-1")))


def test_no_page_shows_an_enumerator_establishments_outside_their_communes(app, session, world):
    """Every GET page, API and file an enumerator of Phường 5 may open, with real codes in its URL."""
    values = sample_values(session, world)
    enumerator = login(app.test_client(), "enumerator")
    mine, theirs = world["mine"].code, world["theirs"].code
    showing_mine, leaks = set(), []
    for rule in app.url_map.iter_rules():
        audience = EXPECTED[rule.endpoint]
        if "GET" not in rule.methods or not (audience == PUBLIC or "enumerator" in audience):
            continue
        url = build_url(app, rule, values)
        response = enumerator.get(url, query_string={"round": "2019"} if "?" not in url else None)
        codes = establishment_codes_in(response.data)
        if codes - {mine}:
            leaks.append(f"{url} ({response.status_code}) shows {sorted(codes - {mine})}")
        if mine in codes:
            showing_mine.add(rule.endpoint)
    assert leaks == []
    # The check saw real listings: each of these shows the enumerator's own establishment.
    assert {"establishments.list_establishments", "api.establishments", "promotion.project",
            "exports.establishments", "survey.commune"} <= showing_mine
    assert theirs not in enumerator.get(f"/promotion/projects/{PROJECT}").text
    assert theirs in login(app.test_client(), "admin").get(f"/promotion/projects/{PROJECT}").text


def test_supervisor_reviews_only_their_communes(client_as, world):
    supervisor = client_as("supervisor")
    queue = supervisor.get("/review").text
    assert world["mine"].name in queue and world["theirs"].name not in queue
    assert supervisor.get(f"/review/records/{world['records']['enumerator2']}").status_code == 404
    refused = supervisor.post(f"/review/records/{world['records']['enumerator2']}/approve")
    assert refused.status_code == 404


def test_post_without_csrf_token_is_refused(app, world, session):
    app.config["WTF_CSRF_ENABLED"] = True
    admin = login(app.test_client(), "admin")
    uuid = world["records"]["enumerator"]
    for url, data in [
        (f"/review/records/{uuid}/approve", {}),
        (f"/review/records/{uuid}/return", {"comment": "x"}),
        ("/logout", {}),
        ("/admin/users/new", {"username": "mallory", "role": "admin"}),
        ("/admin/rounds", {"code": "x", "title": "x", "questionnaire": "cnnt-2019@1"}),
        (f"/survey/establishments/{world['mine'].code}/record?round=2019", {"action": "submit", "visit_type": "new"}),
        ("/survey/communes/31498/register?round=2019", {"name": "X", "legal_form": "household", "vsic_code": "1071"}),
        ("/account/password", {"current": "admin-password", "new": "x" * 12, "confirm": "x" * 12}),
    ]:
        response = admin.post(url, data=data)
        assert response.status_code == 400, url
    session.expire_all()
    assert session.exec(select(SurveyRecord).where(SurveyRecord.uuid == uuid)).one().status == "submitted"
    assert user_by_username(session, "mallory") is None


def test_no_route_edits_or_deletes_the_audit_trail(app):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert [sorted(rule.methods - {"HEAD", "OPTIONS"}) for rule in audit_rules] == [["GET"]]
