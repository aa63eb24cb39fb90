"""An approved record is final except for an admin: one rule in `save_record`, mapped by every channel."""
from __future__ import annotations

import uuid

import pytest
from flask_babel import force_locale
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.imports import services as imports
from surveyapp.models import SurveyRecord
from surveyapp.questionnaire.registry import registry
from surveyapp.survey.services import RecordApproved, definition_for, save_record

from .test_api import bearer, body, token  # noqa: F401 (a fixture)
from .test_imports import csv_file
from .test_survey import minimal_submission, post_record


@pytest.fixture
def approved(app, session, round_2019, add_establishment):
    """An establishment of Phường 5 whose 2019 record an enumerator submitted and a supervisor approved."""
    establishment = add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út", commune_code="31498",
                                      workers=4, revenue_vnd=900_000_000)
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        result = save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                             raw_answers=minimal_submission(), submit=True,
                             actor_id=user_by_username(session, "enumerator").id, actor_role="enumerator")
    result.record.status = "approved"
    session.commit()
    return establishment, result.record


def versions(session, establishment) -> list[tuple[int, str, bool]]:
    session.expire_all()
    return [(r.version_number, r.status, r.is_current) for r in session.exec(
        select(SurveyRecord).where(SurveyRecord.establishment_id == establishment.id)
        .order_by(SurveyRecord.version_number))]


def test_the_service_refuses_an_edit_of_an_approved_record_except_for_an_admin(app, session, round_2019, approved):
    establishment, record = approved
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        for role in ("enumerator", "supervisor", "analyst"):
            with pytest.raises(RecordApproved):
                save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                            raw_answers=minimal_submission(workers_total="9"), submit=True, actor_id=None,
                            actor_role=role, base_uuid=record.uuid)
        # Refused before the answers are judged: an invalid edit gets the same answer.
        with pytest.raises(RecordApproved):
            save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                        raw_answers=minimal_submission(workers_total="many"), submit=True, actor_id=None,
                        actor_role="enumerator", base_uuid=record.uuid)
        session.rollback()
        assert versions(session, establishment) == [(1, "approved", True)]
        result = save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                             raw_answers=minimal_submission(workers_total="9"), submit=True, actor_id=None,
                             actor_role="admin", base_uuid=record.uuid)
    assert result.ok
    session.commit()
    assert versions(session, establishment) == [(1, "approved", False), (2, "submitted", True)]


def test_the_web_form_refuses_an_enumerator(client_as, session, approved):
    establishment, record = approved
    refused = post_record(client_as("enumerator"), establishment.code, minimal_submission(workers_total="9"),
                          "submit", record.uuid)
    assert refused.status_code == 403
    assert ("This record is approved and can no longer be changed." in refused.text
            or "Phiếu này đã được duyệt" in refused.text)
    assert versions(session, establishment) == [(1, "approved", True)]


def test_the_api_refuses_an_enumerator_with_its_error_code(anon_client, session, approved, token):
    establishment, record = approved
    refused = anon_client.post("/api/v1/records", json=body(establishment, supersedes=record.uuid),
                               headers=bearer(token))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "record_approved"
    assert versions(session, establishment) == [(1, "approved", True)]


def test_an_import_by_anyone_but_an_admin_names_the_row(app, session, tmp_path, approved):
    establishment, _record = approved
    path = csv_file(tmp_path, [[establishment.code, establishment.name, "Đặng Thị Út", "31498", "1071",
                                "household_business", "", "", "9", "900000000"]])
    data = path.read_bytes()
    with app.app_context(), force_locale("en"):
        plan = imports.check_file(session, data, path.name, province_code="94", round_code="2019")
        assert plan.ok and plan.record_actions == {2: "new_version"}
        with pytest.raises(imports.ImportAborted) as refused:
            imports.write_plan(session, plan, data, actor_id=None, actor_role="supervisor")
    assert [(error.row, error.message) for error in refused.value.errors] == [
        (2, "Round 2019: the record is approved and only an administrator may change it.")]
    session.rollback()
    assert versions(session, establishment) == [(1, "approved", True)]
    with app.app_context(), force_locale("en"):
        plan = imports.check_file(session, data, path.name, province_code="94", round_code="2019")
        imports.write_plan(session, plan, data, actor_id=None)  # an admin's page or the operator's CLI
    session.commit()
    assert versions(session, establishment) == [(1, "approved", False), (2, "approved", True)]


def test_a_record_never_approved_is_saved_for_every_role(app, session, round_2019, add_establishment):
    establishment = add_establishment(name="Mới", commune_code="31498")
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        result = save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                             raw_answers=minimal_submission(), submit=False, actor_id=None, actor_role="enumerator",
                             record_uuid=str(uuid.uuid4()))
    assert result.ok
