"""Real headless Chromium (Debian's) through Playwright: home, a filtered list, a detail page."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser


def _record_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def _assert_only_local(urls: list[str], base: str) -> None:
    host = urlsplit(base).hostname
    foreign = [url for url in urls if urlsplit(url).scheme in ("http", "https", "ws", "wss")
               and urlsplit(url).hostname != host]
    assert foreign == [], f"requests left 127.0.0.1: {foreign}"
    assert urls, "no request recorded"


def test_home_list_with_filter_and_detail(page, live_server):
    SCREENSHOTS.mkdir(exist_ok=True)
    requests = _record_requests(page)
    failed: list[str] = []
    # A request the browser itself cancels when the next page loads (ERR_ABORTED) is not a failure.
    page.on("requestfailed", lambda request: None if "ERR_ABORTED" in (request.failure or "")
            else failed.append(f"{request.url}: {request.failure}"))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, live_server, "analyst")
    page.goto(live_server + "/")
    assert page.locator("#total-establishments").inner_text() == "3.209"
    assert page.locator("#demo-banner").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)

    page.get_by_role("link", name="Cơ sở", exact=True).first.click()
    page.wait_for_url("**/establishments")
    # Choosing a district narrows the communes to its own, through the app's own script.
    page.select_option("#district", "950")
    visible_communes = page.locator("#commune option:not([hidden])").count()
    assert visible_communes == 1 + 10  # "all communes" + the 10 of Vĩnh Châu
    page.select_option("#sector", "C10")
    page.fill("#q", "co so")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**/establishments?**")
    assert "district=950" in page.url and "sector=C10" in page.url
    rows = page.locator("#establishments tbody tr")
    assert rows.count() > 0
    for code in rows.locator("td:first-child").all_inner_texts():
        assert code.startswith("94-950-")
    assert "Cơ sở" in rows.first.locator("td").nth(1).inner_text()
    page.screenshot(path=str(SCREENSHOTS / "list.png"), full_page=True)

    rows.first.locator("a").click()
    page.wait_for_url("**/establishments/94-950-*")
    assert page.locator("#records tbody tr").count() >= 1
    assert "Thị xã Vĩnh Châu" in page.content()
    page.screenshot(path=str(SCREENSHOTS / "detail.png"), full_page=True)

    assert page.evaluate("typeof bootstrap") == "object"  # Bootstrap's JS came from the app
    assert errors == [] and failed == []
    _assert_only_local(requests, live_server)


def test_commune_choice_selects_its_district(page, live_server):
    sign_in(page, live_server, "analyst")
    page.goto(live_server + "/establishments")
    option = page.locator('#commune option[data-district="945"]').first
    page.select_option("#commune", option.get_attribute("value"))
    assert page.input_value("#district") == "945"


def test_english_switch(page, live_server):
    sign_in(page, live_server, "analyst")
    page.goto(live_server + "/establishments")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#result-count")).to_contain_text("3,209 establishments found")
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#result-count")).to_contain_text("Tìm thấy 3.209 cơ sở")


def test_the_browser_under_test_is_the_one_debian_offers_today():
    """CI must test the Chromium a new machine gets (`.ci/run` upgrades an older one), not whatever
    version this machine happened to keep."""
    import shutil
    import subprocess

    from .conftest import CHROMIUM, IN_CI

    if not CHROMIUM.exists() or shutil.which("apt-cache") is None:
        if IN_CI:
            pytest.fail("CI=true: Chromium and apt-cache are required")
        pytest.skip("no Chromium or no apt-cache on this machine")
    policy = subprocess.run(["apt-cache", "policy", "chromium"], capture_output=True, text=True, check=True).stdout
    fields = dict(line.strip().split(": ", 1) for line in policy.splitlines() if ": " in line)
    installed, candidate = fields.get("Installed"), fields.get("Candidate")
    if not IN_CI and installed != candidate:
        pytest.skip(f"Chromium {installed} is installed, Debian offers {candidate}: `.ci/run` upgrades it")
    assert installed == candidate, f"Chromium {installed} is installed but Debian offers {candidate}"
