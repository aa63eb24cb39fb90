"""Chromium opens the panel and effect pages, clicks a figure through to its list; screenshots at two widths."""
from __future__ import annotations

import pytest

from surveyapp.db import session_scope
from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.establishments.queries import count_establishments

from .conftest import SCREENSHOTS, dispose, page_errors, serving, sign_in
from .test_panel import demo_panel_app

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "360": {"width": 360, "height": 780}}


@pytest.fixture(scope="module")
def panel_server(databases, template_url):
    """The demo census as `flask setup` makes it (with 2019 revisits), served; read-only."""
    app, url = demo_panel_app(databases, template_url)
    with session_scope(app) as db_session:
        counts = {category: count_establishments(db_session, EstablishmentFilter(
            panel=category, panel_from="2018", panel_to="2019")) for category in ("continuing", "new", "closed",
                                                                                  "not_revisited")}
    with serving(app) as base:
        yield base, counts
    dispose(app)
    databases.drop(url)


def _vietnamese(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def test_panel_and_effect_pages_click_through_to_a_list(browser, panel_server):
    base, counts = panel_server
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, viewport in WIDTHS.items():
        context = browser.new_context(locale="vi-VN", viewport=viewport)
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, base, "analyst")

        page.goto(base + "/")
        assert page.locator("#chart-districts svg rect").count() == 11
        assert page.locator("#chart-sectors svg rect").count() >= 5
        page.screenshot(path=str(SCREENSHOTS / f"home-charts-{name}.png"), full_page=True)

        page.goto(base + "/reports/panel?from=2018&to=2019")
        for category, count in counts.items():
            assert page.locator(f"#count-{category}").inner_text() == _vietnamese(count)
        assert page.locator("#panel-either strong").inner_text() == _vietnamese(sum(counts.values()))
        assert page.locator("#panel-chart svg rect").count() >= 11
        assert page.get_by_text("Chưa khảo sát lại").first.is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"panel-{name}.png"), full_page=name == "desktop")

        page.goto(base + "/reports/promotion/effect?from=2018&to=2019")
        assert page.locator("#effect-caveat").is_visible()
        assert int(page.locator("#effect-supported").inner_text().replace(".", "")) > 40
        assert page.locator("#effect-workers").inner_text().startswith("+")
        assert page.locator(".report-chart svg rect").count() == 4
        page.screenshot(path=str(SCREENSHOTS / f"effect-{name}.png"), full_page=True)
        assert errors == []
        context.close()

    context = browser.new_context(locale="vi-VN", viewport=WIDTHS["desktop"])
    page = context.new_page()
    errors = page_errors(page)
    sign_in(page, base, "analyst")
    page.goto(base + "/reports/panel?from=2018&to=2019")
    page.locator("#count-new a").click()
    page.wait_for_url("**/establishments?*panel=new*")
    total = page.locator("#result-count")
    assert total.get_attribute("data-total") == str(counts["new"])
    assert _vietnamese(counts["new"]) in total.inner_text()

    # a figure of one district and sector leads to exactly its establishments
    page.goto(base + "/reports/panel?from=2018&to=2019")
    cell = page.locator('#panel-table tr[data-unit="947"][data-sector="C10"] a[data-category="closed"]')
    expected = cell.inner_text()
    cell.click()
    page.wait_for_url("**/establishments?*panel=closed*")
    assert "district=947" in page.url and "sector=C10" in page.url
    assert page.locator("#result-count").get_attribute("data-total") == expected
    codes = page.locator("#establishments tbody tr td:first-child").all_inner_texts()
    assert codes and all(code.startswith("94-947-") for code in codes)
    assert errors == []
    context.close()
