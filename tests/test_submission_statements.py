"""The write path stays lean (issue 19): the SQL statements one API submission costs, counted on the app's engine."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import select

from surveyapp.models import AuditEvent, Establishment, SurveyRecord

from .test_api import bearer, body, token  # noqa: F401 - the token fixture

#: A first record: the token and its user, the open rounds, the establishment, the assignment, the record's UUID
#: or the current version, the INSERT of the record, its audit event, the establishment's latest round and status.
FIRST_RECORD_STATEMENTS = 8
#: A new version also retires the version it replaces.
NEW_VERSION_STATEMENTS = 9


@pytest.fixture
def establishments(round_2019, add_establishment):
    return [add_establishment(name=f"Cơ sở {n}", commune_code="31498", address="Phường 5") for n in range(4)]


@contextmanager
def counted(app):
    statements: list[str] = []

    def note(_connection, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    engine = app.extensions["surveyapp.engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_first_record_and_a_new_version_cost_a_bounded_number_of_statements(app, anon_client, session, token,
                                                                             establishments):
    *warm_up, first, other = establishments
    # The first requests note the token's use and store the questionnaire version (then find it stored):
    # once, not per record.
    for establishment in warm_up:
        assert anon_client.post("/api/v1/records", json=body(establishment), headers=bearer(token)).status_code == 201

    with counted(app) as statements:
        sent = body(first)
        assert anon_client.post("/api/v1/records", json=sent, headers=bearer(token)).status_code == 201
    assert len(statements) <= FIRST_RECORD_STATEMENTS, "\n".join(statements)

    with counted(app) as statements:
        edit = body(first, supersedes=sent["uuid"])
        edit["answers"]["workers_total"] = "7"
        response = anon_client.post("/api/v1/records", json=edit, headers=bearer(token))
        assert response.status_code == 201
    assert len(statements) <= NEW_VERSION_STATEMENTS, "\n".join(statements)

    # Everything the leaner path skips still happens: the versions, the audit trail, the establishment's state.
    session.expire_all()
    versions = session.exec(select(SurveyRecord).where(SurveyRecord.establishment_id == first.id)
                            .order_by(SurveyRecord.version_number)).all()
    assert [(v.uuid, v.version_number, v.is_current, v.supersedes) for v in versions] == [
        (sent["uuid"], 1, False, None), (edit["uuid"], 2, True, sent["uuid"])]
    assert versions[1].answers["workers_total"] == 7 and versions[1].submitted_at is not None
    assert response.json["version_number"] == 2 and response.json["supersedes"] == sent["uuid"]
    events = session.exec(select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.actor_id)
                          .where(AuditEvent.entity_type == "survey_record").order_by(AuditEvent.id)).all()
    enumerator_id = versions[0].enumerator_id
    assert [tuple(e) for e in events][-2:] == [("create", sent["uuid"], enumerator_id),
                                               ("new_version", edit["uuid"], enumerator_id)]
    state = session.get(Establishment, first.id)
    assert (state.latest_round_code, state.latest_record_status) == ("2019", "submitted")
    untouched = session.get(Establishment, other.id)
    assert (untouched.latest_round_code, untouched.latest_record_status) == (None, None)


def test_the_province_is_read_for_a_gps_point_only_and_still_judges_it(app, anon_client, session, token,
                                                                       establishments):
    first, second, third, _other = establishments
    assert anon_client.post("/api/v1/records", json=body(first), headers=bearer(token)).status_code == 201

    with counted(app) as statements:
        hanoi = body(second)
        hanoi["answers"]["location"] = {"lat": 21.03, "lon": 105.85, "accuracy": 5}
        refused = anon_client.post("/api/v1/records", json=hanoi, headers=bearer(token))
    assert refused.status_code == 422
    assert "ngoài Tỉnh Sóc Trăng" in refused.json["error"]["details"]["errors"]["location"]  # Vietnamese first
    assert sum("FROM admin_unit" in statement for statement in statements) == 1

    with counted(app) as statements:
        assert anon_client.post("/api/v1/records", json=body(third), headers=bearer(token)).status_code == 201
    assert not any("FROM admin_unit" in statement for statement in statements)
    session.expire_all()
    assert session.get(Establishment, second.id).latest_round_code is None  # nothing written for the refused one
