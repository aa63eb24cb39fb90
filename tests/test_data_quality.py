"""/data-quality: stored answers that break the rules of their questionnaire's current version.

The records are inserted directly, as data stored before the rules existed would be; the report lists
them without changing them, and a supervisor sees only the communes and rounds assigned to them."""
from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from surveyapp.models import SurveyRecord, SurveyRound


VALID = {"visit_type": "new", "establishment_name": "Cơ sở", "workers_total": 6, "workers_female": 2,
         "capital_million_vnd": 300, "revenue_million_vnd": 1200}


@pytest.fixture
def stored(session, round_2019, add_establishment):
    """Old records: Phường 5 and Phường 7 (district 941), Kế Sách (943); one valid; one in round 2018."""
    round_2018 = SurveyRound(code="2018", title="Điều tra 2018", questionnaire_id="cnnt-2018",
                             questionnaire_version="1")
    session.add(round_2018)
    session.flush()
    places = {"female": ("Cơ sở Nữ Âm", "31498"), "capital": ("Cơ sở Vốn Khủng", "31501"),
              "valid": ("Cơ sở Đúng", "31498"), "other_district": ("Cơ sở Kế Sách", "31528"),
              "census": ("Cơ sở 2018", "31498")}
    establishments = {key: add_establishment(name=name, commune_code=commune)
                      for key, (name, commune) in places.items()}
    answers = {"female": VALID | {"workers_female": -5}, "capital": VALID | {"capital_million_vnd": 99_999_999_999_999},
               "valid": VALID, "other_district": VALID | {"workers_female": -2},
               "census": {k: v for k, v in VALID.items() if k != "visit_type"} | {"revenue_million_vnd": 900_000}}
    statuses = {"female": "approved", "capital": "submitted", "valid": "approved", "other_district": "draft",
                "census": "approved"}
    for key, establishment in establishments.items():
        survey_round = round_2018 if key == "census" else round_2019
        session.add(SurveyRecord(establishment_id=establishment.id, round_id=survey_round.id, answers=answers[key],
                                 questionnaire_id=survey_round.questionnaire_id, questionnaire_version="1",
                                 status=statuses[key]))
    # An earlier version of the valid record broke a rule: only current records count.
    session.add(SurveyRecord(establishment_id=establishments["valid"].id, round_id=round_2019.id,
                             answers=VALID | {"workers_female": -1}, questionnaire_id="cnnt-2019",
                             questionnaire_version="1", status="approved", is_current=False))
    session.commit()
    return establishments


def report_codes(page_text: str, establishments: dict) -> set[str]:
    return {key for key, establishment in establishments.items() if f'data-code="{establishment.code}"' in page_text}


def test_stored_answers_that_break_the_rules_are_listed_and_left_as_they_are(client, session, stored):
    page = client.get("/data-quality/answers")
    assert page.status_code == 200
    assert report_codes(page.text, stored) == {"female", "capital", "other_district", "census"}
    text = page.text
    assert "Trong đó: lao động nữ (người)" in text and "Số lao động nữ phải từ 0 đến tổng số lao động" in text
    assert "99.999.999.999.999" in text and "Vốn sản xuất kinh doanh phải từ 0 đến 200.000 triệu đồng" in text
    assert "Doanh thu phải từ 0 đến 500.000 triệu đồng" in text  # the 2018 record, judged by cnnt-2018's rules
    assert f'href="/establishments/{stored["female"].code}"' in text
    assert 'id="count-cnnt-2019-workers_female">2<' in text and 'id="count-cnnt-2019-capital_million_vnd">1<' in text
    assert 'id="broken-total">4<' in text
    session.expire_all()
    kept = {r.answers.get("workers_female") for r in session.exec(select(SurveyRecord))}
    assert {-5, -2, -1} <= kept  # nothing changed


def test_the_report_speaks_english_too(client, stored):
    client.get("/lang/en")
    text = client.get("/data-quality/answers").text
    assert "Of whom: women (persons)" in text and "Female workers must be between 0 and total workers" in text
    assert "99,999,999,999,999" in text


