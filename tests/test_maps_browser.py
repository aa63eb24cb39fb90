"""The district map in real headless Chromium: shapes, the points of each view fetched from the app
(clusters that zoom in on click, points whose popup opens), tooltip, CSP, no foreign requests; the
fallback without boundaries; the downloaded file opened offline."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from surveyapp.demo.generator import generate_demo_census
from surveyapp.geo.gps import recheck_gps_mismatch
from surveyapp.geo.services import import_boundaries

from .conftest import SCREENSHOTS, SHARED, sign_in
from .geo_files import unit_cells, write

pytestmark = pytest.mark.browser
OUTLINE = "#555555"  # district outlines (surveyapp.geo.maps.OUTLINE); points are drawn in another colour
SHAPES = f'#district-map path.leaflet-interactive[stroke="{OUTLINE}"]'
CLUSTERS = "#district-map .survey-map-cluster"
POINTS = "document.querySelector('.folium-map').surveyPoints"
EVIL_NAME = '<script>alert("map")</script> Cơ sở {{ 7*7 }}'
#: An isolated spot in Huyện Cù Lao Dung for the establishment with the hostile name.
EVIL_POINT = (9.5521, 106.2453)
#: Another, where two establishments share one GPS point.
TWIN_POINT = (9.5601, 106.2537)
CSP_WATCH = """document.addEventListener("securitypolicyviolation", function (event) {
  (window.__cspViolations = window.__cspViolations || []).push(event.violatedDirective + " " + event.blockedURI);
});"""


def until(page, expression: str, timeout: float = 30) -> None:
    """Poll a JS expression (Playwright's wait_for_function evaluates strings with eval, which the CSP forbids)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {expression}")



def point_on(page, selector: str) -> tuple[float, float]:
    """A point where `selector`'s element is the topmost one, which is what a pointer there reaches."""
    point = page.evaluate("""(selector) => {
        const element = document.querySelector(selector), box = element.getBoundingClientRect();
        for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
            const x = box.left + box.width * i / 24, y = box.top + box.height * j / 24;
            if (document.elementFromPoint(x, y) === element) return [x, y];
        }
        return null;
    }""", selector)
    assert point, f"no visible point of {selector}"
    return point

class Watch:
    """Everything a page reports that a clean map must not produce."""

    def __init__(self, page):
        self.console: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.add_init_script(CSP_WATCH)
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda request: None if "ERR_ABORTED" in (request.failure or "")
                else self.failed.append(f"{request.url}: {request.failure}"))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def assert_clean(self, page, host: str | None = None) -> None:
        refused = [m for m in self.console if any(word in m for word in ("Refused", "Content Security Policy",
                                                                          "Content-Security"))]
        assert refused == [], refused
        assert page.evaluate("window.__cspViolations || []") == []
        assert self.errors == [] and self.failed == [] and self.dialogs == []
        if host:
            foreign = [url for url in self.requests if urlsplit(url).scheme in ("http", "https")
                       and urlsplit(url).hostname != host]
            assert foreign == [], foreign


def wait_for_map(page) -> None:
    """Until the map is drawn and its points layer (fetched on the page, embedded in a download) is loaded."""
    until(page, "window.SurveyMap !== undefined && SurveyMap.maps.length > 0")
    until(page, f"!{POINTS} || {POINTS}.surveyLoaded")


@pytest.fixture
def mapped_census(app, session, add_establishment, tmp_path):
    """The 3,209-establishment demo census with district boundaries (the real Sóc Trăng file when
    ../shared has it, else test-made cells), one establishment with a hostile name, two sharing one
    point, GPS checked (3,212 in all)."""
    generate_demo_census(session, "94", 3209, seed=1)
    evil = add_establishment(name=EVIL_NAME, commune_code="31615")
    evil.lat, evil.lon = EVIL_POINT
    session.add(evil)
    for name in ("Cơ sở Song Sinh A", "Cơ sở Song Sinh B"):
        twin = add_establishment(name=name, commune_code="31615")
        twin.lat, twin.lon = TWIN_POINT
        session.add(twin)
    session.commit()
    real = SHARED / "geo" / "soc_trang_districts.geojson"
    path = real if real.exists() else write(unit_cells(session, "district"), tmp_path / "districts.geojson")
    import_boundaries(session, path, level="district", province_code="94")
    session.commit()
    recheck_gps_mismatch(session, "94")
    session.commit()
    return evil


