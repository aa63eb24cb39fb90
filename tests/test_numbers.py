"""Numbers agree: Vietnamese separators on Vietnamese pages (9,62315; 1.234.567; 0,85), typed either way
where it cannot be mistaken, and paging that never says "showing 49.901–49.900"."""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.models import SurveyRecord
from surveyapp.questionnaire.builder import form_data
from surveyapp.questionnaire.definition import load_definition_file

from .test_survey import minimal_submission, post_record


@pytest.fixture
def located(add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", commune_code="31498", vsic_code="1071",
                             legal_form="household_business", lat=9.62315, lon=105.97391, workers=4)


def input_value(page: str, element_id: str) -> str:
    tag = re.search(rf'<input[^>]*\bid="{re.escape(element_id)}"[^>]*>', page).group(0)
    match = re.search(r'\bvalue="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else ""


# --- coordinates ------------------------------------------------------------------------------------

def test_stored_coordinates_are_shown_in_the_forms_language():
    definition = load_definition_file(Path(__file__).parents[1] / "forms" / "cnnt-2019.md")
    point = {"lat": 9.62315, "lon": 105.97391, "accuracy": 12.5}
    assert form_data(definition, {"location": point}, "vi")["location"] == {
        "lat": "9,62315", "lon": "105,97391", "accuracy": "12,5"}
    assert form_data(definition, {"location": point}, "en")["location"] == {
        "lat": "9.62315", "lon": "105.97391", "accuracy": "12.5"}
    assert form_data(definition, {"location": {"lat": 10.0, "lon": 106.0, "accuracy": None}}, "vi")["location"] == {
        "lat": "10", "lon": "106", "accuracy": ""}


def test_the_questionnaire_shows_and_takes_vietnamese_coordinates(client, session, round_2019, located):
    page = client.get(f"/survey/establishments/{located.code}/record?round=2019").text
    assert (input_value(page, "location-lat"), input_value(page, "location-lon")) == ("9,62315", "105,97391")
    typed = {"location-lat": "9,62315", "location-lon": "105.97391", "location-accuracy": "8,5"}  # either mark
    assert post_record(client, located.code, minimal_submission(**typed), "submit").status_code == 302
    record = session.exec(select(SurveyRecord)).one()
    assert record.answers["location"] == {"lat": 9.62315, "lon": 105.97391, "accuracy": 8.5}
    again = client.get(f"/survey/establishments/{located.code}/record?round=2019").text
    assert (input_value(again, "location-lat"), input_value(again, "location-accuracy")) == ("9,62315", "8,5")


def test_coordinates_in_english_keep_the_dot(client, round_2019, located):
    client.set_cookie("lang", "en")
    page = client.get(f"/survey/establishments/{located.code}/record?round=2019").text
    assert input_value(page, "location-lat") == "9.62315"


def test_answers_show_years_plainly_and_counts_grouped():
    from surveyapp.survey.history import display_value

    definition = load_definition_file(Path(__file__).parents[1] / "forms" / "cnnt-2019.md")
    shown = lambda name, value: display_value(definition, definition.by_name[name], value, "vi")  # noqa: E731
    assert (shown("year_started", 2015), shown("support_year", 2018)) == ("2015", "2018")
    assert shown("workers_total", 1500) == "1.500" and shown("revenue_million_vnd", 1234.5) == "1.234,5 triệu đồng"
    assert shown("location", {"lat": 9.62315, "lon": 105.97391, "accuracy": 8.5}) == "9,62315, 105,97391 (±8,5 m)"


# --- the duplicates threshold -----------------------------------------------------------------------

def test_the_threshold_is_shown_and_read_the_vietnamese_way(client):
    page = client.get("/duplicates?district=941").text
    assert input_value(page, "threshold") == "0,85"
    assert 'type="number"' not in re.search(r'<input[^>]*id="threshold"[^>]*>', page).group(0)
    for typed, shown in (("0,9", "0,90"), ("0.9", "0,90"), (" 0,95 ", "0,95"), ("1", "1,00")):
        answer = client.get("/duplicates", query_string={"district": "941", "threshold": typed})
        assert answer.status_code == 200 and input_value(answer.text, "threshold") == shown, typed
    client.set_cookie("lang", "en")
    assert input_value(client.get("/duplicates?district=941&threshold=0,9").text, "threshold") == "0.90"


@pytest.mark.parametrize("typed", ["abc", "0,3", "1,5", "0,8,5", "nan", "1e-1"])
def test_a_bad_threshold_says_why_and_keeps_what_was_typed(client, typed):
    answer = client.get("/duplicates", query_string={"district": "941", "threshold": typed})
    assert answer.status_code == 400
    assert "Điểm tối thiểu là một số từ 0,5 đến 1, ví dụ 0,85." in answer.text
    assert input_value(answer.text, "threshold") == typed
    assert 'id="pairs"' not in answer.text


# --- paging -----------------------------------------------------------------------------------------

def query_of(location: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_a_page_past_the_last_goes_to_the_last_keeping_the_filter(demo_client):
    total = int(re.search(r'data-total="(\d+)"', demo_client.get("/establishments?district=941").text).group(1))
    last = -(-total // 50)
    moved = demo_client.get("/establishments?district=941&sector=&q=&page=999")
    assert moved.status_code == 302
    assert urlsplit(moved.headers["Location"]).path == "/establishments"
    assert query_of(moved.headers["Location"]) == {"district": "941", "page": str(last)}
    page = demo_client.get(moved.headers["Location"]).text
    first, shown_last = re.search(r"hiển thị ([\d.]+)–([\d.]+)", page).groups()
    assert int(first.replace(".", "")) == (last - 1) * 50 + 1 and int(shown_last.replace(".", "")) == total


def test_a_page_of_nothing_says_so_without_a_range(client):
    answer = client.get("/establishments?district=941&page=7")
    assert answer.status_code == 200
    assert 'id="no-results"' in answer.text and not re.search(r"hiển thị \d", answer.text)


@pytest.mark.parametrize("page, message", [("0", "Số trang phải từ 1 trở lên."), ("-3", "Số trang phải từ 1 trở lên."),
                                           ("abc", "Số trang phải là số nguyên."), ("1.5", "Số trang phải là số nguyên.")])
def test_a_page_that_is_no_page_is_a_clear_400_showing_the_first(demo_client, page, message):
    answer = demo_client.get(f"/establishments?district=941&page={page}")
    assert answer.status_code == 400 and message in answer.text
    assert re.search(r"hiển thị 1–50\b", answer.text)


def test_a_huge_page_is_past_the_last_too(demo_client):
    moved = demo_client.get("/establishments?district=941&page=99999999999")
    assert moved.status_code == 302 and query_of(moved.headers["Location"])["district"] == "941"


def test_the_audit_trail_and_gps_pages_go_to_their_last_page(demo_client):
    moved = demo_client.get("/admin/audit?action=create&page=999")
    assert moved.status_code == 302 and query_of(moved.headers["Location"]) == {"action": "create"}
    assert demo_client.get("/admin/audit?page=0").status_code == 400


def test_the_gps_page_goes_to_its_last_page(client, session, add_establishment):
    assert client.get("/data-quality/gps?district=941&page=9").status_code == 200  # nothing to show: stays
    outside = add_establishment(name="Cơ sở lạc chỗ", commune_code="31498", lat=21.0285, lon=105.8542)
    outside.gps_mismatch = True
    session.add(outside)
    session.commit()
    moved = client.get("/data-quality/gps?district=941&page=9")
    assert moved.status_code == 302 and query_of(moved.headers["Location"]) == {"district": "941"}
    assert outside.code in client.get(moved.headers["Location"]).text


def test_the_api_answers_an_empty_page_with_the_total(demo_client):
    found = demo_client.get("/api/v1/establishments?district=941&per_page=100&page=999")
    assert found.status_code == 200
    assert found.json["establishments"] == [] and found.json["page"] == 999
    assert found.json["total"] > 0 and found.json["pages"] == -(-found.json["total"] // 100)
    for bad in ("0", "-1", "abc", "²", "99999999999999999999"):
        refused = demo_client.get(f"/api/v1/establishments?page={bad}")
        assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_argument", bad


# --- no English decimals on Vietnamese pages ---------------------------------------------------------

#: A run of digits joined by dots or commas ("1.234.567", "9,62315", "0.85", "127.0.0.1").
NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)+(?![\w])")
VIETNAMESE_GROUPS = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def visible_text(page: str) -> str:
    """What a person reads: text outside scripts, styles and tags, plus the values shown in text boxes."""
    values = re.findall(r'<input(?![^>]*type="(?:hidden|date|submit|checkbox|radio)")[^>]*\bvalue="([^"]*)"', page)
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(" ".join([body, *values]))


#: Help that shows both accepted ways of typing one number ("9.6031 hoặc 9,6031") says so on purpose.
BOTH_WAYS = re.compile(r"(\d+)\.(\d+) hoặc \1,\2")


def english_decimals(text: str) -> list[str]:
    """Dotted numbers that are not Vietnamese thousands (1.234.567), an IP address, or help naming both marks."""
    text = BOTH_WAYS.sub(" ", text)
    return [token for token in NUMBER.findall(text)
            if "." in token and not VIETNAMESE_GROUPS.match(token) and not IPV4.match(token)]


def test_the_check_tells_decimals_from_thousands_and_codes():
    text = visible_text('<p>1.234.567 cơ sở · 20.253,331 · 9,62315 · 94-947-000123 · C10 1071 · 26/11/2026 05:20'
                        ' · 127.0.0.1 <script>var a = 0.5;</script><input id="t" value="0.85"> 12.5% · v1.2 · 9.6031 hoặc 9,6031 · 9.6031 hoặc 9,6</p>')
    assert english_decimals(text) == ["12.5", "9.6031", "0.85"]


MAIN_PAGES = ["/", "/establishments", "/establishments?district=941&page=2", "/reports", "/reports/promotion",
              "/promotion/projects", "/coverage", "/duplicates", "/duplicates/merges", "/maps/districts",
              "/data-quality/gps", "/review", "/survey", "/admin/audit", "/admin/users", "/admin/rounds",
              "/imports", "/account/tokens", "/survey/offline"]


def test_vietnamese_pages_show_no_english_decimals(demo_client, demo_session):
    from surveyapp.models import Establishment

    located = demo_session.exec(select(Establishment).where(Establishment.lat.is_not(None))
                                .order_by(Establishment.code)).first()
    record = demo_session.exec(select(SurveyRecord).order_by(SurveyRecord.id)).first()
    with_record = demo_session.get(Establishment, record.establishment_id)
    from surveyapp.geo.indicators import INDICATORS

    submitted = demo_session.exec(select(SurveyRecord).where(SurveyRecord.status == "submitted")).first()
    pair = re.search(r'href="(/duplicates/compare\?[^"]+)"', demo_client.get("/duplicates?district=941").text).group(1)
    pages = MAIN_PAGES + [f"/establishments/{located.code}", f"/establishments/{with_record.code}",
                          f"/survey/establishments/{located.code}/record", "/survey/communes/" + located.commune_code,
                          f"/review/records/{submitted.uuid}", html.unescape(pair),
                          *(f"/maps/districts?indicator={key}" for key in INDICATORS)]
    found = {}
    for url in pages:
        answer = demo_client.get(url)
        assert answer.status_code == 200, url
        decimals = english_decimals(visible_text(answer.text))
        if decimals:
            found[url] = decimals[:10]
    assert found == {}, "\n".join(f"{url}: {tokens}" for url, tokens in found.items())


@pytest.mark.browser
def test_the_browser_form_round_trips_vietnamese_coordinates(phone, live_app, round_2019, located):
    from playwright.sync_api import expect

    from surveyapp.questionnaire.answers import check_answers

    from playwright.sync_api import expect

    from .conftest import sign_in

    page = phone
    sign_in(page, live_app, "enumerator")
    page.goto(f"{live_app}/survey/establishments/{located.code}/record?round=2019")
    assert (page.input_value("#location-lat"), page.input_value("#location-lon")) == ("9,62315", "105,97391")
    # the offline outbox stores what the form holds and fills it back (a refused item reopened)
    collected = page.evaluate("() => window.SurveyForm.collect().location")
    assert collected == {"lat": "9,62315", "lon": "105,97391", "accuracy": ""}
    page.evaluate("() => window.SurveyForm.fill({location: {lat: 9.6, lon: 105.97391, accuracy: 8.5}})")
    assert (page.input_value("#location-lat"), page.input_value("#location-accuracy")) == ("9,6", "8,5")
    page.evaluate("(point) => window.SurveyForm.fill({location: point})", collected)
    assert page.input_value("#location-lat") == "9,62315"
    definition = load_definition_file(Path(__file__).parents[1] / "forms" / "cnnt-2019.md")
    typed = check_answers(definition, {"location": collected}, submit=False).answers["location"]
    assert typed == {"lat": 9.62315, "lon": 105.97391, "accuracy": None}
    page.click(".gps-locate")  # the device's position is written the Vietnamese way too
    expect(page.locator("#location-lat")).to_have_value(re.compile(r"^9,6031\d*$"))


def test_upload_limits_are_written_the_vietnamese_way(app, client):
    app.config.update(IMPORT_MAX_BYTES=512 * 1024, IMPORT_MAX_ROWS=100_000)
    page = client.get("/imports").text
    assert "0,5 MB" in page and "100.000" in page and "0.5 MB" not in page
