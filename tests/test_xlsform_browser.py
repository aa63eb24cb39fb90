"""A Kobo-style XLSForm made in Excel is brought in by the administrator, previewed at phone width,
published and attached to a round; an enumerator then fills and submits it on a phone (issue 16)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.accounts.services import assign_communes, user_by_username
from surveyapp.models import SurveyRecord, SurveyRound

from .conftest import page_errors, sign_in
from .xlsforms import workbook

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def village_round(session, add_establishment):
    survey_round = SurveyRound(code="2020", title="Khảo sát làng nghề 2020", questionnaire_id="cnnt-2019",
                               questionnaire_version="2", is_open=True)
    session.add(survey_round)
    session.flush()
    assign_communes(session, user_by_username(session, "enumerator"), survey_round, ["31498"], None)
    session.commit()
    return add_establishment(name="Cơ sở Bánh Tráng Út Mai")


def test_a_kobo_form_is_imported_previewed_published_then_filled_on_a_phone(page, phone, live_app, village_round,
                                                                          session):
    admin_errors, enumerator_errors = page_errors(page), page_errors(phone)

    # A broken one first: refused, every problem placed.
    sign_in(page, live_app, "admin")
    page.goto(live_app + "/admin/questionnaires")
    broken = workbook(settings=[["form_id", "version"], ["Làng Nghề", "1"]])
    page.set_input_files("#questionnaire-file", files=[{"name": "hong.xlsx", "mimeType": XLSX, "buffer": broken}])
    page.locator("#questionnaire-upload button[type=submit]").click()
    expect(page.locator("#upload-problems")).to_contain_text("trang settings, dòng 2, cột A: form_id chỉ gồm chữ "
                                                             "thường")

    # The real one: checked, shown at phone width exactly as the survey page draws it.
    page.set_input_files("#questionnaire-file", files=[{"name": "lang-nghe.xlsx", "mimeType": XLSX,
                                                        "buffer": workbook()}])
    page.locator("#questionnaire-upload button[type=submit]").click()
    page.wait_for_url("**/admin/questionnaires/candidates/**")
    expect(page.locator("#candidate-summary")).to_contain_text("lang-nghe-2020 phiên bản 1: 8 câu hỏi")
    assert page.locator("#preview").get_attribute("width") == "360"
    preview = page.frame_locator("#preview")
    expect(preview.locator("label[for=so_lao_dong]")).to_contain_text("Số lao động")
    other = preview.locator('[data-name="nguyen_lieu_khac"]')
    expect(other).to_be_hidden()
    preview.locator('input[name="nguyen_lieu"][value="khac"]').check()
    expect(other).to_be_visible()  # relevant with selected(), evaluated in the browser
    page.select_option("#map-ten_co_so", "name")
    page.click("#publish")
    page.wait_for_url(re.compile(r".*/admin/questionnaires$"))
    expect(page.locator('tr[data-version="lang-nghe-2020@1"]')).to_be_visible()
    page.select_option("#attach-round", "2020")
    page.select_option("#attach-version", "lang-nghe-2020@1")
    page.locator("#questionnaire-attach button[type=submit]").click()
    expect(page.locator('tr[data-version="lang-nghe-2020@1"] .rounds')).to_have_text("2020")

    # The enumerator fills it on a phone.
    sign_in(phone, live_app, "enumerator")
    phone.goto(f"{live_app}/survey/establishments/{village_round.code}/record?round=2020")
    assert phone.input_value("#ten_co_so") == "Cơ sở Bánh Tráng Út Mai"  # pre-filled through the mapping
    phone.locator('input[name="nguyen_lieu"][value="lua_gao"]').check()
    expect(phone.locator('[data-name="nguyen_lieu_khac"]')).to_be_hidden()
    phone.locator('input[name="nguyen_lieu"][value="khac"]').check()
    phone.fill("#nguyen_lieu_khac", "Bột năng")
    phone.click(".gps-locate")
    expect(phone.locator("#vi_tri-lat")).to_have_value(re.compile(r"^9,603"))
    phone.click('.add-row[data-repeat="san_pham"]')
    phone.fill('[name="san_pham-0-ten_san_pham"]', "Bánh tráng sữa")
    phone.fill('[name="san_pham-0-san_luong"]', "2,5")
    phone.select_option("#co_xuat_khau", "khong")
    phone.fill("#so_lao_dong", "0")  # below the constraint's 1
    phone.click('button[value="submit"]')
    phone.wait_for_selector("#error-summary")
    assert "Số lao động phải từ 1 đến 200" in phone.locator("#error-summary").inner_text()
    phone.fill("#so_lao_dong", "6")
    phone.click('button[value="submit"]')
    phone.wait_for_url(f"**/establishments/{village_round.code}")
    assert "Đã gửi phiếu" in phone.locator(".alert-success").inner_text()

    record = session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)).one()  # noqa: E712
    answers = record.answers
    assert (record.questionnaire_id, record.questionnaire_version) == ("lang-nghe-2020", "1")
    assert answers["so_lao_dong"] == 6 and answers["nguyen_lieu"] == ["lua_gao", "khac"]
    assert answers["san_pham"] == [{"ten_san_pham": "Bánh tráng sữa", "san_luong": 2.5}]
    assert answers["vi_tri"]["lat"] == pytest.approx(9.6031) and answers["co_xuat_khau"] == "khong"
    assert answers["username"] == "enumerator" and answers["start"] and answers["end"] and answers["today"]
    assert admin_errors == [] and enumerator_errors == []
