"""The establishment list, its filters, search and pagination, and the detail page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from surveyapp.text import fold

from .conftest import DEMO_SIZE

ROW_LINK = re.compile(r'<td class="text-nowrap"><a href="/establishments/(94-\d{3}-\d{6})">')


def total_of(response) -> int:
    return int(re.search(r'id="result-count" data-total="(\d+)"', response.text).group(1))


def codes_on(response) -> list[str]:
    return ROW_LINK.findall(response.text)


def sql_count(session, where: str = "1=1", **params) -> int:
    return session.execute(text(f"SELECT count(*) FROM establishment e WHERE {where}"), params).scalar()


def any_commune_of(session, district: str) -> str:
    return session.execute(text("SELECT min(commune_code) FROM establishment WHERE district_code = :d"),
                           {"d": district}).scalar()


IN_ROUND = "EXISTS (SELECT 1 FROM survey_record r JOIN survey_round s ON s.id = r.round_id " \
           "WHERE r.establishment_id = e.id AND s.code = :round)"

FILTER_CASES = [
    ({}, "1=1"),
    ({"district": "947"}, "district_code = :district"),
    ({"district": "941"}, "district_code = :district"),
    ({"sector": "C10"}, "sector = :sector"),
    ({"sector": "C16"}, "sector = :sector"),
    ({"legal_form": "enterprise"}, "legal_form = :legal_form"),
    ({"legal_form": "household"}, "legal_form = :legal_form"),
    ({"round": "2018"}, IN_ROUND),
    ({"round": "2019"}, IN_ROUND),
    ({"status": "active"}, "status = :status"),
    ({"district": "947", "sector": "C10", "legal_form": "household_business", "round": "2018"},
     f"district_code = :district AND sector = :sector AND legal_form = :legal_form AND {IN_ROUND}"),
]


@pytest.mark.parametrize(("args", "where"), FILTER_CASES, ids=lambda v: str(v))
def test_each_filter_matches_a_direct_sql_count(demo_client, demo_session, args, where):
    response = demo_client.get("/establishments", query_string=args)
    assert response.status_code == 200
    expected = sql_count(demo_session, where, **args)
    assert total_of(response) == expected
    assert 0 < expected
    assert len(codes_on(response)) == min(50, expected)


def test_commune_filter_and_commune_with_its_district(demo_client, demo_session):
    commune = any_commune_of(demo_session, "943")
    expected = sql_count(demo_session, "commune_code = :c", c=commune)
    assert total_of(demo_client.get(f"/establishments?commune={commune}")) == expected
    assert total_of(demo_client.get(f"/establishments?district=943&commune={commune}")) == expected


def test_commune_outside_the_chosen_district_is_a_clear_400(demo_client, demo_session):
    commune = any_commune_of(demo_session, "943")
    response = demo_client.get(f"/establishments?district=941&commune={commune}")
    assert response.status_code == 400
    assert "không thuộc" in response.text


def test_results_are_ordered_by_code_and_link_to_details(demo_client):
    codes = codes_on(demo_client.get("/establishments?district=950"))
    assert codes == sorted(codes)
    assert all(code.startswith("94-950-") for code in codes)


def test_search_ignores_diacritics_and_case(demo_client, demo_session):
    rows = demo_session.execute(text("SELECT name, owner, address FROM establishment")).all()
    expected = sum(1 for r in rows if all(t in fold(" ".join(filter(None, r))) for t in ("co", "so", "banh", "pia")))
    assert expected > 0
    for query in ("co so banh pia", "Cơ sở Bánh Pía", "CƠ SỞ BÁNH PÍA", "banh pia co so", "  co   so banh  pia "):
        response = demo_client.get("/establishments", query_string={"q": query})
        assert total_of(response) == expected, query
    assert "Bánh pía" in demo_client.get("/establishments?q=co+so+banh+pia").text


def test_search_finds_owner_and_address_and_dd(client, add_establishment):
    add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út", address="Ấp Phú Hòa, Phường 5")
    add_establishment(name="HTX Dệt chiếu Đại Ân", owner="Lâm Văn Sơn", address="Ấp Chợ")
    assert total_of(client.get("/establishments?q=co+so+banh+pia")) == 1
    assert total_of(client.get("/establishments?q=dang+thi+ut")) == 1  # đ folds to d
    assert total_of(client.get("/establishments?q=phu+hoa")) == 1
    assert total_of(client.get("/establishments?q=dai+an")) == 1
    assert total_of(client.get("/establishments?q=banh+bao")) == 0
    for wildcard in ("%", "_", "\\"):
        assert total_of(client.get("/establishments", query_string={"q": wildcard})) == 0


def test_search_combines_with_filters(demo_client, demo_session):
    both = demo_client.get("/establishments?q=banh+pia&district=941")
    codes = codes_on(both)
    assert all(code.startswith("94-941-") for code in codes)
    assert total_of(both) <= total_of(demo_client.get("/establishments?q=banh+pia"))


def test_pagination_edges(demo_client):
    first = demo_client.get("/establishments")
    assert len(codes_on(first)) == 50
    last_page = -(-DEMO_SIZE // 50)
    last = demo_client.get(f"/establishments?page={last_page}")
    assert last.status_code == 200
    assert len(codes_on(last)) == DEMO_SIZE - 50 * (last_page - 1)
    second = demo_client.get("/establishments?page=2")
    assert set(codes_on(first)).isdisjoint(codes_on(second))
    past = demo_client.get(f"/establishments?page={last_page + 1}")
    assert past.status_code == 302 and past.headers["Location"] == f"/establishments?page={last_page}"


def test_pagination_links_keep_the_filter(demo_client):
    response = demo_client.get("/establishments?district=941&sector=C10")
    assert 'href="/establishments?district=941&amp;sector=C10&amp;page=2"' in response.text


@pytest.mark.parametrize("query", [
    "page=0", "page=abc", "page=-3", "page=1.5", "district=999", "district=abc",
    "commune=31499x", "commune=00001", "sector=Z99", "legal_form=corporation", "round=1999", "status=gone",
    "q=" + "x" * 300,
])
def test_bad_query_arguments_give_a_clear_400(demo_client, query):
    response = demo_client.get(f"/establishments?{query}")
    assert response.status_code == 400
    assert 'id="filter-errors"' in response.text
    assert total_of(response) >= 0  # the page still renders, with the bad value ignored


def test_unknown_district_message_is_in_vietnamese(demo_client):
    response = demo_client.get("/establishments?district=999")
    assert "Không tìm thấy huyện có mã 999" in response.text


def test_values_typed_come_back_in_the_form(demo_client):
    response = demo_client.get("/establishments?q=b%C3%A1nh+p%C3%ADa&district=941&page=abc")
    assert 'value="bánh pía"' in response.text
    assert '<option value="941" selected>' in response.text


def test_user_text_is_escaped(client, add_establishment):
    add_establishment(name="<script>alert(1)</script> Cơ sở", owner='"><img src=x onerror=alert(2)>')
    response = client.get("/establishments")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<img src=x" not in response.text
    search = client.get("/establishments", query_string={"q": "<b>x</b>"})
    assert "<b>x</b>" not in search.text


def test_detail_page(demo_client, demo_session):
    code, name = demo_session.execute(text(
        "SELECT e.code, e.name FROM establishment e JOIN survey_record r ON r.establishment_id = e.id "
        "WHERE r.status = 'approved' ORDER BY e.code LIMIT 1")).one()
    response = demo_client.get(f"/establishments/{code}")
    assert response.status_code == 200
    page = response.text
    assert name in page.replace("&#39;", "'")
    assert 'id="records"' in page and "Đã duyệt" in page
    assert "Sóc Trăng" in page
    assert "Cần Thơ" in page  # the 1 July 2025 successor of the commune
    assert re.search(r"\d{2}/\d{2}/20(18|19)", page)  # dd/mm/yyyy


def test_unknown_code_gives_a_404_page_in_the_users_language(demo_client):
    response = demo_client.get("/establishments/94-941-999999")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.text
    demo_client.set_cookie("lang", "en")
    english = demo_client.get("/establishments/nope")
    assert english.status_code == 404 and "Page not found" in english.text


def test_list_numbers_in_locale_format(demo_client):
    vi = demo_client.get("/establishments")
    assert "Tìm thấy 3.209 cơ sở" in vi.text
    demo_client.set_cookie("lang", "en")
    en = demo_client.get("/establishments")
    assert "3,209 establishments found" in en.text


def test_every_page_says_the_data_is_synthetic(demo_client, demo_session):
    code = demo_session.execute(text("SELECT min(code) FROM establishment")).scalar()
    for url in ("/", "/establishments", f"/establishments/{code}", "/establishments/none"):
        assert 'id="demo-banner"' in demo_client.get(url).text, url


def test_no_banner_without_demo_data(client, add_establishment):
    add_establishment()
    assert 'id="demo-banner"' not in client.get("/establishments").text


def test_district_choices_carry_their_communes(demo_client):
    page = demo_client.get("/establishments").text
    assert page.count('data-district="941"') == 9
    assert page.count("data-district=") == 108
    assert "/static/js/filters.js" in page
