"""Item 7 of issue 15: every page a role may open fits a 360 px phone; the menu keeps to one line at 1,366 px."""
from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS, serving, sign_in
from .pages import add_demo_data, html_pages
from .test_access import world  # noqa: F401  (the fixture: records, a token, assignments)

pytestmark = pytest.mark.browser

ROLES = ("enumerator", "supervisor", "analyst", "admin")
PHONE = {"width": 360, "height": 740}
#: The outermost elements reaching past the viewport: what to fix when a page overflows.
WIDE_ELEMENTS = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
  .slice(0, 4).map(e => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().right)}`)"""
#: Pages photographed at phone width (besides the widest one found).
PHOTOGRAPHED = {"/?round=2019": "phone-home.png"}


def _open_watched(browser, viewport: dict):
    context = browser.new_context(locale="vi-VN", viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}") if message.type == "error" else None)
    return context, page, errors


def test_every_page_fits_a_phone(app, session, world, browser):  # noqa: F811
    add_demo_data(session)
    SCREENSHOTS.mkdir(exist_ok=True)
    overflowing, checked, widest = [], 0, (0, "", "")
    with serving(app) as base:
        for username in ROLES:
            urls = html_pages(app, session, world, username)
            context, page, errors = _open_watched(browser, PHONE)
            sign_in(page, base, username)
            for url in urls:
                page.goto(base + url, wait_until="load")
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"] + 1:
                    overflowing.append(f"{username} {url}: {width} px, {page.evaluate(WIDE_ELEMENTS)}")
                if width >= widest[0] and username == "admin":
                    widest = (width, url, username)
                if url in PHOTOGRAPHED and username == "admin":
                    page.screenshot(path=str(SCREENSHOTS / PHOTOGRAPHED[url]), full_page=True)
                checked += 1
            if username == "admin":
                page.goto(base + widest[1], wait_until="load")
                page.screenshot(path=str(SCREENSHOTS / "phone-widest.png"), full_page=True)
            context.close()
            assert errors == [], errors
    print(f"\n{checked} pages × roles checked at 360 px; widest (admin): {widest[1]} {widest[0]} px")
    assert overflowing == [], "\n".join(overflowing)
    assert checked >= 4 * 15


@pytest.mark.parametrize("language", ["vi", "en"])
def test_menus_keep_to_one_line_at_1366(app, session, world, browser, language):  # noqa: F811
    with serving(app) as base:
        context, page, errors = _open_watched(browser, {"width": 1366, "height": 900})
        sign_in(page, base, "admin")
        page.goto(f"{base}/lang/{language}?next=/")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        tops = page.evaluate("""[...document.querySelectorAll('#main-nav > .navbar-nav > .nav-item, #main-nav > .navbar-nav > .nav-link')]
                                .map(item => [(item.querySelector(':scope > a') || item).textContent.trim(),
                                                      Math.round(item.getBoundingClientRect().top)])""")
        page.screenshot(path=str(SCREENSHOTS / f"menu-1366-{language}.png"))
        assert len(tops) > 8
        assert {top for _label, top in tops} == {tops[0][1]}, tops
        assert page.locator(".navbar").bounding_box()["height"] < 70
        context.close()
        assert errors == []
