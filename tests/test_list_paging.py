"""Deep pages of the establishment list cost what page 1 costs (issue 19, item 1).

The Next/Previous links carry the code the page ends (starts) with, so the next page is read from the
index from there (keyset); a page number typed by hand still works and is read from the nearer end.
"""
from __future__ import annotations

import re

import pytest

from surveyapp.establishments import queries
from surveyapp.establishments.filters import EstablishmentFilter

PER_PAGE = 50


def codes_of(page) -> list[str]:
    return [row.code for row in page.rows]


def all_codes(session, wanted) -> list[str]:
    total = queries.count_establishments(session, wanted)
    return codes_of(queries.establishments_page(session, wanted, 1, total or 1))


def compiled(statement) -> str:
    return str(statement.compile(compile_kwargs={"literal_binds": True})).upper()


@pytest.mark.parametrize("arguments", [dict(), dict(district="947", sector="C10"), dict(q="co so")])
def test_every_page_by_number_holds_the_same_rows_as_before(demo_session, arguments):
    """Pages in the second half are read backwards from the end: the same rows in the same order."""
    wanted = EstablishmentFilter(**arguments)
    everything = all_codes(demo_session, wanted)
    pages = -(-len(everything) // PER_PAGE)
    for number in sorted({1, 2, pages // 2, pages // 2 + 1, pages - 1, pages} - {0}):
        page = queries.establishments_page(demo_session, wanted, number, PER_PAGE)
        assert codes_of(page) == everything[(number - 1) * PER_PAGE:number * PER_PAGE], number


def test_a_page_after_a_code_continues_the_list(demo_session):
    wanted = EstablishmentFilter(district="947")
    everything = all_codes(demo_session, wanted)
    assert len(everything) > 3 * PER_PAGE
    page = queries.establishments_page(demo_session, wanted, 3, PER_PAGE, after=everything[2 * PER_PAGE - 1])
    assert codes_of(page) == everything[2 * PER_PAGE:3 * PER_PAGE]
    back = queries.establishments_page(demo_session, wanted, 2, PER_PAGE, before=everything[2 * PER_PAGE])
    assert codes_of(back) == everything[PER_PAGE:2 * PER_PAGE]


def test_a_deep_page_by_its_link_reads_no_offset():
    wanted = EstablishmentFilter(district="947", sector="C10")
    after = compiled(queries.page_statement(wanted, 900, PER_PAGE, after="94-947-045000"))
    before = compiled(queries.page_statement(wanted, 900, PER_PAGE, before="94-947-045000"))
    assert "OFFSET" not in after and "OFFSET" not in before
    assert "OFFSET" in compiled(queries.page_statement(wanted, 900, PER_PAGE))


def test_the_list_links_next_and_previous_by_code(demo_client):
    html = demo_client.get("/establishments?district=947&page=3").get_data(as_text=True)
    rows = listed_codes(html)
    following = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    preceding = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"after={rows[-1]}" in following and "page=4" in following
    assert f"before={rows[0]}" in preceding and "page=2" in preceding
    by_link = demo_client.get(following).get_data(as_text=True)
    assert listed_codes(by_link) == listed_codes(demo_client.get("/establishments?district=947&page=4").get_data(
        as_text=True))
    assert "Page 4 of" in by_link or "Trang 4" in by_link
    assert listed_codes(demo_client.get(preceding).get_data(as_text=True)) == listed_codes(
        demo_client.get("/establishments?district=947&page=2").get_data(as_text=True))


def listed_codes(html: str) -> list[str]:
    return re.findall(r'<td class="text-nowrap"><a href="[^"]+">([^<]+)</a>', html)


@pytest.mark.parametrize("cursor", ["after=%27%3B--", "before=" + "9" * 40, "after="])
def test_a_malformed_cursor_is_refused_or_ignored(demo_client, cursor):
    answer = demo_client.get(f"/establishments?page=2&{cursor}")
    assert answer.status_code in (200, 400)
    if cursor == "after=":
        assert answer.status_code == 200
    else:
        assert answer.status_code == 400


def test_the_api_takes_a_cursor_too(demo_client):
    first = demo_client.get("/api/v1/establishments?district=947&per_page=20").get_json()
    last_code = first["establishments"][-1]["code"]
    assert first["next_after"] == last_code
    second = demo_client.get(f"/api/v1/establishments?district=947&per_page=20&page=2&after={last_code}").get_json()
    by_number = demo_client.get("/api/v1/establishments?district=947&per_page=20&page=2").get_json()
    assert second["establishments"] == by_number["establishments"]
    assert demo_client.get("/api/v1/establishments?after=%27x%27").status_code == 400
