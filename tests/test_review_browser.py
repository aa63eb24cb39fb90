"""The review loop in real Chromium: an enumerator and a supervisor, each in their own browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveyapp.models import Establishment, SurveyRound

from .conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def assigned(session, round_2019, add_establishment):
    establishment = add_establishment(name="Cơ sở Nước mắm Ba Xuyên", owner="Lâm Văn Sơn", commune_code="31498",
                                      workers=4, revenue_vnd=500_000_000)
    # Registered in an earlier census: the 2019 form opens on the short update.
    session.add(SurveyRound(code="2018", title="2018", questionnaire_id="cnnt-2018", questionnaire_version="2"))
    session.commit()
    return establishment


def fill_update(page, workers: str, female: str) -> None:
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#workers_total", workers)
    page.fill("#workers_female", female)
    page.fill("#revenue_million_vnd", "750")
    page.fill("#capital_million_vnd", "200")
    page.fill("#address", "Ấp Hòa Thượng, Phường 5")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="trade_promotion"]').check()


def test_review_loop_in_chromium(browser, live_app, assigned, session):
    SCREENSHOTS.mkdir(exist_ok=True)
    contexts = [browser.new_context(locale="vi-VN", viewport=size) for size in
                ({"width": 390, "height": 844}, {"width": 1280, "height": 900})]
    enumerator, supervisor = (context.new_page() for context in contexts)
    errors: list[str] = []
    for page in (enumerator, supervisor):
        page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(enumerator, live_app, "enumerator")
        enumerator.goto(f"{live_app}/survey/establishments/{assigned.code}/record?round=2019")
        fill_update(enumerator, "6", "2")
        enumerator.click('button[value="submit"]')
        enumerator.wait_for_url(f"**/establishments/{assigned.code}")  # a form with errors would stay on /record
        expect(enumerator.locator(".alert-success")).to_have_text("Đã gửi phiếu.")

        sign_in(supervisor, live_app, "supervisor")
        supervisor.goto(live_app + "/review")
        supervisor.get_by_role("link", name="Mở").first.click()
        supervisor.fill("#comment", "Doanh thu thấp bất thường, đề nghị kiểm tra lại.")
        supervisor.click("#return")
        supervisor.wait_for_url("**/review")
        expect(supervisor.locator(".alert-success")).to_have_text(f"Đã trả lại điều tra viên: {assigned.name}.")

        enumerator.goto(live_app + "/survey")
        assert "Doanh thu thấp bất thường" in enumerator.locator("#returned-records").inner_text()
        enumerator.locator("#returned-records a").first.click()
        assert "Doanh thu thấp bất thường" in enumerator.locator("#review-comment").inner_text()
        enumerator.screenshot(path=str(SCREENSHOTS / "review-returned.png"))
        enumerator.fill("#revenue_million_vnd", "1.750")
        enumerator.click('button[value="submit"]')
        enumerator.wait_for_url(f"**/establishments/{assigned.code}")

        supervisor.goto(live_app + "/review")
        supervisor.get_by_role("link", name="Mở").first.click()
        assert "1.750 triệu đồng" in supervisor.locator("#answers").inner_text()
        supervisor.screenshot(path=str(SCREENSHOTS / "review-record.png"), full_page=True)
        supervisor.click("#approve")
        supervisor.wait_for_url("**/review")

        supervisor.goto(f"{live_app}/establishments/{assigned.code}")
        facts = supervisor.locator("main").inner_text()
        assert "1.750,0 triệu đồng" in facts  # the establishment's current revenue, from the approved record
        supervisor.screenshot(path=str(SCREENSHOTS / "review-approved.png"), full_page=True)
    finally:
        for context in contexts:
            context.close()
    session.expire_all()
    establishment = session.get(Establishment, assigned.id)
    assert (establishment.workers, establishment.revenue_vnd) == (6, 1_750_000_000)
    assert errors == []
