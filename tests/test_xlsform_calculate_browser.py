"""On the phone, a calculate is computed as the enumerator types (skip logic that reads it follows) and a
cascading select offers only the communes of the chosen district (issue 16)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.accounts.services import assign_communes, user_by_username
from surveyapp.models import SurveyRecord, SurveyRound
from surveyapp.questionnaire.publishing import check_upload, publish
from surveyapp.questionnaire.registry import registry

from .conftest import page_errors, sign_in
from .test_xlsform_calculate import calc_workbook

pytestmark = pytest.mark.browser


@pytest.fixture
def calc_round(app, session, add_establishment):
    with app.test_request_context("/"):
        checked = check_upload(session, registry(), "calc.xlsx", calc_workbook())
        assert checked.ok
        publish(session, registry(), checked.definition.source_text, "calc.xlsx", actor_id=None)
    survey_round = SurveyRound(code="2026", title="Lao động 2026", questionnaire_id="calc-2026",
                               questionnaire_version="1", is_open=True)
    session.add(survey_round)
    session.flush()
    assign_communes(session, user_by_username(session, "enumerator"), survey_round, ["31498"], None)
    session.commit()
    return add_establishment(name="Cơ sở Dệt Chiếu Út")


def offered(phone, selector: str) -> list[str]:
    return [text.strip() for text in phone.locator(selector).all_inner_texts()]


def test_a_calculate_drives_skip_logic_and_a_district_filters_the_communes(phone, live_app, calc_round, session):
    errors = page_errors(phone)
    sign_in(phone, live_app, "enumerator")
    phone.goto(f"{live_app}/survey/establishments/{calc_round.code}/record?round=2026")

    why = phone.locator('[data-name="why_no_men"]')
    phone.fill("#workers_total", "4")
    phone.fill("#workers_female", "1")
    expect(why).to_be_hidden()
    phone.fill("#workers_female", "4")  # workers_male = 4 - 4 = 0, computed as she types
    expect(why).to_be_visible()
    phone.fill("#workers_female", "3")
    expect(why).to_be_hidden()

    communes = "#commune option:not([hidden])"
    markets = '[data-name="markets"] .form-check:not(.is-hidden) label'
    expect(phone.locator(communes)).to_have_text(["—"])  # no district yet: no commune fits
    phone.select_option("#district", "chau_thanh")
    expect(phone.locator(communes)).to_have_text(["—", "Ngã Sáu", "Cái Tắc"])
    expect(phone.locator(markets)).to_have_text(["Chợ Ngã Sáu"])
    phone.select_option("#commune", "cai_tac")
    phone.locator('input[name="markets"][value="cho_nga_sau"]').check()
    phone.select_option("#district", "long_my")
    expect(phone.locator(communes)).to_have_text(["—", "Vĩnh Viễn"])
    expect(phone.locator(markets)).to_have_text(["Chợ Long Mỹ"])
    assert phone.input_value("#commune") == ""  # Cái Tắc is not in Long Mỹ: cleared
    assert not phone.locator('input[name="markets"][value="cho_nga_sau"]').is_checked()
    phone.select_option("#commune", "vinh_vien")

    phone.click('.add-row[data-repeat="products"]')
    phone.fill('[name="products-0-output_a"]', "2")
    phone.fill('[name="products-0-output_b"]', "3")
    phone.fill('[name="products-0-output_sold"]', "5")
    phone.click('button[value="submit"]')
    phone.wait_for_url(f"**/establishments/{calc_round.code}")
    expect(phone.locator(".alert-success")).to_contain_text("Đã gửi phiếu")

    record = session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)).one()  # noqa: E712
    answers = record.answers
    assert answers["workers_male"] == 1 and answers["commune"] == "vinh_vien" and answers["district"] == "long_my"
    assert answers["products"] == [{"output_a": 2, "output_b": 3, "output_total": 5, "output_sold": 5}]
    assert errors == []
