"""The enumerator's path, drafts and submissions, edit history, and applying records."""
from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from surveyapp.models import AuditEvent, Establishment, QuestionnaireVersion, SurveyRecord, SurveyRound
from surveyapp.questionnaire.registry import registry
from surveyapp.survey.services import (
    RecordConflict, apply_record_to_establishment, definition_for, save_record,
)

FORMS = Path(__file__).parents[1] / "forms"


@pytest.fixture
def establishment(add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út", commune_code="31498",
                             vsic_code="1071", legal_form="household_business", address="Phường 5",
                             workers=4, revenue_vnd=900_000_000)


def minimal_submission(**changes) -> dict:
    """A short 2019 update that passes every rule of cnnt-2019."""
    values = {
        "visit_type": "update", "operating_status": "active", "establishment_name": "Cơ sở Bánh Pía Tân Huê Viên",
        "owner_name": "Đặng Thị Út", "legal_form": "household_business", "address": "Số 12, Phường 5",
        "workers_total": "6", "workers_female": "4", "revenue_million_vnd": "1.200", "capital_million_vnd": "300",
        "had_support": "no", "needs": ["training"],
    }
    values.update(changes)
    return values


def post_record(client, code, values: dict, action: str, base_uuid: str = ""):
    data = {"action": action, "base_uuid": base_uuid}
    for name, value in values.items():
        data[name] = value
    return client.post(f"/survey/establishments/{code}/record?round=2019", data=data)


def test_choose_a_commune_then_find_ignoring_diacritics(client, round_2019, establishment, add_establishment):
    add_establishment(name="HTX Dệt chiếu", commune_code="31498")
    add_establishment(name="Cơ sở Bánh Pía khác xã", commune_code="31501")
    page = client.get("/survey")
    assert page.status_code == 200 and 'data-district="941"' in page.text
    assert client.get("/survey?commune=31498&round=2019").headers["Location"].startswith("/survey/communes/31498")
    found = client.get("/survey/communes/31498?round=2019&q=banh+pia")
    assert "Cơ sở Bánh Pía Tân Huê Viên" in found.text
    assert "khác xã" not in found.text and "Dệt chiếu" not in found.text
    assert f"/survey/establishments/{establishment.code}/record?round=2019" in found.text
    assert client.get("/survey/communes/99999").status_code == 404


def test_register_a_new_establishment_keeps_values_on_error(client, session, round_2019):
    bad = client.post("/survey/communes/31498/register?round=2019",
                      data={"name": "Cơ sở Mắm Ba Khía", "owner": "Lý Văn Tài", "legal_form": "household",
                            "vsic_code": "12", "address": "Ấp Chợ", "phone": "123"})
    assert bad.status_code == 422
    assert 'value="Cơ sở Mắm Ba Khía"' in bad.text and 'value="Lý Văn Tài"' in bad.text
    assert "4 or 5 digits" in bad.text or "4 hoặc 5 chữ số" in bad.text
    assert session.exec(select(Establishment)).all() == []
    good = client.post("/survey/communes/31498/register?round=2019",
                       data={"name": "Cơ sở Mắm Ba Khía", "owner": "Lý Văn Tài", "legal_form": "household",
                             "vsic_code": "1020", "address": "Ấp Chợ", "phone": "0912345678"})
    assert good.status_code == 302
    created = session.exec(select(Establishment)).one()
    assert created.code == "94-941-000001" and created.sector == "C10"
    assert good.headers["Location"] == f"/survey/establishments/{created.code}/record?round=2019"


def test_new_record_is_prefilled_from_the_registry(client, round_2019, establishment):
    page = client.get(f"/survey/establishments/{establishment.code}/record?round=2019")
    assert page.status_code == 200
    assert 'value="Cơ sở Bánh Pía Tân Huê Viên"' in page.text
    assert re.search(r'<input checked[^>]*name="visit_type"[^>]*value="new"', page.text)  # no earlier record
    assert re.search(r'<input[^>]*name="revenue_million_vnd"[^>]*value="900"', page.text)


def test_draft_then_submit_with_errors_then_fixed(client, session, round_2019, establishment):
    draft = post_record(client, establishment.code, {"visit_type": "update", "workers_total": "6",
                                                     "workers_female": "9"}, "draft")
    assert draft.status_code == 302  # a draft does not enforce required fields or cross-field rules
    record = session.exec(select(SurveyRecord)).one()
    assert record.status == "draft" and record.answers["workers_female"] == 9
    assert record.questionnaire_id == "cnnt-2019" and record.questionnaire_version == "2"
    assert session.exec(select(QuestionnaireVersion)).one().form_id == "cnnt-2019"

    failing = post_record(client, establishment.code, minimal_submission(workers_female="9"), "submit", record.uuid)
    assert failing.status_code == 422
    text = failing.text
    assert 'id="error-summary"' in text
    assert "Số lao động nữ phải từ 0 đến tổng số lao động" in text
    assert 'value="9"' in text and 'value="Số 12, Phường 5"' in text  # everything typed comes back
    session.refresh(record)
    assert record.status == "draft"  # nothing written

    fixed = post_record(client, establishment.code, minimal_submission(), "submit", record.uuid)
    assert fixed.status_code == 302 and fixed.headers["Location"] == f"/establishments/{establishment.code}"
    session.refresh(record)
    assert record.status == "submitted" and record.submitted_at is not None
    assert record.answers["revenue_million_vnd"] == 1200 and record.version_number == 1
    page = client.get(f"/establishments/{establishment.code}").text
    assert f'id="record-{record.uuid}"' in page and "Đã gửi" in page


