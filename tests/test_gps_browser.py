"""GPS judged at capture on a phone-sized Chromium: a good fix, a poor one (warning, "Thử lại"), one in
Hà Nội (refused at once) and one in another district (warned, saved, flagged for the supervisor)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.models import AdminUnit, SurveyRecord

from .conftest import SCREENSHOTS, sign_in
from .test_gps_capture import districts, establishment  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

HOME = {"latitude": 9.6025, "longitude": 105.9739}  # Phường 5, Sóc Trăng city (district 941)
HANOI = {"latitude": 21.0285, "longitude": 105.8542}


def fix(page, position: dict, accuracy: float) -> None:
    page.context.set_geolocation({**position, "accuracy": accuracy})


def show_status_and_map(page) -> None:
    """Scroll so the screenshot shows the GPS buttons, the message and the map under them."""
    page.locator("fieldset.geopoint .gps-locate").evaluate("button => { button.scrollIntoView({block: 'start', behavior: 'instant'}); "
                                                               "window.scrollBy({top: -64, behavior: 'instant'}); }")
    expect(page.locator("fieldset.geopoint .gps-map")).to_be_in_viewport(ratio=0.9)


def test_a_fix_is_judged_as_soon_as_it_arrives(phone, live_app, session, round_2019, establishment, districts):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = phone
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_app, "enumerator")
    page.goto(f"{live_app}/survey/establishments/{establishment.code}/record?round=2019")
    status, retry = page.locator("fieldset.geopoint .gps-status"), page.locator("fieldset.geopoint .gps-retry")
    # The point map draws the imported outlines (every district, the declared district's communes), not a box.
    communes = session.exec(select(AdminUnit).where(AdminUnit.parent_code == "941")).all()
    expect(page.locator(".gps-map .leaflet-overlay-pane path")).to_have_count(11 + len(communes))

    # (a) A good fix: taken, with its accuracy.
    fix(page, HOME, 5)
    page.click(".gps-locate")
    expect(status).to_have_text("Đã lấy vị trí (±5 m).")
    expect(retry).to_be_hidden()
    assert page.input_value("#location-lat") == "9,602500" and page.input_value("#location-accuracy") == "5,0"

    # (b) A poor fix: kept, but the phone names the limit and offers to try again.
    fix(page, HOME, 150)
    page.click(".gps-locate")
    expect(status).to_have_text("Vị trí chỉ chính xác ±150 m, kém hơn mức yêu cầu 10 m. "
                                "Ra chỗ thoáng rồi bấm “Thử lại”, hoặc giữ vị trí này.")
    expect(retry).to_have_text("Thử lại")
    assert page.input_value("#location-accuracy") == "150,0"
    show_status_and_map(page)
    page.screenshot(path=str(SCREENSHOTS / "gps-accuracy-warning.png"))
    fix(page, HOME, 5)
    retry.click()
    expect(status).to_have_text("Đã lấy vị trí (±5 m).")
    expect(retry).to_be_hidden()

    # (c) Hà Nội: refused at once, the fields keep the last good point.
    fix(page, HANOI, 5)
    page.click(".gps-locate")
    expect(status).to_have_text("Vị trí (21,02850; 105,85420) nằm ngoài Tỉnh Sóc Trăng: không nhận. "
                                "Kiểm tra GPS rồi thử lại, hoặc chạm bản đồ để đặt điểm.")
    assert page.input_value("#location-lat") == "9,602500"
    show_status_and_map(page)
    page.screenshot(path=str(SCREENSHOTS / "gps-outside-province.png"))

    # (d) Another district: warned at once, still saved, and flagged for the supervisor.
    other = session.get(AdminUnit, "942")
    fix(page, {"latitude": other.lat, "longitude": other.lon}, 5)
    page.click(".gps-locate")
    expect(status).to_have_text(f"Vị trí nằm ngoài {session.get(AdminUnit, '941').name}, nơi có xã đã khai. "
                                "Kiểm tra lại vị trí; vẫn lưu được, giám sát viên sẽ được báo.")
    show_status_and_map(page)
    page.screenshot(path=str(SCREENSHOTS / "gps-outside-district.png"))
    page.locator("#record-actions button[value=draft]").click()
    page.wait_for_url("**/record?round=2019")
    expect(page.locator(".alert-success")).to_be_visible()
    session.expire_all()
    record = session.exec(select(SurveyRecord)).one()
    assert (record.gps_outside_district, record.gps_imprecise) == (True, False)
    assert errors == []
