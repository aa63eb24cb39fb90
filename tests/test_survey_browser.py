"""An enumerator fills a whole questionnaire on a phone-sized Chromium, in Vietnamese."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from surveyapp.accounts.services import assign_communes, user_by_username
from surveyapp.models import SurveyRound

from .conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser

RADIOS = {  # question → choice, for every required single choice of cnnt-2018 on this path
    "in_industrial_cluster": "no", "in_craft_village": "no", "traditional_craft": "no", "has_export_contract": "no",
    "has_machines": "no", "technology_level": "semi_mechanised", "wastewater_treatment": "basic",
    "emission_treatment": "not_generated", "solid_waste_treatment": "basic", "environmental_permit": "protection_commitment",
    "typical_product_level": "none", "ocop_stars": "0", "has_trademark": "no", "had_support": "no",
    "supporting_industry": "no", "business_plan": "expand",
}
CHECKBOXES = {"markets": ["district", "province"], "energy_sources": ["grid_electricity"],
              "cleaner_production": ["housekeeping"], "standards": ["food_safety"], "needs": ["training", "credit"]}


@pytest.fixture
def census_round(session):
    survey_round = SurveyRound(code="2018", title="Điều tra cơ sở CNNT năm 2018", questionnaire_id="cnnt-2018",
                               questionnaire_version="2", is_open=True)
    session.add(survey_round)
    session.flush()
    assign_communes(session, user_by_username(session, "enumerator"), survey_round, ["31498", "31501"], None)
    session.commit()


def choose(page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def test_enumerator_fills_a_whole_questionnaire_on_a_phone(phone, live_app, census_round):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # Choose the commune, look for the establishment (not there), register it.
    sign_in(page, live_app, "enumerator")
    assert page.url.endswith("/survey")  # an enumerator lands on the survey page
    page.select_option("#district", "941")
    page.select_option("#commune", "31498")
    page.locator("#choose-commune button[type=submit]").click()
    page.wait_for_url("**/survey/communes/31498**")
    page.fill("#q", "banh pia ut hen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/survey/communes/31498?**q=banh+pia+ut+hen**")  # the empty commune said "none" already
    expect(page.locator("#no-results")).to_be_visible()
    page.click("#register-link")
    page.fill("#name", "Cơ sở Bánh Pía Út Hên")
    page.fill("#owner", "Trần Thị Hên")
    page.select_option("#legal_form", "household_business")
    page.fill("#vsic_code", "1071")
    page.fill("#address", "Số 5, đường Phú Lợi, Phường 5")
    page.fill("#phone", "0912345678")
    page.locator("#register-form button[type=submit]").click()
    page.wait_for_url("**/survey/establishments/94-941-000001/record**")
    assert page.input_value("#establishment_name") == "Cơ sở Bánh Pía Út Hên"  # pre-filled from the registry
    assert page.locator('input[name="legal_form"][value="household_business"]').is_checked()

    # Identity and location; the GPS button reads the (emulated) device position.
    page.fill("#tax_code", "0312345678")
    page.fill("#year_started", "2005")
    page.click(".gps-locate")
    expect(page.locator("#location-lat")).not_to_have_value("")  # not wait_for_function: its polling is eval'd (CSP)
    assert page.input_value("#location-lat").startswith("9,603")
    assert page.input_value("#location-accuracy") == "12,0"

    # Skip logic in the browser: the cluster name shows only for establishments in a cluster.
    cluster_name = page.locator('[data-name="industrial_cluster_name"]')
    choose(page, "in_industrial_cluster", "yes")
    assert cluster_name.is_visible()
    for name, value in RADIOS.items():
        choose(page, name, value)
    assert not cluster_name.is_visible()
    for name, values in CHECKBOXES.items():
        for value in values:
            choose(page, name, value)
    assert page.locator('[data-name="machines"]').is_hidden()

    page.fill("#activity_description", "Làm bánh pía nhân đậu xanh, sầu riêng")
    page.fill("#raw_materials", "Bột mì, đậu xanh, sầu riêng, trứng muối")
    page.fill("#workers_total", "5")
    page.fill("#workers_female", "7")  # more women than workers: the constraint must catch it
    page.fill("#revenue_million_vnd", "1.250")
    page.fill("#capital_million_vnd", "300,5")

    # One product row, added in place by the page's script.
    page.click('.add-row[data-repeat="products"]')
    page.fill('[name="products-0-product_name"]', "Bánh pía sầu riêng")
    page.fill('[name="products-0-product_unit"]', "cái")
    page.fill('[name="products-0-product_output"]', "20.000")
    page.fill('[name="products-0-product_value_million_vnd"]', "600")

    page.click('button[value="submit"]')
    page.wait_for_selector("#error-summary")
    summary = page.locator("#error-summary").inner_text()
    assert "Số lao động nữ phải từ 0 đến tổng số lao động" in summary
    assert "Số lao động nữ phải từ 0 đến tổng số lao động" in page.locator('#q-workers_female').inner_text()
    assert page.input_value("#workers_female") == "7" and page.input_value("#year_started") == "2005"
    assert page.input_value('[name="products-0-product_name"]') == "Bánh pía sầu riêng"
    assert page.locator('input[name="needs"][value="credit"]').is_checked()
    page.screenshot(path=str(SCREENSHOTS / "record-error.png"), full_page=False)

    page.fill("#workers_female", "3")
    page.click('button[value="submit"]')
    page.wait_for_url("**/establishments/94-941-000001")
    assert "Đã gửi phiếu" in page.locator(".alert-success").inner_text()
    row = page.locator("#records tbody tr").first
    assert "Đã gửi" in row.inner_text() and "1.250" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "record-submitted.png"), full_page=True)

    assert errors == []
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in requests if url.startswith("http"))
