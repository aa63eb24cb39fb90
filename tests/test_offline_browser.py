"""Offline capture in Chromium: save questionnaires without a connection, reload, sync; cut a sync midway."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.models import SurveyRecord

from .conftest import SCREENSHOTS, page_errors, sign_in

pytestmark = pytest.mark.browser
FEMALE_RULE = "Số lao động nữ phải từ 0 đến tổng số lao động"


@pytest.fixture
def three(round_2019, add_establishment):
    return [add_establishment(name=f"Cơ sở Bánh Pía số {n}", owner=f"Chủ {n}", commune_code="31498",
                              address=f"Ấp {n}, Phường 5", workers=3 + n, revenue_vnd=400_000_000)
            for n in (1, 2, 3)]


def open_offline_form(page, live_app):
    sign_in(page, live_app, "enumerator")
    page.goto(live_app + "/survey/offline?round=2019")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now the page itself is controlled by the service worker (and cached by it)
    # evaluate, not wait_for_function: Playwright polls a string with eval, which the page's CSP forbids
    assert page.evaluate("""() => navigator.serviceWorker.controller !== null || new Promise(
        (resolve) => navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), {once: true}))""")


def fill_short_update(page, establishment, workers: str, waiting_after: int) -> None:
    """Fill the short update form for one establishment and save it; returns once the page says that
    this establishment was saved and the outbox holds `waiting_after` items (not a notice or count left
    over from the previous save)."""
    page.select_option("#offline-establishment", establishment.code)
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#workers_total", workers)
    page.fill("#revenue_million_vnd", "1.250")
    page.fill("#capital_million_vnd", "300")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="training"]').check()
    page.click('button[value="submit"]')
    expect_saved(page, establishment, waiting_after)


def expect_saved(page, establishment, waiting_after: int) -> None:
    saved = f"Đã lưu vào hộp thư đi: {establishment.name}."
    expect(page.locator("#offline-notice")).to_have_text(saved)
    expect(page.locator("#offline-notice")).to_have_class(re.compile(r"\balert-success\b"))
    expect_waiting(page, waiting_after, timeout=20_000)
    expect(page.locator("#offline-establishment")).to_have_value("")  # ready for the next establishment


def expect_waiting(page, count: int, timeout: float = 10_000) -> None:
    expect(page.locator("#outbox-badge")).to_have_attribute("data-outbox-count", str(count), timeout=timeout)


def waiting(page) -> int:
    return int(page.get_attribute("#outbox-badge", "data-outbox-count"))


def current_records(session) -> list[SurveyRecord]:
    session.expire_all()
    return list(session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)))  # noqa: E712


def test_three_questionnaires_offline_survive_a_reload_then_sync(phone, live_app, three, session):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors = page_errors(page)
    open_offline_form(page, live_app)

    page.context.set_offline(True)
    for saved, (establishment, workers) in enumerate(zip(three, ("6", "7", "8")), start=1):
        fill_short_update(page, establishment, workers, waiting_after=saved)
    assert "3" in page.inner_text("#outbox-badge")  # TRANSLATE-CHECK
    expect(page.locator("#offline-notice")).to_be_in_viewport()  # scrolled (smoothly) to the confirmation
    page.screenshot(path=str(SCREENSHOTS / "offline-saved.png"))

    page.reload()  # still offline: the service worker serves the page, IndexedDB kept the outbox
    expect_waiting(page, 3)
    assert current_records(session) == []

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect_waiting(page, 0, timeout=20_000)
    records = current_records(session)
    assert len(records) == 3
    assert sorted(r.answers["workers_total"] for r in records) == [6, 7, 8]
    assert {r.status for r in records} == {"submitted"}

    page.goto(live_app + "/survey/outbox")
    expect(page.locator('.outbox-item[data-state="accepted"]')).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "offline-outbox.png"), full_page=True)
    assert errors == []


def fill_women_above_total(page, establishment) -> None:
    page.select_option("#offline-establishment", establishment.code)
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#workers_total", "3")
    page.fill("#workers_female", "5")  # more women than workers
    page.fill("#revenue_million_vnd", "900")
    page.fill("#capital_million_vnd", "100")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="credit"]').check()


def test_offline_a_broken_rule_is_said_at_once_and_cannot_be_queued_as_submitted(phone, live_app, three, session):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors = page_errors(page)
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    fill_women_above_total(page, three[0])
    expect(page.locator("#q-workers_female")).to_contain_text(FEMALE_RULE)  # judged when the answer was left
    page.click('button[value="submit"]')
    expect(page.locator("#error-summary")).to_contain_text(f"Trong đó: lao động nữ (người): {FEMALE_RULE}")
    expect(page.locator("#error-summary a")).to_have_count(1)
    expect_waiting(page, 0)  # nothing went into the outbox
    assert page.evaluate("window.SurveyOutbox.all().then((items) => items.length)") == 0
    expect(page.locator("#error-summary strong")).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(SCREENSHOTS / "offline-refused-at-once.png"))

    page.click('button[value="draft"]')  # a draft may wait with the mistake in it
    expect_saved(page, three[0], 1)
    expect(page.locator("#error-summary")).to_have_count(0)  # the next questionnaire starts clean
    expect(page.locator("#q-workers_female")).not_to_contain_text(FEMALE_RULE)
    items = page.evaluate("window.SurveyOutbox.all()")
    assert [(item["status"], item["answers"]["workers_female"]) for item in items] == [("draft", "5")]
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect_waiting(page, 0, timeout=20_000)
    assert [(r.status, r.answers["workers_female"]) for r in current_records(session)] == [("draft", 5)]
    assert errors == []


def test_a_refused_item_names_its_questions_then_is_opened_fixed_and_resent(phone, live_app, three, session):
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    # An item the page could not judge (saved by an older page, or the rules changed since): the server refuses it.
    fill_women_above_total(page, three[0])
    page.evaluate("""() => window.SurveyOutbox.save({
        user: "enumerator", establishment_code: document.getElementById("offline-establishment").value,
        establishment_name: "older page", round: "2019", status: "submitted", supersedes: null,
        answers: window.SurveyForm.collect()})""")
    expect_waiting(page, 1)
    page.context.set_offline(False)
    page.goto(live_app + "/survey/outbox")
    refused = page.locator('.outbox-item[data-state="invalid"]')
    expect(refused).to_have_count(1)
    expect(refused.locator(".outbox-errors")).to_have_text(f"Trong đó: lao động nữ (người): {FEMALE_RULE}")
    assert "workers_female" not in refused.inner_text() and "not valid" not in refused.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "outbox-refused-named.png"))
    page.click('.outbox-item[data-state="invalid"] a')
    expect(page.locator("#q-workers_female .outbox-field-error")).to_have_count(1)
    assert page.input_value("#workers_female") == "5" and page.input_value("#workers_total") == "3"
    page.fill("#workers_female", "2")
    page.click('button[value="submit"]')
    expect_saved(page, three[0], 0)  # online now: saved, then sent at once
    records = current_records(session)
    assert [(r.answers["workers_female"], r.status) for r in records] == [(2, "submitted")]


def test_a_sync_cut_midway_loses_nothing_and_duplicates_nothing(phone, live_app, three, session):
    page = phone
    open_offline_form(page, live_app)
    page.goto(live_app + "/survey/outbox")  # visited once online: kept for offline use
    page.goto(live_app + "/survey/offline?round=2019")
    page.context.set_offline(True)
    for saved, (establishment, workers) in enumerate(zip(three, ("4", "5", "6")), start=1):
        fill_short_update(page, establishment, workers, waiting_after=saved)
    page.goto(live_app + "/survey/outbox")
    expect(page.locator('.outbox-item[data-state="pending"]')).to_have_count(3)

    calls = {"n": 0}

    def cut_after_first(route):
        calls["n"] += 1
        if calls["n"] == 1:
            route.continue_()
        elif calls["n"] == 2:
            route.fetch()  # the server receives and saves the second record...
            route.abort("connectionreset")  # ...but its answer is lost on the way back
        else:
            route.abort("connectionreset")

    page.route("**/api/v1/records", cut_after_first)
    page.context.set_offline(False)  # the connection returns: the outbox starts sending by itself
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    # The round stops at the cut: one accepted, two still waiting, and the page says why.
    expect(page.locator("#outbox-status")).to_have_text(
        "Mất kết nối: các phiếu chưa gửi sẽ được gửi sau.", timeout=20_000)
    expect(page.locator('.outbox-item[data-state="accepted"]')).to_have_count(1)
    expect(page.locator('.outbox-item[data-state="pending"]')).to_have_count(2)
    assert calls["n"] >= 2  # a second "online" event may start one more round: it is cut too
    assert len(current_records(session)) == 2  # first answered, second saved without an answer
    assert waiting(page) == 2

    page.unroute("**/api/v1/records")
    page.click("#outbox-sync")
    expect(page.locator('.outbox-item[data-state="accepted"]')).to_have_count(3, timeout=20_000)
    expect(page.locator("#outbox-page-count")).to_have_attribute("data-outbox-count", "0")
    records = current_records(session)
    assert len(records) == 3  # the resent second one was recognised by its UUID: no duplicate
    assert len(list(session.exec(select(SurveyRecord)))) == 3


HOLD_SAVES = """() => {
  const save = window.SurveyOutbox.save;
  window.__held = [];
  window.SurveyOutbox.save = (entry) => new Promise((resolve) => {
    window.__held.push(() => resolve(save(entry)));
  });
}"""


def test_the_next_choice_made_while_a_save_finishes_is_kept(phone, live_app, three, session):
    """A slow device: the enumerator taps "submit", picks the next establishment and starts typing
    before the save has finished. The save must not clear the new choice nor what was typed, and a
    double tap saves once."""
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    page.evaluate(HOLD_SAVES)

    page.select_option("#offline-establishment", three[0].code)
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#workers_total", "6")
    # A draft: submitting this short start would be held back by the rules before any save.
    page.evaluate("() => { const b = document.querySelector('button[value=draft]'); b.click(); b.click(); }")
    assert page.evaluate("window.__held.length") == 1  # the second tap found the save under way
    expect(page.locator("#offline-notice")).to_be_hidden()

    page.select_option("#offline-establishment", three[1].code)
    page.locator('input[name="visit_type"][value="update"]').check()
    page.fill("#workers_total", "9")
    page.evaluate("() => window.__held.shift()()")  # the first save finishes now
    expect(page.locator("#offline-notice")).to_have_text(f"Đã lưu vào hộp thư đi: {three[0].name}.")
    expect_waiting(page, 1)
    expect(page.locator("#offline-establishment")).to_have_value(three[1].code)
    assert page.input_value("#workers_total") == "9"
    assert page.locator('input[name="visit_type"][value="update"]').is_checked()

    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#revenue_million_vnd", "900")
    page.fill("#capital_million_vnd", "100")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="credit"]').check()
    page.click('button[value="submit"]')
    page.evaluate("() => window.__held.shift()()")
    expect_saved(page, three[1], 2)
    items = page.evaluate("() => window.SurveyOutbox.all()")
    assert sorted((item["establishment_code"], item["answers"]["workers_total"]) for item in items) == [
        (three[0].code, "6"), (three[1].code, "9")]


def test_a_record_refused_as_a_conflict_says_why_in_the_pages_language(phone, live_app, three, session, app, round_2019):
    from surveyapp.accounts.services import user_by_username
    from surveyapp.questionnaire.registry import registry
    from surveyapp.survey.services import definition_for, save_record

    from .test_survey import minimal_submission

    approved = three[1]
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        result = save_record(session, establishment=approved, survey_round=round_2019,
                             definition=definition, raw_answers=minimal_submission(), submit=True,
                             actor_id=user_by_username(session, "enumerator").id, actor_role="enumerator")
    result.record.status = "approved"
    session.commit()
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    page.evaluate("""(code) => window.SurveyOutbox.save({
        user: "enumerator", establishment_code: code, establishment_name: "an older page", round: "2019",
        status: "submitted", supersedes: null, answers: window.SurveyForm.collect()})""", approved.code)
    expect_waiting(page, 1)
    page.context.set_offline(False)
    page.goto(live_app + "/survey/outbox")
    refused = page.locator('.outbox-item[data-state="conflict"]')
    expect(refused).to_contain_text("Phiếu này đã được duyệt, không thể sửa được nữa.")
    assert "approved" not in refused.inner_text()  # the API's English message is for programs

