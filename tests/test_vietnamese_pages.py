"""Item 8 of issue 15: a page in Vietnamese shows no English left from the catalogue, and no codes."""
from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

from sqlmodel import select

from surveyapp.exports.columns import ESTABLISHMENT_COLUMNS
from surveyapp.models import AuditEvent
from surveyapp.reference import ESTABLISHMENT_STATUS_LABELS, RECORD_STATUS_LABELS

from .conftest import login
from .pages import add_demo_data, html_pages
from .test_access import world  # noqa: F401  (the fixture: records, a token, assignments)

CATALOGUE = Path(__file__).parents[1] / "surveyapp/translations/vi/LC_MESSAGES/messages.po"
ROLES = ("enumerator", "supervisor", "analyst", "admin")
#: Shorter English strings are too likely to be part of a name or a code ("ID", "OK").
SHORTEST = 4
#: Column names of the import and export files: a file format, the same in both languages.
FILE_COLUMNS = {column.key for column in ESTABLISHMENT_COLUMNS}


UNREAD = ("script", "style", "template", "code", "kbd", "pre")


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside script and style, plus placeholders and titles.
    Text in <code> (commands, JSON of the audit trail, column names) is data, the same in both languages."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD:
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in UNREAD:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


@lru_cache(maxsize=None)
def english_left_patterns() -> list[tuple[str, re.Pattern]]:
    """English msgids whose Vietnamese differs (words the same in both, "GPS", "VSIC", are not English left)."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="vi")
    phrases = set()
    for message in catalogue:
        for english, vietnamese in _pairs(message):
            english = english.split("%(")[0].split("{")[0].strip(" :.…")
            if len(english) >= SHORTEST and re.search("[a-z]", english) and english not in vietnamese \
                    and english not in FILE_COLUMNS:
                phrases.add(english)
    return [(phrase, re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")) for phrase in sorted(phrases)]


def _pairs(message):
    if not message.id or not message.string:
        return []
    if isinstance(message.id, tuple):
        return list(zip(message.id, message.string))
    return [(message.id, message.string)]


def english_left(texts: list[str]) -> set[str]:
    found = set()
    for text in texts:
        found.update(phrase for phrase, pattern in english_left_patterns() if phrase in text and pattern.search(text))
    return found


def test_the_check_finds_english_and_passes_vietnamese():
    assert english_left(visible_texts("<p>Tổng quan</p><p>Overview</p>")) == {"Overview"}
    assert english_left(visible_texts('<input placeholder="e.g. Samsung phone"><script>"Overview"</script>')) \
        == {"e.g. Samsung phone"}
    assert english_left(visible_texts("<p>GPS · VSIC · CSV</p><p>Tổng quan</p>")) == set()


def shown_codes(session) -> set[str]:
    """Codes that must show as words: audit actions (those in the database), record and operating
    statuses, duplicate reasons."""
    actions = set(session.exec(select(AuditEvent.action).distinct()))
    return actions | set(RECORD_STATUS_LABELS) | set(ESTABLISHMENT_STATUS_LABELS) | {"tax_code"}


def test_no_english_left_on_any_page_in_vietnamese(app, session, world):  # noqa: F811
    add_demo_data(session)
    codes = shown_codes(session)
    assert {"create", "demo_generate"} <= codes
    left, checked = [], 0
    for username in ROLES:
        client = login(app.test_client(), username)
        for url in html_pages(app, session, world, username):
            texts = visible_texts(client.get(url).text)
            found = english_left(texts) | (codes & set(texts))
            left += [f"{username} {url}: {phrase!r}" for phrase in sorted(found)]
            checked += 1
    assert checked >= 4 * 15
    assert left == [], "\n".join(left)


def test_a_token_and_a_district_have_a_name_not_an_establishment_name(app, session, world):  # noqa: F811
    client = login(app.test_client(), "analyst")
    tokens = visible_texts(client.get("/account/tokens").text)
    assert "Tên mã truy cập" in tokens and "Tên cơ sở" not in tokens
    district_map = visible_texts(client.get("/maps/districts").text)
    assert "Tên địa bàn" in district_map and "Tên cơ sở" not in district_map
    assert "Tên cơ sở" in visible_texts(client.get("/establishments").text)  # an establishment's name still is


def test_the_audit_trail_names_actions_in_words(app, session, world):  # noqa: F811
    client = login(app.test_client(), "admin")
    page = client.get("/admin/audit?action=create")
    texts = visible_texts(page.text)
    assert "đã tạo" in texts and "phiếu" in " ".join(texts)
    assert "create" not in texts and "survey_record" not in " ".join(texts)
    assert '<option value="create" selected>' in page.text  # the filter still sends the code
    assert 'data-action="create"' in page.text
