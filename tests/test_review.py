"""The review loop: submit → return with a comment → fix → resubmit → approve → current values."""
from __future__ import annotations

import pytest
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.models import AuditEvent, Establishment, SurveyRecord

from .test_survey import minimal_submission, post_record


@pytest.fixture
def assigned(round_2019, add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út", commune_code="31498",
                             workers=4, revenue_vnd=900_000_000)


def current(session) -> SurveyRecord:
    session.expire_all()
    return session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)).one()  # noqa: E712


def test_the_whole_review_loop(client_as, session, assigned):
    enumerator, supervisor = client_as("enumerator"), client_as("supervisor")
    assert post_record(enumerator, assigned.code, minimal_submission(workers_total="6"), "submit").status_code == 302
    record = current(session)
    assert record.enumerator_id == user_by_username(session, "enumerator").id
    queue = supervisor.get("/review").text
    assert assigned.name in queue

    empty = supervisor.post(f"/review/records/{record.uuid}/return", data={"comment": "  "})
    assert empty.status_code == 302 and current(session).status == "submitted"
    supervisor.post(f"/review/records/{record.uuid}/return", data={"comment": "Kiểm tra lại số lao động nữ."})
    assert current(session).status == "returned"

    page = enumerator.get("/survey").text
    assert "Kiểm tra lại số lao động nữ." in page and assigned.name in page
    form = enumerator.get(f"/survey/establishments/{assigned.code}/record?round=2019").text
    assert 'id="review-comment"' in form and "Kiểm tra lại số lao động nữ." in form

    fixed = post_record(enumerator, assigned.code, minimal_submission(workers_total="7"), "submit", record.uuid)
    assert fixed.status_code == 302
    second = current(session)
    assert (second.version_number, second.status, second.supersedes) == (2, "submitted", record.uuid)

    approved = supervisor.post(f"/review/records/{second.uuid}/approve", data={"comment": "Đạt"})
    assert approved.status_code == 302
    record = current(session)
    assert record.status == "approved" and record.approved_at is not None
    establishment = session.get(Establishment, assigned.id)
    assert establishment.workers == 7 and establishment.revenue_vnd == 1_200_000_000
    assert establishment.latest_record_status == "approved"
    trail = [(e.action, e.entity_type) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
             if e.entity_type in ("survey_record", "establishment")]
    assert trail[-5:] == [("create", "survey_record"), ("return", "survey_record"), ("new_version", "survey_record"),
                          ("approve", "survey_record"), ("apply_record", "establishment")]
    who = session.exec(select(AuditEvent).where(AuditEvent.action == "approve")).one()
    assert who.actor_id == user_by_username(session, "supervisor").id


def test_an_approved_record_is_final_for_enumerators(client_as, client, session, assigned):
    enumerator, supervisor = client_as("enumerator"), client_as("supervisor")
    post_record(enumerator, assigned.code, minimal_submission(), "submit")
    uuid = current(session).uuid
    supervisor.post(f"/review/records/{uuid}/approve")
    page = enumerator.get(f"/survey/establishments/{assigned.code}/record?round=2019")
    assert 'id="record-locked"' in page.text and 'value="submit"' not in page.text
    refused = post_record(enumerator, assigned.code, minimal_submission(workers_total="9"), "submit", uuid)
    assert refused.status_code == 403
    assert current(session).uuid == uuid
    # An administrator may still correct it: a new version, back in the review queue.
    assert post_record(client, assigned.code, minimal_submission(workers_total="9"), "submit", uuid).status_code == 302
    assert (current(session).version_number, current(session).status) == (2, "submitted")


def test_only_submitted_current_records_can_be_reviewed(client_as, session, assigned):
    enumerator, supervisor = client_as("enumerator"), client_as("supervisor")
    post_record(enumerator, assigned.code, minimal_submission(), "draft")
    draft = current(session)
    response = supervisor.post(f"/review/records/{draft.uuid}/approve")
    assert response.status_code == 302 and current(session).status == "draft"
    assert supervisor.get("/review?status=bogus").status_code == 400
    assert supervisor.get("/review/records/not-a-uuid").status_code == 404


def test_review_page_shows_the_answers(client_as, session, assigned):
    post_record(client_as("enumerator"), assigned.code, minimal_submission(), "submit")
    page = client_as("supervisor").get(f"/review/records/{current(session).uuid}").text
    assert "Tổng số lao động" in page and "1.200 triệu đồng" in page and 'id="approve"' in page
