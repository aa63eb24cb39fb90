"""Validation as you type on a 390×844 phone, in Vietnamese: messages beside the field at once, summaries
that name the question, and nothing that breaks a rule sent or queued as submitted."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.models import SurveyRecord

from .conftest import SCREENSHOTS, page_errors, sign_in

pytestmark = pytest.mark.browser

FEMALE_RULE = "Số lao động nữ phải từ 0 đến tổng số lao động"
REQUIRED = "Câu này bắt buộc."


@pytest.fixture
def bakery(round_2019, add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía Út Hên", owner="Trần Thị Hên", commune_code="31498",
                             address="Số 5, Phường 5", workers=5, revenue_vnd=400_000_000)


def test_a_rule_is_judged_beside_its_field_as_the_answer_is_given(phone, live_app, bakery, session):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors = page_errors(page)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    sign_in(page, live_app, "enumerator")
    posts.clear()  # the sign-in's
    page.goto(f"{live_app}/survey/establishments/{bakery.code}/record?round=2019")
    female = page.locator("#q-workers_female")
    total = page.locator("#q-workers_total")

    # More women than workers: said beside the field as soon as the answer is left, before any sending.
    page.fill("#workers_total", "5")
    page.fill("#workers_female", "7")
    page.locator("#workers_female").blur()
    expect(female).to_contain_text(FEMALE_RULE)
    female.evaluate("element => element.scrollIntoView({block: 'center'})")  # not under the sticky buttons
    expect(female.locator("text=" + FEMALE_RULE)).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(SCREENSHOTS / "live-constraint.png"))

    # The rule reads both answers: changing the total re-judges the women, both ways.
    page.fill("#workers_total", "1.200")
    page.locator("#workers_total").blur()
    expect(female).not_to_contain_text(FEMALE_RULE)
    page.fill("#workers_total", "6")
    page.locator("#workers_total").blur()
    expect(female).to_contain_text(FEMALE_RULE)

    # A required answer emptied and left.
    page.fill("#workers_total", "")
    page.locator("#workers_total").blur()
    expect(total).to_contain_text(REQUIRED)
    assert posts == []

    # Submit: nothing is posted; the summary names each question, in the form's order, linked to it.
    page.click('button[value="submit"]')
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Tổng số lao động thường xuyên (người): Câu này bắt buộc.")
    links = summary.locator("a")
    texts = links.all_inner_texts()
    assert texts.index("Tổng số lao động thường xuyên (người): Câu này bắt buộc.") < \
        texts.index(f"Trong đó: lao động nữ (người): {FEMALE_RULE}")
    assert all(": " in text for text in texts)  # every line names its question
    assert links.nth(texts.index(f"Trong đó: lao động nữ (người): {FEMALE_RULE}")).get_attribute("href") == \
        "#q-workers_female"
    assert posts == []
    expect(summary.locator("strong")).to_be_in_viewport(ratio=1)  # scrolled (smoothly) to the summary's top
    page.screenshot(path=str(SCREENSHOTS / "live-summary.png"))
    summary.get_by_text(f"Trong đó: lao động nữ (người): {FEMALE_RULE}").click()
    expect(page.locator("#workers_female")).to_be_focused()
    expect(page.locator("#workers_female")).to_be_in_viewport(ratio=1)

    # A draft may keep missing or out-of-range answers: it goes to the server, which saves it.
    page.click('button[value="draft"]')
    page.wait_for_url("**/record?round=2019")
    expect(page.locator(".alert-success")).to_have_text("Đã lưu nháp.")
    session.expire_all()
    draft = session.exec(select(SurveyRecord)).one()
    assert draft.status == "draft" and draft.answers["workers_female"] == 7 and draft.answers["workers_total"] is None
    assert errors == []


def test_a_repeat_row_is_judged_in_place(phone, live_app, bakery):
    page = phone
    sign_in(page, live_app, "enumerator")
    page.goto(f"{live_app}/survey/establishments/{bakery.code}/record?round=2019")
    page.click('.add-row[data-repeat="products"]')
    page.click('.add-row[data-repeat="products"]')
    value = page.locator('[name="products-1-product_value_million_vnd"]')
    value.fill("600.000")
    value.blur()
    row = page.locator(".repeat-row").nth(1)
    expect(row).to_contain_text("Giá trị sản lượng phải từ 0 đến 500.000 triệu đồng")
    expect(page.locator(".repeat-row").nth(0)).not_to_contain_text("Giá trị sản lượng phải")
    page.click('button[value="submit"]')
    expect(page.locator("#error-summary")).to_contain_text("Sản phẩm chính 2 · Giá trị sản lượng năm 2018 (triệu đồng): "
                                                           "Giá trị sản lượng phải từ 0 đến 500.000 triệu đồng")
    expect(page.locator("#error-summary")).to_contain_text("Sản phẩm chính 2 · Tên sản phẩm: Câu này bắt buộc.")


def test_an_english_page_reads_english_numbers_and_speaks_english(phone, live_app, bakery):
    page = phone
    sign_in(page, live_app, "enumerator")
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_app}])
    page.goto(f"{live_app}/survey/establishments/{bakery.code}/record?round=2019")
    female = page.locator("#q-workers_female")
    page.fill("#workers_total", "1,200")  # twelve hundred in English
    page.fill("#workers_female", "1,201")
    page.locator("#workers_female").blur()
    expect(female).to_contain_text("Female workers must be between 0 and total workers")
    page.fill("#workers_female", "1,199")
    expect(female).not_to_contain_text("Female workers must be between 0 and total workers")  # fixed while typing
    page.fill("#workers_total", "")
    page.locator("#workers_total").blur()
    page.click('button[value="submit"]')
    expect(page.locator("#error-summary")).to_contain_text("Total regular workers (persons): This answer is required.")
    expect(page.locator("#error-summary")).to_contain_text("The questionnaire was not saved. Please correct:")
