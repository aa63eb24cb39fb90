"""GPS judged at capture on the offline form too: once the establishment is chosen, a fix in another
district is warned at once (as on the record page), saved into the outbox, and flagged by the server
when it syncs."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveyapp.models import AdminUnit

from .conftest import SCREENSHOTS, page_errors
from .test_gps_browser import fix, show_status_and_map
from .test_gps_capture import districts, establishment  # noqa: F401 (fixtures)
from .test_offline_browser import current_records, expect_saved, expect_waiting, open_offline_form

pytestmark = pytest.mark.browser


def fill_update(page) -> None:
    page.locator('input[name="visit_type"][value="update"]').check()
    page.locator('input[name="operating_status"][value="active"]').check()
    page.fill("#address", "Số 12, Phường 5")
    page.fill("#workers_total", "6")
    page.fill("#revenue_million_vnd", "1.250")
    page.fill("#capital_million_vnd", "300")
    page.locator('input[name="had_support"][value="no"]').check()
    page.locator('input[name="needs"][value="training"]').check()


def test_offline_a_fix_outside_the_chosen_establishments_district_is_warned_then_flagged(
        phone, live_app, session, round_2019, establishment, districts):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors = page_errors(page)
    open_offline_form(page, live_app)
    # The point map draws the province's imported district outlines (not only the province's box).
    expect(page.locator(".gps-map .leaflet-overlay-pane path")).to_have_count(11)
    status = page.locator("fieldset.geopoint .gps-status")
    other = session.get(AdminUnit, "942")
    away = {"latitude": other.lat, "longitude": other.lon}

    # Nothing chosen yet: no district is declared, so nothing to warn about but the province.
    fix(page, away, 5)
    page.click(".gps-locate")
    expect(status).to_have_text("Đã lấy vị trí (±5 m).")

    page.select_option("#offline-establishment", establishment.code)
    fill_update(page)
    page.click(".gps-locate")
    expect(status).to_have_text(f"Vị trí nằm ngoài {session.get(AdminUnit, '941').name}, nơi có xã đã khai. "
                                "Kiểm tra lại vị trí; vẫn lưu được, giám sát viên sẽ được báo.")
    show_status_and_map(page)
    page.screenshot(path=str(SCREENSHOTS / "offline-gps-outside-district.png"))

    page.context.set_offline(True)
    page.click('button[value="submit"]')
    expect_saved(page, establishment, waiting_after=1)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect_waiting(page, 0, timeout=20_000)
    [record] = current_records(session)
    assert record.gps_outside_district is True
    assert errors == []


def test_offline_choosing_no_establishment_declares_no_district(phone, live_app, session, round_2019, establishment,
                                                                districts):
    page = phone
    open_offline_form(page, live_app)
    other = session.get(AdminUnit, "942")
    fix(page, {"latitude": other.lat, "longitude": other.lon}, 5)
    page.select_option("#offline-establishment", establishment.code)
    page.select_option("#offline-establishment", "")  # changed their mind: nothing declared any more
    page.click(".gps-locate")
    expect(page.locator("fieldset.geopoint .gps-status")).to_have_text("Đã lấy vị trí (±5 m).")


def test_offline_a_new_establishment_declares_the_district_of_its_commune(phone, live_app, session, round_2019,
                                                                          establishment, districts):
    page = phone
    open_offline_form(page, live_app)
    page.click("#offline-register summary")
    page.fill("#reg-name", "Cơ sở Bánh Tráng Mới")
    page.select_option("#reg-commune_code", "31498")
    page.select_option("#reg-legal_form", "household")
    page.fill("#reg-vsic_code", "1071")
    page.click("#offline-register-use")
    expect(page.locator("#offline-notice")).to_contain_text("Cơ sở mới: Cơ sở Bánh Tráng Mới.")
    other = session.get(AdminUnit, "942")
    fix(page, {"latitude": other.lat, "longitude": other.lon}, 5)
    page.click(".gps-locate")
    expect(page.locator("fieldset.geopoint .gps-status")).to_have_text(
        f"Vị trí nằm ngoài {session.get(AdminUnit, '941').name}, nơi có xã đã khai. "
        "Kiểm tra lại vị trí; vẫn lưu được, giám sát viên sẽ được báo.")