def test_district_map_shapes_clusters_tooltip_popup(page, live_app, mapped_census):
    SCREENSHOTS.mkdir(exist_ok=True)
    watch = Watch(page)
    answers = []
    page.on("response", lambda response: answers.append(response.url) if "/maps/points?" in response.url else None)
    sign_in(page, live_app, "analyst")
    page.goto(live_app + "/maps/districts")
    wait_for_map(page)

    assert page.locator(SHAPES).count() == 11
    assert page.evaluate(f"{POINTS}.surveyKind") == "clusters" and page.evaluate(f"{POINTS}.surveyTotal") == 3212
    clusters = page.locator(CLUSTERS)
    assert clusters.count() > 0
    counts = [int(text.replace(".", "")) for text in clusters.all_inner_texts()]
    assert max(counts) >= 100 and "." in clusters.nth(counts.index(max(counts))).inner_text() or max(counts) < 1000
    status = page.locator("[data-testid=map-points-status]").inner_text()
    assert "3.212" in status  # every establishment counted, Vietnamese digit grouping
    assert page.locator("[data-testid=map-legend] .survey-map-legend-row").count() >= 2
    assert page.locator(".leaflet-control-layers-overlays input").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "map-districts.png"), full_page=True)

    # A click on the largest cluster zooms in on its establishments, which are fetched again.
    zoom = page.evaluate("SurveyMap.maps[0].getZoom()")
    center = page.evaluate("(({lat, lng}) => [lat, lng])(SurveyMap.maps[0].getCenter())")
    fetched = len(answers)
    clusters.nth(counts.index(max(counts))).click()
    until(page, f"SurveyMap.maps[0].getZoom() > {zoom} && {POINTS}.surveyLoaded && "
                f"{POINTS}.surveyZoom === SurveyMap.maps[0].getZoom()")
    assert len(answers) > fetched and f"zoom={page.evaluate('SurveyMap.maps[0].getZoom()')}" in answers[-1]
    assert page.evaluate(f"{POINTS}.surveyTotal") < 3212
    page.screenshot(path=str(SCREENSHOTS / "map-zoomed-cluster.png"),
                    clip=page.locator("#district-map").bounding_box())
    page.evaluate("([center, zoom]) => void SurveyMap.maps[0].setView(center, zoom, {animate: false})", [center, zoom])
    wait_for_map(page)

    # Hide the points with the layer control, then hover Mỹ Tú for its tooltip: at a point of its own
    # shape (the middle of its box can lie on a neighbour, whose shape then takes the pointer).
    page.locator(".leaflet-control-layers-overlays input").nth(1).uncheck()
    assert page.locator(CLUSTERS).count() == 0
    page.mouse.move(*point_on(page, f'{SHAPES}[data-code="944"]'))
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert "Huyện Mỹ Tú" in tooltip.inner_text()
    count = page.locator('#map-values tr[data-code="944"]').get_attribute("data-count")
    assert f"{int(count):,}".replace(",", ".") in tooltip.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "map-tooltip.png"), clip=page.locator("#district-map").bounding_box())

    # The hostile name, opened from its point, is shown as text and runs nothing.
    page.locator(".leaflet-control-layers-overlays input").nth(1).check()
    page.evaluate(f"void SurveyMap.maps[0].setView([{EVIL_POINT[0]}, {EVIL_POINT[1]}], 18, {{animate: false}})")
    wait_for_map(page)
    assert page.evaluate(f"{POINTS}.surveyKind") == "points"
    box = page.locator("#district-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    until(page, "document.querySelector('.survey-map-popup-name') !== null")
    assert popup.locator(".survey-map-popup-name").inner_text() == EVIL_NAME
    assert popup.locator("a").get_attribute("href") == f"/establishments/{mapped_census.code}"
    page.screenshot(path=str(SCREENSHOTS / "map-popup.png"), clip=page.locator("#district-map").bounding_box())

    # Two establishments on one point: one marker, and the popup steps through both.
    page.evaluate(f"void SurveyMap.maps[0].setView([{TWIN_POINT[0]}, {TWIN_POINT[1]}], 18, {{animate: false}})")
    wait_for_map(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    twin = "document.querySelector('.survey-map-place:has(.survey-map-pager) .survey-map-popup-name')"
    until(page, f"{twin} !== null")
    popup = page.locator(".leaflet-popup-content:has(.survey-map-pager)")  # the hostile one may still fade out
    assert popup.locator(".survey-map-place-count").inner_text() == "2 cơ sở tại vị trí này"
    assert popup.locator(".survey-map-pager-position").inner_text() == "1 / 2"
    assert popup.locator(".survey-map-popup-name").inner_text() == "Cơ sở Song Sinh A"
    popup.locator(".survey-map-pager-button").nth(1).click()
    until(page, f"{twin}.textContent === 'Cơ sở Song Sinh B'")
    assert popup.locator(".survey-map-pager-position").inner_text() == "2 / 2"
    page.screenshot(path=str(SCREENSHOTS / "map-popup-shared-point.png"),
                    clip=page.locator("#district-map").bounding_box())

    watch.assert_clean(page, urlsplit(live_app).hostname)


def test_map_without_boundaries_shows_circles(page, live_server):
    SCREENSHOTS.mkdir(exist_ok=True)
    watch = Watch(page)
    sign_in(page, live_server, "analyst")
    page.goto(live_server + "/maps/districts?indicator=workers")
    wait_for_map(page)
    assert page.locator("#no-boundaries-notice").is_visible()
    assert page.locator(SHAPES).count() == 11  # one proportional circle per district
    assert page.locator(CLUSTERS).count() > 0
    page.screenshot(path=str(SCREENSHOTS / "map-no-boundaries.png"), full_page=True)
    watch.assert_clean(page, urlsplit(live_server).hostname)


def test_downloaded_map_opens_offline(browser, live_app, mapped_census, tmp_path):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_app, "analyst")
    page.goto(live_app + "/maps/districts?sector=C10")
    with page.expect_download() as download:
        page.locator("#download-map").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    context.close()

    offline = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 860})
    offline.set_offline(True)
    page = offline.new_page()
    watch = Watch(page)
    page.goto(saved.as_uri())
    wait_for_map(page)
    shapes = f'path.leaflet-interactive[stroke="{OUTLINE}"]'
    assert page.locator(shapes).count() == 11 and page.locator(".marker-cluster").count() > 0
    assert "C10" in page.locator(".survey-map-info").inner_text()  # the filter, written on the map
    page.screenshot(path=str(SCREENSHOTS / "map-download-offline.png"))
    assert [url for url in watch.requests if not url.startswith(("file:", "data:"))] == []
    watch.assert_clean(page)
    offline.close()
