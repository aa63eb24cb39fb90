"""The questionnaires' data rules: counts are never negative, money answers have a plausible ceiling,
and every channel (web form, JSON API, import) refuses what breaks them, in the user's language."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from surveyapp.models import Establishment, SurveyRecord
from surveyapp.questionnaire.definition import load_definition_file

from .test_api import bearer, token  # noqa: F401 - fixture
from .test_imports import csv_file, run_import, upload, uploads  # noqa: F401 - fixture
from .test_survey import establishment, minimal_submission, post_record  # noqa: F401 - fixture

FORMS = Path(__file__).parents[1] / "forms"
#: The ceilings in triệu đồng, as the forms state them (README of forms/ explains why).
MONEY_CEILINGS = {"capital_million_vnd": 200_000, "revenue_million_vnd": 500_000,
                  "product_value_million_vnd": 500_000, "support_state_million_vnd": 5_000,
                  "support_own_million_vnd": 50_000, "worker_income_million_vnd": 100}


def numeric_questions(name: str):
    definition = load_definition_file(FORMS / f"{name}.md")
    return [q for q in definition.walk() if q.kind in ("integer", "decimal")]


@pytest.mark.parametrize("name", ["cnnt-2018", "cnnt-2019"])
def test_every_count_has_a_lower_bound_and_every_money_answer_a_ceiling(name):
    from surveyapp.questionnaire.rules import lower_bound, upper_bound

    for question in numeric_questions(name):
        assert lower_bound(question.constraint) is not None, question.name
        assert question.constraint_message.get("vi") and question.constraint_message.get("en"), question.name
        if question.unit == "million_vnd":
            assert upper_bound(question.constraint) == MONEY_CEILINGS[question.name], question.name
            ceiling_vi = f"{MONEY_CEILINGS[question.name]:,}".replace(",", ".")
            ceiling_en = f"{MONEY_CEILINGS[question.name]:,}"
            assert ceiling_vi in question.constraint_message["vi"], question.name
            assert ceiling_en in question.constraint_message["en"], question.name
    assert set(MONEY_CEILINGS) == {q.name for q in numeric_questions(name) if q.unit == "million_vnd"}


@pytest.mark.parametrize("name", ["cnnt-2018", "cnnt-2019"])
def test_counts_are_never_negative_and_female_workers_keep_their_cross_field_rule(name):
    from surveyapp.questionnaire.answers import check_answers

    definition = load_definition_file(FORMS / f"{name}.md")
    base = {"visit_type": "new", "workers_total": 6}
    for count in ("workers_female", "workers_hired", "workers_family", "workers_trained", "workers_seasonal"):
        errors = check_answers(definition, base | {count: -5}, submit=True).errors
        assert count in errors, count
    assert "workers_female" in check_answers(definition, base | {"workers_female": 7}, submit=True).errors
    assert "workers_female" not in check_answers(definition, base | {"workers_female": 0}, submit=True).errors
    machines = {"has_machines": "yes", "machines": [{"machine_name": "Máy xay", "machine_count": 0}]}
    assert "machines-0-machine_count" in check_answers(definition, base | machines, submit=True).errors


def test_negative_female_workers_are_refused_on_the_web_form_in_vietnamese(client, session, round_2019, establishment):
    refused = post_record(client, establishment.code, minimal_submission(workers_female="-5"), "submit")
    assert refused.status_code == 422
    assert "Số lao động nữ phải từ 0 đến tổng số lao động" in refused.text
    assert session.exec(select(SurveyRecord)).all() == []


def test_negative_female_workers_are_refused_on_the_web_form_in_english(client, session, round_2019, establishment):
    client.get("/lang/en")
    refused = post_record(client, establishment.code, minimal_submission(workers_female="-5"), "submit")
    assert refused.status_code == 422
    assert "Female workers must be between 0 and total workers" in refused.text


def test_an_absurd_capital_is_refused_with_the_ceiling_in_vietnamese_numbers(client, session, round_2019,
                                                                             establishment):
    refused = post_record(client, establishment.code,
                          minimal_submission(capital_million_vnd="99.999.999.999.999"), "submit")
    assert refused.status_code == 422
    assert "Vốn sản xuất kinh doanh phải từ 0 đến 200.000 triệu đồng" in refused.text
    accepted = post_record(client, establishment.code, minimal_submission(capital_million_vnd="200.000"), "submit")
    assert accepted.status_code == 302


def test_the_api_refuses_negative_female_workers_in_the_users_language(anon_client, session, token,  # noqa: F811
                                                                       round_2019, establishment):
    def post(language: str):
        payload = {"uuid": str(uuid.uuid4()), "establishment_code": establishment.code, "round": "2019",
                   "answers": minimal_submission(workers_female="-5"), "status": "submitted"}
        return anon_client.post("/api/v1/records", json=payload,
                                headers=bearer(token) | {"Accept-Language": language})

    vietnamese, english = post("vi"), post("en")
    assert vietnamese.status_code == 422 and vietnamese.json["error"]["code"] == "invalid_answers"
    assert vietnamese.json["error"]["details"]["errors"]["workers_female"] == \
        "Số lao động nữ phải từ 0 đến tổng số lao động"
    assert english.json["error"]["details"]["errors"]["workers_female"] == \
        "Female workers must be between 0 and total workers"
    assert session.exec(select(SurveyRecord)).all() == []


def test_an_import_into_a_round_refuses_values_that_break_the_rules(runner, session, tmp_path, round_2019,
                                                                    add_establishment):
    header = ["establishment_code", "name", "owner", "commune_code", "vsic_code", "legal_form", "workers",
              "capital_vnd"]
    existing = add_establishment(name="Cũ", workers=4)
    path = csv_file(tmp_path, [[existing.code, "Cũ", "", "31498", "1071", "household_business", "4",
                                "300000000000"],
                               ["", "Mới", "Chủ", "31501", "1079", "household", "2", "300000000000"]], header=header)
    refused = run_import(runner, path, "--round", "2019")  # the command line speaks English
    assert refused.exit_code == 1
    assert "row 2, column capital_vnd: Round 2019: Capital must be between 0 and 200,000 million VND" \
        in refused.output
    assert "row 3, column capital_vnd: Round 2019: Capital must be between" in refused.output
    session.expire_all()
    assert session.exec(select(SurveyRecord)).all() == []
    assert session.exec(select(Establishment).where(Establishment.name == "Mới")).first() is None
    # The registry alone has no questionnaire: its own sanity limits apply, and a negative count is refused.
    assert run_import(runner, path).exit_code == 0
    negative = csv_file(tmp_path, [[existing.code, "Cũ", "", "31498", "1071", "household_business", "-5", ""]],
                        header=header, name="negative.csv")
    assert run_import(runner, negative).exit_code == 1


def test_the_upload_preview_names_the_broken_rule_in_vietnamese(client, session, uploads, tmp_path,  # noqa: F811
                                                                 round_2019):
    path = csv_file(tmp_path, [["", "Cơ sở Vốn Lớn", "", "31498", "1071", "household", "2", "300000000000"]],
                    header=["establishment_code", "name", "owner", "commune_code", "vsic_code", "legal_form",
                            "workers", "capital_vnd"])
    preview = upload(client, path, "2019")
    assert 'id="confirm-form"' not in preview.text
    assert "Vốn sản xuất kinh doanh phải từ 0 đến 200.000 triệu đồng" in preview.text
    assert session.exec(select(Establishment)).all() == []


UNBOUNDED_FORM = """| settings |
|  | form_id | version | form_title |
|  | t | 1 | Thử |

