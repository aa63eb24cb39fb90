"""Offline registration in Chromium, on a phone: search the commune's establishments without diacritics,
register a newly found one with its first questionnaire, see it in an outbox never opened before, sync
once (a resend creates nothing), and a likely duplicate is flagged for review."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.models import Establishment, SurveyRecord

from .conftest import SCREENSHOTS, page_errors
from .test_offline_browser import expect_waiting, open_offline_form

pytestmark = pytest.mark.browser

NEW_NAME = "Lò Bánh Mì Đức Thành"


@pytest.fixture
def known(round_2019, add_establishment):
    return [add_establishment(name="Cơ sở Bánh Pía Đặng Út", owner="Đặng Thị Út", commune_code="31498"),
            add_establishment(name="Cơ sở Mắm Ba Khía", owner="Lý Văn Tài", commune_code="31498")]


def rows_named(session, name: str) -> list[Establishment]:
    session.expire_all()
    return list(session.exec(select(Establishment).where(Establishment.name == name)))


def records_of(session, establishment: Establishment) -> list[SurveyRecord]:
    return list(session.exec(select(SurveyRecord).where(SurveyRecord.establishment_id == establishment.id)))


def register_offline(page, name: str, searched: bool = True) -> None:
    """Register a new establishment on the offline form (after searching for it in vain, or straight
    away) and save its first questionnaire as a draft."""
    if searched:
        page.fill("#offline-search", name)
        expect(page.locator("#offline-search-count")).to_have_text(
            "Không có cơ sở nào khớp: nếu là cơ sở mới, hãy đăng ký bên dưới.")
    page.click("#offline-register summary")
    if searched:
        expect(page.locator("#reg-name")).to_have_value(name)  # the name searched for
    else:
        page.fill("#reg-name", name)
    page.select_option("#reg-legal_form", "household")
    page.fill("#reg-vsic_code", "1071")
    page.fill("#reg-phone", "0912345678")
    if searched:
        page.screenshot(path=str(SCREENSHOTS / "offline_registration_form.png"), full_page=True)
    page.click("#offline-register-use")
    expect(page.locator("#offline-notice")).to_contain_text(f"Cơ sở mới: {name}.")
    page.locator('input[name="visit_type"][value="new"]').check()
    page.fill("#workers_total", "4")
    page.click('button[value="draft"]')
    expect(page.locator("#offline-notice")).to_have_text(f"Đã lưu vào hộp thư đi: {name}.")


def test_search_ignores_diacritics(phone, live_app, known):
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    assert page.evaluate("SurveyFold('Đặng  Thị ÚT')") == "dang thi ut"
    page.fill("#offline-search", "banh pia dang ut")
    expect(page.locator("#offline-search-count")).to_have_text("Tìm thấy 1 cơ sở")
    expect(page.locator("#offline-establishment option")).to_have_text(
        ["Chọn cơ sở", f"Cơ sở Bánh Pía Đặng Út · Phường 5 · {known[0].code}"])
    page.fill("#offline-search", "")
    expect(page.locator("#offline-establishment option")).to_have_count(3)


def test_a_new_establishment_registered_offline_syncs_once(phone, live_app, known, session):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors = page_errors(page)
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    register_offline(page, NEW_NAME)
    expect_waiting(page, 1)

    page.goto(live_app + "/survey/outbox")  # never opened before, and no connection
    item = page.locator(".outbox-item")
    expect(item.locator(".fw-semibold")).to_have_text(f"{NEW_NAME} (cơ sở mới)")
    expect(item).to_have_attribute("data-state", "pending")
    page.screenshot(path=str(SCREENSHOTS / "offline_registration_outbox.png"), full_page=True)
    assert rows_named(session, NEW_NAME) == []

    page.context.set_offline(False)
    page.click("#outbox-sync")
    expect(item).to_have_attribute("data-state", "accepted", timeout=20_000)
    [registered] = rows_named(session, NEW_NAME)
    expect(item.locator(".fw-semibold")).to_have_text(f"{NEW_NAME} ({registered.code})")
    [record] = records_of(session, registered)
    assert (registered.commune_code, registered.vsic_code, registered.phone) == ("31498", "1071", "0912345678")
    assert record.status == "draft" and record.answers["workers_total"] == 4
    assert registered.possible_duplicate_of is None

    # Both answers lost on the way back: the phone sends the registration and the record again.
    page.evaluate("""() => SurveyOutbox.all().then(([item]) => {
        delete item.registration.code;
        item.establishment_code = "new:" + item.registration.uuid;
        return SurveyOutbox.save(item);
    })""")
    expect(item).to_have_attribute("data-state", "accepted", timeout=20_000)
    assert [e.id for e in rows_named(session, NEW_NAME)] == [registered.id]
    session.expire_all()
    assert [r.id for r in records_of(session, registered)] == [record.id]
    assert errors == []


def test_a_likely_duplicate_registered_offline_is_flagged(phone, live_app, known, session):
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    register_offline(page, "Co so Banh Pia Dang Ut", searched=False)  # not searched first
    page.context.set_offline(False)
    page.goto(live_app + "/survey/outbox")
    item = page.locator(".outbox-item")
    expect(item).to_have_attribute("data-state", "accepted", timeout=20_000)
    expect(item.locator(".outbox-duplicate")).to_have_text(
        f"Có thể trùng với Cơ sở Bánh Pía Đặng Út ({known[0].code}): đã đánh dấu để xem xét.")
    [flagged] = rows_named(session, "Co so Banh Pia Dang Ut")
    assert flagged.possible_duplicate_of == known[0].code
    page.screenshot(path=str(SCREENSHOTS / "offline_registration_duplicate.png"), full_page=True)


def test_a_refused_registration_is_opened_fixed_and_resent(phone, live_app, known, session):
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    page.click("#offline-register summary")
    page.fill("#reg-name", NEW_NAME)
    page.select_option("#reg-legal_form", "household")
    page.fill("#reg-vsic_code", "9999")  # four digits, but no such activity: only the server knows
    page.click("#offline-register-use")
    page.locator('input[name="visit_type"][value="new"]').check()
    page.click('button[value="draft"]')
    expect(page.locator("#offline-notice")).to_have_text(f"Đã lưu vào hộp thư đi: {NEW_NAME}.")
    page.context.set_offline(False)
    page.goto(live_app + "/survey/outbox")
    item = page.locator(".outbox-item")
    expect(item).to_have_attribute("data-state", "invalid", timeout=20_000)
    # the label and the message in the page's language, never the field's name or the API's English
    expect(item.locator(".outbox-errors")).to_have_text(
        "Ngành nghề chính (mã ngành VSIC): Ngành cấp 2 99 theo VSIC không phải ngành công nghiệp.")
    assert rows_named(session, NEW_NAME) == []

    item.locator("a").click()
    expect(page.locator("#reg-vsic_code")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#reg-name")).to_have_value(NEW_NAME)
    page.fill("#reg-vsic_code", "1071")
    page.click('button[value="draft"]')
    expect(page.locator("#offline-notice")).to_have_text(f"Đã lưu vào hộp thư đi: {NEW_NAME}.")
    expect_waiting(page, 0, timeout=20_000)  # online: sent at once, the refused item replaced
    [registered] = rows_named(session, NEW_NAME)
    assert registered.vsic_code == "1071" and len(records_of(session, registered)) == 1
