"""Offline capture in Chromium: save questionnaires without a connection, reload, sync; cut a sync midway."""
from __future__ import annotations

import pytest
from sqlmodel import select

from surveyapp.models import SurveyRecord

from .conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser


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
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def fill_short_update(page, code: str, workers: str) -> None:
    page.select_option("#offline-establishment", code)
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#workers_total", workers)
    page.fill("#revenue_million_vnd", "1.250")
    page.fill("#capital_million_vnd", "300")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="training"]').check()
    page.click('button[value="submit"]')
    page.wait_for_selector("#offline-notice.alert-success")


def waiting(page) -> int:
    return int(page.get_attribute("#outbox-badge", "data-outbox-count"))


def current_records(session) -> list[SurveyRecord]:
    session.expire_all()
    return list(session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)))  # noqa: E712


def test_three_questionnaires_offline_survive_a_reload_then_sync(phone, live_app, three, session):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_offline_form(page, live_app)

    page.context.set_offline(True)
    for establishment, workers in zip(three, ("6", "7", "8")):
        fill_short_update(page, establishment.code, workers)
    assert waiting(page) == 3
    assert "3" in page.inner_text("#outbox-badge")  # TRANSLATE-CHECK
    page.screenshot(path=str(SCREENSHOTS / "offline-saved.png"))

    page.reload()  # still offline: the service worker serves the page, IndexedDB kept the outbox
    page.wait_for_selector("#offline-establishment")
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.outboxCount === '3'")
    assert current_records(session) == []

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.outboxCount === '0'", timeout=20000)
    records = current_records(session)
    assert len(records) == 3
    assert sorted(r.answers["workers_total"] for r in records) == [6, 7, 8]
    assert {r.status for r in records} == {"submitted"}

    page.goto(live_app + "/survey/outbox")
    page.wait_for_selector(".outbox-item")
    assert page.locator('.outbox-item[data-state="accepted"]').count() == 3
    page.screenshot(path=str(SCREENSHOTS / "offline-outbox.png"), full_page=True)
    assert errors == []


def test_a_refused_item_is_opened_fixed_and_resent(phone, live_app, three, session):
    page = phone
    open_offline_form(page, live_app)
    page.context.set_offline(True)
    page.select_option("#offline-establishment", three[0].code)
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#workers_total", "3")
    page.fill("#workers_female", "5")  # more women than workers
    page.fill("#revenue_million_vnd", "900")
    page.fill("#capital_million_vnd", "100")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="credit"]').check()
    page.click('button[value="submit"]')
    page.wait_for_selector("#offline-notice.alert-success")
    page.context.set_offline(False)
    page.goto(live_app + "/survey/outbox")
    page.wait_for_selector('.outbox-item[data-state="invalid"]')
    assert "workers_female" in page.inner_text(".outbox-errors")
    page.click('.outbox-item[data-state="invalid"] a')
    page.wait_for_selector(".outbox-field-error")
    assert page.input_value("#workers_female") == "5" and page.input_value("#workers_total") == "3"
    assert page.locator("#q-workers_female .outbox-field-error").count() == 1
    page.fill("#workers_female", "2")
    page.click('button[value="submit"]')
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.outboxCount === '0'", timeout=20000)
    records = current_records(session)
    assert [(r.answers["workers_female"], r.status) for r in records] == [(2, "submitted")]


def test_a_sync_cut_midway_loses_nothing_and_duplicates_nothing(phone, live_app, three, session):
    page = phone
    open_offline_form(page, live_app)
    page.goto(live_app + "/survey/outbox")  # visited once online: kept for offline use
    page.goto(live_app + "/survey/offline?round=2019")
    page.context.set_offline(True)
    for establishment, workers in zip(three, ("4", "5", "6")):
        fill_short_update(page, establishment.code, workers)
    page.goto(live_app + "/survey/outbox")
    page.wait_for_selector(".outbox-item")

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
    page.wait_for_function("() => document.querySelectorAll('.outbox-item[data-state=\"accepted\"]').length === 1")
    for _ in range(100):
        if calls["n"] >= 2:
            break
        page.wait_for_timeout(100)
    page.wait_for_function("() => !document.getElementById('outbox-status').textContent.endsWith('…')")
    assert len(current_records(session)) == 2  # first answered, second saved without an answer
    assert waiting(page) == 2

    page.unroute("**/api/v1/records")
    page.click("#outbox-sync")
    page.wait_for_function("() => document.getElementById('outbox-badge').dataset.outboxCount === '0'", timeout=20000)
    records = current_records(session)
    assert len(records) == 3  # the resent second one was recognised by its UUID: no duplicate
    assert len(list(session.exec(select(SurveyRecord)))) == 3