| survey |
|  | type | name | label::vi | label::en | constraint |
|  | integer | bounded | Có cận | Bounded | . >= 0 and . <= ${plain} |
|  | integer | plain | Không ràng buộc | No constraint | |
|  | decimal | ceiling_only | Chỉ cận trên | Ceiling only | . <= 100 |
|  | integer | by_answer | Theo câu khác | From an answer | . >= ${bounded} |
|  | integer | either | Hoặc | Either | . >= 0 or . = -1 |
|  | integer | mirrored | Viết ngược | Mirrored | 1 <= . |
|  | integer | chosen | Theo năm | By year | . >= if(${plain} = 1, 2018, 2012) |
|  | text | words | Chữ | Words | |

| choices |
|  | list_name | name | label::vi | label::en |
|  | yes_no | yes | Có | Yes |
"""


def test_forms_check_warns_about_numbers_without_a_lower_bound(tmp_path, databases, template_url):
    from .conftest import build_app, dispose

    (tmp_path / "t.md").write_text(UNBOUNDED_FORM, encoding="utf-8")
    url = databases.copy(template_url)
    app = build_app(url, FORMS_DIR=str(tmp_path))
    try:
        result = app.test_cli_runner().invoke(args=["forms", "check"])
    finally:
        dispose(app)
        databases.drop(url)
    assert result.exit_code == 0, result.output  # a warning, not an error
    warned = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert warned == [
        "Warning: forms/t.md, line 8: integer question 'plain' has no lower bound in its constraint (e.g. '. >= 0')",
        "Warning: forms/t.md, line 9: decimal question 'ceiling_only' has no lower bound in its constraint "
        "(e.g. '. >= 0')",
        "Warning: forms/t.md, line 10: integer question 'by_answer' has no lower bound in its constraint "
        "(e.g. '. >= 0')",
        "Warning: forms/t.md, line 11: integer question 'either' has no lower bound in its constraint "
        "(e.g. '. >= 0')",
    ]
    assert "t version 1, 8 questions: OK (4 warnings)" in result.output


def test_forms_check_gives_no_warning_on_the_shipped_forms(runner):
    result = runner.invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert "forms/cnnt-2019.md: cnnt-2019 version 2" in result.output
    assert "forms/previous/cnnt-2019.v1.md: cnnt-2019 version 1 (earlier version): OK" in result.output


def test_lower_and_upper_bounds_read_from_constraints():
    from surveyapp.questionnaire.expressions import parse
    from surveyapp.questionnaire.rules import lower_bound, upper_bound

    assert lower_bound(parse(". >= 0 and . <= 200000")) == 0 and upper_bound(parse(". >= 0 and . <= 200000")) == 200000
    assert lower_bound(parse("2012 <= . and . > 2015")) == 2015
    assert lower_bound(parse(". >= -5")) == -5 and lower_bound(parse(". >= -(5)")) == -5
    assert lower_bound(parse(". = 3")) == 3 and upper_bound(parse(". = 3")) == 3
    assert lower_bound(parse(". >= if(${a} = 1, 2018, 2012)")) == 2012
    assert upper_bound(parse(". <= if(${a} = 1, 2018, 2012)")) == 2018
    for unbounded in (". <= 5", ". >= ${a}", ". >= 0 or . = -1", "not(. < 0)", ". >= if(${a}, ${b}, 0)",
                      "regex(., '^[0-9]+$')", ". + 1 >= 0"):
        assert lower_bound(parse(unbounded)) is None, unbounded
    assert lower_bound(None) is None and upper_bound(None) is None
