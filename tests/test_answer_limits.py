"""Numbers the database cannot hold: every number answer is finite and fits the column it lands in.

Through every channel (web form, JSON API, spreadsheet import) answers pass `check_answers`, so the
limits are checked there, on drafts too: a draft is stored as JSON, where NaN and Infinity are invalid.
"""
from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token
from surveyapp.models import Establishment, SurveyRecord
from surveyapp.questionnaire.answers import MAX_NUMBER, check_answers, number_limit, rule_violations
from surveyapp.questionnaire.definition import load_definition

from .test_survey import minimal_submission, post_record

NUMBERS = """
| settings |
|  | form_id | version | form_title | form_title_en |
|  | numbers | 1 | Số | Numbers |

| survey |
|  | type | name | label::vi | label::en | unit | establishment_field |
|  | integer | workers_total | Lao động | Workers | | workers |
|  | decimal | capital | Vốn (triệu đồng) | Capital (million VND) | million_vnd | capital_vnd |
|  | integer | year | Năm | Year | | year_started |
|  | decimal | output | Sản lượng | Output | | |
|  | integer | machines | Máy | Machines | | |
|  | geopoint | location | Vị trí | Location | | location |

| choices |
|  | list_name | name | label::vi | label::en |
|  | yes_no | yes | Có | Yes |
"""
INT32, INT64 = 2**31 - 1, 2**63 - 1


@pytest.fixture(scope="module")
def definition():
    return load_definition(NUMBERS, "forms/numbers.md")


def test_each_number_has_the_limit_of_its_column(definition):
    limits = {question.name: number_limit(question) for question in definition.walk() if question.kind != "geopoint"}
    assert limits == {"workers_total": INT32, "capital": INT64 // 1_000_000, "year": INT32,
                      "output": MAX_NUMBER, "machines": MAX_NUMBER}


@pytest.mark.parametrize(("name", "raw"), [
    ("capital", "9" * 400), ("capital", 1e308), ("capital", float("inf")), ("capital", float("nan")),
    ("capital", "-Infinity"), ("capital", INT64 // 1_000_000 + 1), ("workers_total", 10**12),
    ("workers_total", INT32 + 1), ("workers_total", -INT32 - 2), ("workers_total", 1e300),
    ("workers_total", "9" * 5_000), ("year", "1.000.000.000.000"), ("output", "1e16"), ("output", 10**16),
    ("output", "9" * 10_000), ("machines", 10**16), ("location", {"lat": 9.6, "lon": 105.9, "accuracy": "inf"}),
    ("location", {"lat": "nan", "lon": 105.9}),
])
def test_numbers_no_column_can_hold_are_refused_even_in_a_draft(definition, name, raw):
    outcome = check_answers(definition, {name: raw}, submit=False)
    assert name in outcome.errors
    assert outcome.answers[name] is None
    json.dumps(outcome.answers, allow_nan=False)  # what is stored is valid JSON


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("workers_total", INT32, INT32), ("workers_total", "2.147.483.647", INT32), ("capital", 9_223_372_036_854,
                                                                              9_223_372_036_854),
    ("output", "1.000.000.000.000.000", MAX_NUMBER), ("output", -1e15, -1e15), ("machines", "0", 0),
])
def test_numbers_at_the_limit_are_kept(definition, name, raw, expected):
    outcome = check_answers(definition, {name: raw}, submit=False)
    assert outcome.errors == {} and outcome.answers[name] == expected


def test_the_message_names_the_limit_in_the_language(app, definition):
    with app.test_request_context("/"):
        message = check_answers(definition, {"workers_total": 10**12}, submit=False, language="vi").errors
    assert "2.147.483.647" in message["workers_total"]


def test_stored_numbers_beyond_a_column_are_rule_violations(definition):
    violations = rule_violations(definition, {"workers_total": 10**12, "output": 5})
    assert [violation.key for violation in violations] == ["workers_total"]


@pytest.fixture
def phone(session, round_2019, add_establishment):
    establishment = add_establishment(name="Cơ sở Bánh Pía", commune_code="31498")
    _row, secret = create_token(session, user_by_username(session, "enumerator"), "phone", actor_id=None)
    session.commit()
    return establishment, {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


@pytest.mark.parametrize("body_answers", [
    '{"capital_million_vnd": "' + "9" * 400 + '"}',
    '{"capital_million_vnd": ' + "9" * 400 + "}",
    '{"capital_million_vnd": 1e308}',
    '{"capital_million_vnd": Infinity}',
    '{"capital_million_vnd": NaN}',
    '{"workers_total": 1000000000000}',
])
def test_api_refuses_numbers_no_column_can_hold(app, session, phone, body_answers):
    establishment, headers = phone
    body = (f'{{"uuid": "{uuid.uuid4()}", "establishment_code": "{establishment.code}", "round": "2019", '
            f'"status": "draft", "answers": {body_answers}}}')
    response = app.test_client().post("/api/v1/records", data=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.get_json()["error"]["code"] == "invalid_answers"
    assert session.exec(select(SurveyRecord)).all() == []


def test_web_form_refuses_a_trillion_workers_and_approval_never_sees_it(client_as, session, round_2019,
                                                                         add_establishment):
    establishment = add_establishment(name="Cơ sở Bánh Pía", commune_code="31498", workers=4)
    response = post_record(client_as("enumerator"), establishment.code,
                           minimal_submission(workers_total="1.000.000.000.000"), "submit")
    assert response.status_code == 422
    assert session.exec(select(SurveyRecord)).all() == []
    session.expire_all()
    assert session.get(Establishment, establishment.id).workers == 4


def test_a_stored_record_too_large_for_the_registry_is_not_stuck(app, client_as, session, round_2019,
                                                                 add_establishment):
    """Stored before the limits: approval refuses it with a message (no 500), and it can be sent back."""
    establishment = add_establishment(name="Cơ sở Bánh Pía", commune_code="31498", workers=4)
    enumerator, supervisor = client_as("enumerator"), client_as("supervisor")
    assert post_record(enumerator, establishment.code, minimal_submission(), "submit").status_code == 302
    record = session.exec(select(SurveyRecord)).one()
    record.answers = {**record.answers, "workers_total": 10**12, "capital_million_vnd": 10**13}
    session.add(record)
    session.commit()

    refused = supervisor.post(f"/review/records/{record.uuid}/approve", follow_redirects=True)
    assert refused.status_code == 200
    assert "workers_total, capital_million_vnd" in refused.text
    session.expire_all()
    assert session.get(SurveyRecord, record.id).status == "submitted"
    assert session.get(Establishment, establishment.id).workers == 4
    supervisor.post(f"/review/records/{record.uuid}/return", data={"comment": "Số lao động quá lớn."})
    session.expire_all()
    assert session.get(SurveyRecord, record.id).status == "returned"
