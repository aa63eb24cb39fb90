"""Languages: Vietnamese first, English on request; numbers and dates per locale."""
from __future__ import annotations

import datetime as dt

import pytest

from surveyapp.accounts.blueprint import safe_next_url
from surveyapp.i18n import format_day, format_million_vnd, format_moment, format_number


def test_vietnamese_is_the_default(client):
    page = client.get("/establishments", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="vi" ' in page
    assert "Tổng quan" in page and "Tìm thấy 0 cơ sở" in page


def test_switching_to_english_and_back(client):
    response = client.get("/lang/en?next=/establishments%3Fdistrict%3D941")
    assert response.status_code == 302
    assert response.headers["Location"] == "/establishments?district=941"
    assert "lang=en" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    page = client.get("/establishments").text
    assert '<html lang="en" ' in page and "Overview" in page and "0 establishments found" in page
    client.get("/lang/vi")
    assert "Tổng quan" in client.get("/").text


def test_unknown_language_is_ignored(client):
    response = client.get("/lang/fr?next=/")
    assert response.status_code == 302 and "Set-Cookie" not in response.headers
    client.set_cookie("lang", "xx")
    assert '<html lang="vi" ' in client.get("/").text


def test_language_switch_is_visible_and_keeps_the_page(client):
    page = client.get("/establishments?district=941").text
    assert 'href="/lang/en?next=/establishments?district%3D941"' in page
    assert ">English</a>" in page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""])
def test_next_only_goes_to_this_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"
    assert safe_next_url(target) == "/"


def test_formats_follow_the_locale(app):
    day = dt.date(2026, 11, 26)
    moment = dt.datetime(2026, 11, 26, 3, 5, tzinfo=dt.timezone.utc)
    with app.test_request_context("/"):
        assert format_number(1234567) == "1.234.567"
        assert format_day(day) == "26/11/2026"
        assert format_moment(moment) == "26/11/2026 10:05"  # Asia/Ho_Chi_Minh, UTC+7
        assert format_million_vnd(20_253_331_000) == "20.253"
        assert format_million_vnd(20_253_331_000, 3) == "20.253,331"
        assert format_day(None) == "–"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert format_number(1234567) == "1,234,567"
        assert format_day(day) == "26 Nov 2026"
        assert format_million_vnd(20_253_331_000, 3) == "20,253.331"


def test_lazy_labels_translate(app):
    from surveyapp.reference import LEGAL_FORM_LABELS

    with app.test_request_context("/"):
        assert str(LEGAL_FORM_LABELS["household_business"]) == "Hộ kinh doanh (HKD)"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert str(LEGAL_FORM_LABELS["household_business"]) == "Household business (HKD)"


def test_every_message_in_the_code_is_translated(tmp_path):
    """Extract the UI strings afresh and find each one translated in the Vietnamese catalogue."""
    from pathlib import Path

    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    root = Path(__file__).parents[1]
    template = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "-k", "_l",
                                "-k", "lazy_gettext", "-o", str(template), str(root)])
    with template.open("rb") as handle:
        wanted = {message.id if isinstance(message.id, str) else message.id[0]
                  for message in read_po(handle) if message.id}
    catalogue_path = root / "surveyapp/translations/vi/LC_MESSAGES/messages.po"
    with catalogue_path.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue
                  if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    assert len(wanted) > 100
    assert sorted(wanted - translated) == []