def test_editing_a_submitted_record_makes_a_new_version_with_a_diff(client, session, round_2019, establishment):
    post_record(client, establishment.code, minimal_submission(), "submit")
    first = session.exec(select(SurveyRecord)).one()
    again = post_record(client, establishment.code, minimal_submission(workers_total="8", needs=["training", "credit"]),
                        "submit", first.uuid)
    assert again.status_code == 302
    session.expire_all()
    versions = session.exec(select(SurveyRecord).order_by(SurveyRecord.version_number)).all()
    assert [(v.version_number, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[1].supersedes == first.uuid
    assert first.answers["workers_total"] == 6  # the old version is kept as it was
    page = client.get(f"/establishments/{establishment.code}").text
    changes = re.search(r'<table class="table table-sm table-borderless small mb-0 changes">(.*?)</table>', page, re.S).group(1)
    assert "Tổng số lao động" in changes and "<del>6</del>" in changes and "<ins>8</ins>" in changes
    actions = [e.action for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity_type == "survey_record").order_by(AuditEvent.id))]
    assert actions == ["create", "new_version"]


def test_a_stale_form_cannot_overwrite_a_newer_version(client, session, round_2019, establishment):
    post_record(client, establishment.code, minimal_submission(), "submit")
    first = session.exec(select(SurveyRecord)).one()
    post_record(client, establishment.code, minimal_submission(workers_total="7"), "submit", first.uuid)
    stale = post_record(client, establishment.code, minimal_submission(workers_total="9"), "submit", first.uuid)
    assert stale.status_code == 409 and 'value="9"' in stale.text
    assert len(session.exec(select(SurveyRecord)).all()) == 2


def test_gps_outside_the_province_is_refused(client, session, round_2019, establishment):
    hanoi = minimal_submission(**{"location-lat": "21,0285", "location-lon": "105,8542", "location-accuracy": "5"})
    refused = post_record(client, establishment.code, hanoi, "submit")
    assert refused.status_code == 422 and "Tỉnh Sóc Trăng" in refused.text
    inside = minimal_submission(**{"location-lat": "9,6025", "location-lon": "105,9739", "location-accuracy": "5"})
    assert post_record(client, establishment.code, inside, "submit").status_code == 302
    record = session.exec(select(SurveyRecord)).one()
    assert (record.lat, record.lon, record.gps_accuracy_m) == (9.6025, 105.9739, 5.0)


def test_skip_logic_on_the_server_drops_hidden_answers(client, session, round_2019, establishment):
    closed = minimal_submission(operating_status="closed", workers_total="abc", workers_female="")
    assert post_record(client, establishment.code, closed, "submit").status_code == 302
    record = session.exec(select(SurveyRecord)).one()
    assert record.answers["workers_total"] is None  # not asked of a closed establishment: stored empty


def test_rows_can_be_added_without_javascript(client, round_2019, establishment):
    page = post_record(client, establishment.code, minimal_submission(had_support="yes"), "add:support_received")
    assert page.status_code == 200
    assert 'name="support_received-0-support_year"' in page.text


def test_csrf_is_enforced_and_values_survive(app, client, round_2019, establishment):
    app.config["WTF_CSRF_ENABLED"] = True
    response = post_record(client, establishment.code, minimal_submission(owner_name="Người gửi lại"), "submit")
    assert response.status_code == 400
    assert 'value="Người gửi lại"' in response.text


def test_apply_an_approved_record_to_the_establishment(app, session, round_2019, establishment):
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        result = save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                             raw_answers=minimal_submission(**{"vsic_code": "1079", "location-lat": "9.61",
                                                               "location-lon": "105.97"}),
                             submit=True, actor_id=None, actor_role="admin")
        record = result.record
        with pytest.raises(ValueError):
            apply_record_to_establishment(session, record, definition, actor_id=None)
        record.status = "approved"
        changes = apply_record_to_establishment(session, record, definition, actor_id=None)
        session.commit()
    assert changes["workers"] == (4, 6)
    assert changes["revenue_vnd"] == (900_000_000, 1_200_000_000)
    assert changes["address"] == ("Phường 5", "Số 12, Phường 5")
    session.refresh(establishment)
    assert establishment.workers == 6 and establishment.version == 2
    assert "so 12, phuong 5" in establishment.search_text
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "apply_record")).one()
    assert event.before["workers"] == 4 and event.after["workers"] == 6


