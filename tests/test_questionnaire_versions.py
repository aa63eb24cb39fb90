"""A questionnaire moving to a new version: installations made with the old one keep working, their
open round takes the new rules, and a fresh demo uses the current version."""
from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from surveyapp.demo.generator import generate_demo_census
from surveyapp.models import AuditEvent, QuestionnaireVersion, SurveyRecord, SurveyRound
from surveyapp.questionnaire.registry import registry
from surveyapp.survey.services import definition_for, save_record

from .test_survey import minimal_submission, post_record


def current_versions(app) -> dict[str, str]:
    with app.app_context():
        return {definition.form_id: definition.version for definition in registry().definitions()}


def made_with_version_1(session) -> None:
    """The state `make run` left before version 2: demo rounds and records on version 1, nothing stored."""
    generate_demo_census(session, "94", 30, seed=4)
    session.execute(text("UPDATE survey_round SET questionnaire_version = '1'"))
    session.execute(text("UPDATE survey_record SET questionnaire_version = '1'"))
    session.commit()


def test_the_demo_uses_the_current_version_of_each_questionnaire(app, session):
    generate_demo_census(session, "94", 30, seed=4)
    versions = current_versions(app)
    rounds = session.exec(select(SurveyRound)).all()
    assert {(r.questionnaire_id, r.questionnaire_version) for r in rounds} == set(versions.items())
    used = {(r.questionnaire_id, r.questionnaire_version) for r in session.exec(select(SurveyRecord))}
    assert used <= set(versions.items())


def test_records_of_version_1_that_never_stored_it_still_display(app, client, session):
    made_with_version_1(session)
    record = session.exec(select(SurveyRecord).order_by(SurveyRecord.id)).first()
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), record.questionnaire_id, "1")
    assert definition.version == "1" and definition.source_name.startswith("forms/previous/")
    page = client.get(f"/review/records/{record.uuid}")
    assert page.status_code == 200 and record.answers["establishment_name"] in page.text


def test_setup_moves_the_open_round_to_the_new_version_and_keeps_what_records_used(app, runner, client, session,
                                                                                   add_establishment):
    made_with_version_1(session)
    establishment = add_establishment(name="Cơ sở Nháp", commune_code="31498")
    survey_round = session.exec(select(SurveyRound).where(SurveyRound.code == "2019")).one()
    with app.test_request_context("/"):
        version_1 = definition_for(session, registry(), "cnnt-2019", "1")
        draft = save_record(session, establishment=establishment, survey_round=survey_round, definition=version_1,
                            raw_answers={"visit_type": "new", "workers_total": 3, "workers_female": -5},
                            submit=False, actor_id=None, actor_role="admin").record
    session.commit()

    result = runner.invoke(args=["setup", "--demo-establishments", "0"])
    assert result.exit_code == 0, result.output
    assert "Round 2019 now uses cnnt-2019 version 2 (was 1)" in result.output
    session.expire_all()
    rounds = {r.code: r.questionnaire_version for r in session.exec(select(SurveyRound))}
    assert rounds == {"2018": "1", "2019": "2"}  # a closed round keeps its version
    assert session.get(SurveyRecord, draft.id).questionnaire_version == "1"  # records keep theirs
    assert session.get(SurveyRecord, draft.id).answers["workers_female"] == -5
    stored = {(q.form_id, q.version) for q in session.exec(select(QuestionnaireVersion))}
    assert stored == {("cnnt-2018", "1"), ("cnnt-2019", "1")}  # every version in use is now in the database
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "questionnaire_version")).one()
    assert (event.entity_id, event.before, event.after) == ("2019", {"version": "1"}, {"version": "2"})

    again = runner.invoke(args=["setup", "--demo-establishments", "0"])
    assert "now uses" not in again.output

    # New records in the open round get version 2's rules; the draft in progress keeps version 1 (issue 16).
    opened = client.get(f"/survey/establishments/{establishment.code}/record?round=2019")
    assert opened.status_code == 200 and "phiên bản 1" in opened.text
    saved = post_record(client, establishment.code, minimal_submission(), "draft", draft.uuid)
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(SurveyRecord, draft.id).questionnaire_version == "1"
    other = add_establishment(name="Cơ sở Mới", commune_code="31498")
    assert "phiên bản 2" in client.get(f"/survey/establishments/{other.code}/record?round=2019").text
    refused = post_record(client, other.code, minimal_submission(workers_female="-5"), "submit")
    assert refused.status_code == 422 and "Số lao động nữ phải từ 0 đến tổng số lao động" in refused.text