def test_filters_by_round_district_and_question(client, stored):
    assert report_codes(client.get("/data-quality/answers?district=943").text, stored) == {"other_district"}
    assert report_codes(client.get("/data-quality/answers?round=2018").text, stored) == {"census"}
    by_question = client.get("/data-quality/answers?question=cnnt-2019:workers_female").text
    assert report_codes(by_question, stored) == {"female", "other_district"}
    assert client.get("/data-quality/answers?round=1999").status_code == 400
    assert client.get("/data-quality/answers?district=999").status_code == 400
    assert client.get("/data-quality/answers?page=0").status_code == 400


def test_pages(app, client, stored):
    app.config["PAGE_SIZE"] = 3
    first, second = client.get("/data-quality/answers").text, client.get("/data-quality/answers?page=2").text
    assert len(report_codes(first, stored)) == 3 and len(report_codes(second, stored)) == 1
    assert report_codes(first, stored) | report_codes(second, stored) == {"female", "capital", "other_district",
                                                                         "census"}
    assert 'id="broken-total">4<' in second  # counts cover every page


def test_a_supervisor_sees_only_their_communes_and_rounds(app, client_as, stored):
    supervisor = client_as("supervisor")  # Phường 5 in round 2019
    page = supervisor.get("/data-quality/answers")
    assert page.status_code == 200
    assert report_codes(page.text, stored) == {"female"}
    assert "Cơ sở Vốn Khủng" not in supervisor.get("/data-quality/answers.csv").text
    assert 'href="/data-quality"' in supervisor.get("/").text  # in the navigation
    analyst = client_as("analyst")
    assert report_codes(analyst.get("/data-quality/answers").text, stored) == {"female", "capital", "other_district",
                                                                                "census"}
    assert client_as("enumerator").get("/data-quality/answers").status_code == 403


def test_the_csv_has_every_row(client, stored):
    response = client.get("/data-quality/answers.csv?round=2019")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    got = {(row["establishment_code"], row["question"], row["value"], row["record_status"]) for row in rows}
    assert got == {(stored["female"].code, "workers_female", "-5", "approved"),
                   (stored["capital"].code, "capital_million_vnd", "99999999999999", "submitted"),
                   (stored["other_district"].code, "workers_female", "-2", "draft")}
    female = next(row for row in rows if row["question"] == "workers_female" and row["value"] == "-5")
    assert female["message"] == "Số lao động nữ phải từ 0 đến tổng số lao động"
    assert female["question_label"] == "Trong đó: lao động nữ (người)" and female["round"] == "2019"


def test_the_index_links_both_checks(client_as):
    page = client_as("supervisor").get("/data-quality")
    assert page.status_code == 200
    assert 'href="/data-quality/gps"' in page.text and 'href="/data-quality/answers"' in page.text


def test_answers_of_the_wrong_type_and_repeat_rows_are_reported(app, session, round_2019, add_establishment):
    from surveyapp.dataquality.services import AnswerFilter, broken_answers
    from surveyapp.questionnaire.registry import registry

    establishment = add_establishment(name="Cơ sở Lạ", commune_code="31498")
    answers = {name: value for name, value in VALID.items() if name != "workers_female"}
    answers |= {"workers_total": "sáu", "products": [{"product_name": "Bánh", "product_value_million_vnd": 600_000}]}
    session.add(SurveyRecord(establishment_id=establishment.id, round_id=round_2019.id, questionnaire_id="cnnt-2019",
                             questionnaire_version="2", status="submitted", answers=answers))
    session.commit()
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        found = list(broken_answers(session, registry(), AnswerFilter(), reviewer_id=None, language="en"))
    assert [(b.key, b.row, b.value) for b in found] == [  # in the questionnaire's order
        ("products-0-product_value_million_vnd", 1, 600_000), ("workers_total", None, "sáu")]
    assert found[0].message == "The value of output must be between 0 and 500,000 million VND"
    assert found[1].message == "Enter a whole number, e.g. 1500 or 1.500."