def test_old_records_display_after_the_definition_changes(tmp_path, databases, template_url):
    """A record filled with one version still shows its answers (and diffs) once forms/ holds the next."""
    from surveyapp.db import session_scope

    from .conftest import build_app, dispose, login

    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(FORMS / "cnnt-2019.md", forms / "cnnt-2019.md")
    url = databases.copy(template_url)
    app = build_app(url, FORMS_DIR=str(forms))
    client = login(app.test_client(), "admin")
    try:
        with app.app_context(), session_scope(app) as session:
            session.add(SurveyRound(code="2019", title="2019", questionnaire_id="cnnt-2019",
                                    questionnaire_version="2", is_open=True))
            from surveyapp.establishments.services import register_establishment
            register_establishment(session, name="Cơ sở A", commune_code="31498", vsic_code="1071",
                                   legal_form="household")
        post_record(client, "94-941-000001", minimal_submission(), "submit")
        post_record(client, "94-941-000001", minimal_submission(workers_total="9"), "submit",
                    _current_uuid(app))
        text = (forms / "cnnt-2019.md").read_text(encoding="utf-8")
        text = text.replace("Tổng số lao động", "Tổng lao động (mới)").replace("| 2       |", "| 3       |", 1)
        (forms / "cnnt-2019.md").write_text(text, encoding="utf-8")
        with app.app_context(), session_scope(app) as session:
            assert registry().get("cnnt-2019").version == "3"
            survey_round = session.exec(select(SurveyRound)).one()
            survey_round.questionnaire_version = "3"
        page = client.get("/establishments/94-941-000001").text
        assert "Tổng số lao động" in page and "<ins>9</ins>" in page  # labels of version 2, from the stored copy
    finally:
        dispose(app)
        databases.drop(url)


def _current_uuid(app) -> str:
    from surveyapp.db import session_scope

    with app.app_context(), session_scope(app) as session:
        return session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)).one().uuid  # noqa: E712


def test_a_changed_file_with_the_same_version_is_refused(app, session, round_2019, establishment):
    from surveyapp.questionnaire.definition import DefinitionError, load_definition
    from surveyapp.survey.services import store_questionnaire_version

    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        store_questionnaire_version(session, definition)
        session.commit()
        changed = load_definition(definition.source_text.replace("Tổng số lao động", "Lao động"), "forms/x.md")
        with pytest.raises(DefinitionError, match="new version"):
            store_questionnaire_version(session, changed)


def test_unknown_establishment_and_no_round_2019(client, establishment):
    assert client.get("/survey/establishments/94-941-999999/record").status_code == 404
    response = client.get(f"/survey/establishments/{establishment.code}/record")
    assert response.status_code == 302  # no open round: back to the establishment with a message


def test_record_conflict_in_the_service(app, session, round_2019, establishment):
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                    raw_answers=minimal_submission(), submit=False, actor_id=None, actor_role="admin")
        with pytest.raises(RecordConflict):
            save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                        raw_answers=minimal_submission(), submit=False, actor_id=None, actor_role="admin", base_uuid=None)


def test_the_error_summary_names_each_question_in_order_with_a_link(client, round_2019, establishment):
    refused = post_record(client, establishment.code, minimal_submission(
        workers_total="", workers_female="9", owner_name=""), "submit")
    assert refused.status_code == 422
    summary = re.search(r'<div class="alert alert-danger" role="alert" id="error-summary".*?</ul>', refused.text, re.S)
    links = re.findall(r'<li><a href="#q-([^"]+)">([^<]+)</a></li>', summary.group(0))
    assert links == [
        ("owner_name", "Họ và tên chủ cơ sở hoặc người đại diện theo pháp luật: Câu này bắt buộc."),
        ("workers_total", "Tổng số lao động thường xuyên (người): Câu này bắt buộc."),
        ("workers_female", "Trong đó: lao động nữ (người): Số lao động nữ phải từ 0 đến tổng số lao động"),
    ]
    assert all(f'id="q-{field}"' in refused.text for field, _ in links)  # each link has its target
    assert "Câu này bắt buộc." in refused.text.split('id="q-workers_total"')[1].split('class="mb-3 question"')[0]


def test_the_page_carries_each_question_with_its_rules_and_messages_in_its_language(client, round_2019, establishment):
    page = client.get(f"/survey/establishments/{establishment.code}/record?round=2019")
    attribute = re.search(r'data-questions="([^"]*)"', page.text).group(1)
    questions = json.loads(html.unescape(attribute))
    assert questions["workers_female"]["label"] == "Trong đó: lao động nữ (người)"
    assert questions["workers_female"]["constraint_message"] == "Số lao động nữ phải từ 0 đến tổng số lao động"
    assert questions["workers_total"]["required"] == "Câu này bắt buộc."
    texts = json.loads(html.unescape(re.search(r'data-validation-texts="([^"]*)"', page.text).group(1)))
    assert texts["summary"] == "Phiếu chưa được lưu. Vui lòng sửa các lỗi sau:"
    assert "/static/js/validation.js" in page.text
    client.set_cookie("lang", "en")
    english = client.get(f"/survey/establishments/{establishment.code}/record?round=2019")
    questions_en = json.loads(html.unescape(re.search(r'data-questions="([^"]*)"', english.text).group(1)))
    assert questions_en["workers_female"]["constraint_message"] == "Female workers must be between 0 and total workers"
