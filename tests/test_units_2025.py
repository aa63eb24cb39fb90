"""The units after 1 July 2025: loaded as rows of their own, the crosswalk, and the unit era everywhere."""
from __future__ import annotations

import csv
import re
import io

import pytest
from sqlmodel import select

from surveyapp.adminunits import queries
from surveyapp.adminunits.services import load_admin_units
from surveyapp.exports.columns import ESTABLISHMENT_COLUMNS
from surveyapp.models import AdminUnit, AdminUnit2025, CommuneCrosswalk

from .conftest import login

#: Sóc Trăng's 108 legacy communes in the package's conversion table: 100 went whole into one new
#: commune, 8 were split between two (the main part first).
SOC_TRANG_SPLITS = {"31582": ("31582", "31378"), "31606": ("31591", "31495"), "31657": ("31654", "31378"),
                    "31666": ("31666", "31288"), "31669": ("31639", "31480"), "31714": ("31726", "31246"),
                    "31741": ("31741", "31408"), "31744": ("31741", "31473")}


def test_2025_units_are_rows_of_their_own_valid_from_the_reform(session):
    assert session.exec(select(AdminUnit2025).where(AdminUnit2025.level == "province")).all().__len__() == 34
    assert len(session.exec(select(AdminUnit2025.code).where(AdminUnit2025.level == "commune")).all()) == 3321
    can_tho = session.get(AdminUnit2025, "92")
    assert can_tho.name == "Thành phố Cần Thơ" and can_tho.valid_from.isoformat() == "2025-07-01"
    assert can_tho.valid_to is None
    phuong_soc_trang = session.get(AdminUnit2025, "31507")
    assert (phuong_soc_trang.name, phuong_soc_trang.parent_code) == ("Phường Sóc Trăng", "92")
    assert phuong_soc_trang.lat and phuong_soc_trang.lon
    # the same code names a legacy commune too: the two eras live in two tables
    assert session.get(AdminUnit, "31507").name == "Phường 6"
    assert session.get(AdminUnit, "31507").valid_to.isoformat() == "2025-07-01"


def test_soc_trang_crosswalk_one_new_commune_or_split(session):
    assert queries.crosswalk_counts(session, "94") == {"one_new_commune": 100, "split": 8}
    rows = session.exec(select(CommuneCrosswalk).where(CommuneCrosswalk.is_split == True)).all()  # noqa: E712
    parts: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: not r.is_main):
        parts.setdefault(row.legacy_code, []).append(row.new_code)
    assert {code: tuple(new) for code, new in parts.items()} == SOC_TRANG_SPLITS
    # one main part per legacy commune, the same as the successor the establishment page shows
    for commune in queries.communes_of_province(session, "94"):
        mains = [row for row, _ in queries.crosswalk_of(session, commune.code) if row.is_main]
        assert [row.new_code for row in mains] == [commune.successor_code], commune.code
    assert len(queries.communes_2025_of_province(session, "94")) == 43


def test_loading_again_changes_nothing(session):
    before = session.exec(select(CommuneCrosswalk.legacy_code, CommuneCrosswalk.new_code,
                                 CommuneCrosswalk.is_main)).all()
    summary = load_admin_units(session, "94")
    session.commit()
    assert summary["inserted"] == 0 and summary["crosswalk_rows"] == len(before)
    after = session.exec(select(CommuneCrosswalk.legacy_code, CommuneCrosswalk.new_code,
                                CommuneCrosswalk.is_main)).all()
    assert sorted(after) == sorted(before)
    assert len(session.exec(select(AdminUnit2025.code)).all()) == 34 + 3321


# --- the list, its filter and the unit era --------------------------------------------------------

def _codes_listed(response) -> list[str]:
    return re.findall(r'<td class="text-nowrap"><a href="[^"]+">([^<]+)</a>', response.text)


def test_list_filter_by_new_commune(client, add_establishment):
    # Phường 5 and Phường 7 (city of Sóc Trăng) went into Phường Sóc Trăng (31507); Xã Phú Tân was split,
    # its main part kept its code 31582; Phường 1 went to Phường Phú Lợi.
    in_phuong_5 = add_establishment(name="Lò bánh pía Phường 5", commune_code="31498")
    in_phuong_7 = add_establishment(name="Cơ sở Phường 7", commune_code="31501")
    add_establishment(name="Cơ sở Phú Tân", commune_code="31582")
    response = client.get("/establishments?commune_2025=31507")
    assert response.status_code == 200
    assert sorted(_codes_listed(response)) == sorted([in_phuong_5.code, in_phuong_7.code])
    assert 'value="2025" selected' in response.text  # asking for a 2025 commune shows the 2025 units
    assert "Phường Sóc Trăng" in response.text and "Thành phố Cần Thơ" in response.text
    legacy = client.get("/establishments")
    assert 'value="legacy" selected' in legacy.text and "Phường Sóc Trăng" not in legacy.text


@pytest.mark.parametrize("query, field", [("commune_2025=3150", "commune_2025"), ("commune_2025=99999", "commune_2025"),
                                          ("commune_2025=01234", "commune_2025"), ("units=1975", "units")])
def test_bad_new_commune_or_units_is_a_clear_400(client, query, field):
    response = client.get(f"/establishments?{query}")
    assert response.status_code == 400 and 'id="filter-errors"' in response.text
    assert client.get(f"/api/v1/establishments?{query}").status_code == 400


def test_unit_era_labels_in_vietnamese(client):
    text = client.get("/establishments?units=2025").text
    assert "Đơn vị hành chính trước 1/7/2025" in text and "Đơn vị hành chính sau 1/7/2025" in text


# --- the map -------------------------------------------------------------------------------------

def test_map_in_2025_units_draws_a_circle_per_new_commune(demo_client):
    response = demo_client.get("/maps/districts?units=2025")
    assert response.status_code == 200 and 'id="no-boundaries-notice"' in response.text
    script = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", response.text, re.S))
    assert script.count("L.circleMarker(") == 43
    assert 'data-level="commune_2025"' in response.text
    assert "commune_2025=31507" in response.text  # each row of the table lists its new commune


# --- exports and the API ---------------------------------------------------------------------------

LEGACY_UNIT_COLUMNS = ["commune_code", "commune_name", "district_code", "district_name"]
COLUMNS_2025 = ["commune_code_2025", "commune_name_2025", "province_code_2025", "province_name_2025"]


@pytest.mark.parametrize("headers", ["en", "vi"])
def test_exports_carry_both_units(client, add_establishment, headers):
    establishment = add_establishment(name="Cơ sở xuất khẩu", commune_code="31498")
    response = client.get(f"/exports/establishments.csv?headers={headers}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = rows[0]
    keys = [column.key for column in ESTABLISHMENT_COLUMNS]
    # added after the columns of before (only the photos' column, added later, follows them)
    assert keys[-5:-1] == COLUMNS_2025 and keys[-1] == "photo_files" and keys[8:12] == LEGACY_UNIT_COLUMNS
    assert len(header) == 31
    row = dict(zip(keys, next(r for r in rows[1:] if r[0] == establishment.code)))
    assert [row[key] for key in LEGACY_UNIT_COLUMNS] == ["31498", "Phường 5", "941", "Thành phố Sóc Trăng"]
    assert [row[key] for key in COLUMNS_2025] == ["31507", "Phường Sóc Trăng", "92", "Thành phố Cần Thơ"]


def test_xlsx_rows_carry_both_units(client, add_establishment):
    from openpyxl import load_workbook

    add_establishment(name="Cơ sở Phú Tân", commune_code="31582")
    sheet = load_workbook(io.BytesIO(client.get("/exports/establishments.xlsx").data)).worksheets[0]
    header, row = [list(r) for r in sheet.iter_rows(min_row=1, max_row=2, values_only=True)]
    values = dict(zip(header, row))
    assert [values[key] for key in COLUMNS_2025] == ["31582", "Xã Thuận Hòa", "92", "Thành phố Cần Thơ"]
    assert values["commune_code"] == "31582" and values["district_code"] == "942"


def test_api_establishments_carry_the_2025_units(client, add_establishment):
    add_establishment(name="Cơ sở API", commune_code="31501")
    body = client.get("/api/v1/establishments?commune_2025=31507").get_json()
    assert body["total"] == 1
    item = body["establishments"][0]
    assert (item["commune_code"], item["district_code"]) == ("31501", "941")
    assert {key: item[key] for key in COLUMNS_2025} == {
        "commune_code_2025": "31507", "commune_name_2025": "Phường Sóc Trăng", "province_code_2025": "92",
        "province_name_2025": "Thành phố Cần Thơ"}
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Establishment"]["properties"]
    assert set(COLUMNS_2025) <= set(schema)


# --- a round organised by the 2025 communes --------------------------------------------------------

@pytest.fixture
def round_2026(session):
    """An open round organised by the communes after 1 July 2025; enumerator2 assigned Phường Sóc Trăng."""
    from surveyapp.accounts.services import assign_communes, user_by_username
    from surveyapp.admin.services import create_round

    survey_round = create_round(session, code="2026", title="Khảo sát 2026", questionnaire_id="cnnt-2019",
                                questionnaire_version="2", start_date=None, end_date=None, is_open=True,
                                actor_id=None, admin_units="2025")
    assign_communes(session, user_by_username(session, "enumerator2"), survey_round, ["31507"], None)
    session.commit()
    return survey_round


def test_a_round_organised_by_new_communes_assigns_and_covers_them(client, session, round_2026, add_establishment):
    from surveyapp.accounts.queries import assigned_communes, assignments_of_user, is_assigned
    from surveyapp.accounts.services import AccountError, assign_communes, user_by_username
    from surveyapp.models import Establishment

    enumerator2 = user_by_username(session, "enumerator2")
    # Phường 5, 6, 7, 8 of the old city went into Phường Sóc Trăng: the work area is all four
    assert assigned_communes(session, enumerator2.id, round_2026.id) == {"31498", "31501", "31504", "31507"}
    assert is_assigned(session, enumerator2.id, "31501", round_2026.id)
    assert not is_assigned(session, enumerator2.id, "31510", round_2026.id)
    (assignment, survey_round, commune), = [a for a in assignments_of_user(session, enumerator2.id)
                                            if a[1].code == "2026"]
    assert (commune.code, commune.name) == ("31507", "Phường Sóc Trăng")
    with pytest.raises(AccountError):  # a legacy-only code is not a commune of this round
        assign_communes(session, enumerator2, round_2026, ["31498"], None)
    # old records keep the units they were collected in
    old = add_establishment(name="Cơ sở cũ", commune_code="31498")
    assert session.get(Establishment, old.id).commune_code == "31498"
    assert session.get(Establishment, old.id).district_code == "941"

    page = client.get("/coverage?round=2026")
    assert page.status_code == 200 and 'data-commune="31507"' in page.text and 'data-commune="31498"' not in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/coverage?round=2026&format=csv").data.decode("utf-8-sig"))))
    assert len(rows) == 43
    phuong_soc_trang = next(row for row in rows if row["commune_code"] == "31507")
    assert phuong_soc_trang["listed"] == "1" and phuong_soc_trang["district_code"] == ""
    api = login(client.application.test_client(), "enumerator2").get("/api/v1/assignments").get_json()
    assert {"round": "2026", "round_open": True, "admin_units": "2025", "commune_code": "31507",
            "commune_name": "Phường Sóc Trăng", "district_code": None} in api["assignments"]


def test_admin_creates_a_round_organised_by_new_communes_and_assigns_one(client, session):
    from surveyapp.accounts.queries import assignments_of_user
    from surveyapp.accounts.services import user_by_username
    from surveyapp.survey.queries import round_by_code

    form = client.get("/admin/rounds").text
    assert re.search(r'<option selected value="2025">|<option value="2025" selected>', form)  # the setting's default
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    data = {"code": "2027", "title": "Khảo sát 2027", "questionnaire": "cnnt-2019@2", "admin_units": "2025"}
    if token:
        data["csrf_token"] = token.group(1)
    assert client.post("/admin/rounds", data=data).status_code == 302
    survey_round = round_by_code(session, "2027")
    assert survey_round.admin_units == "2025"
    user = user_by_username(session, "enumerator")
    assert client.post(f"/admin/users/{user.id}/assignments",
                       data={"round": str(survey_round.id), "communes_2025": ["31582"]}).status_code == 302
    session.expire_all()
    assert [(a.commune_code, c.name) for a, r, c in assignments_of_user(session, user.id) if r.code == "2027"] == [
        ("31582", "Xã Thuận Hòa")]


# --- reports ----------------------------------------------------------------------------------------

def test_reports_by_the_2025_communes(demo_client, demo_session):
    from sqlalchemy import text

    legacy = demo_client.get("/reports")
    assert legacy.status_code == 200 and 'aria-current="true">Đơn vị hành chính trước 1/7/2025' in legacy.text
    response = demo_client.get("/reports?units=2025")
    assert response.status_code == 200 and 'aria-current="true">Đơn vị hành chính sau 1/7/2025' in response.text
    section = response.text.split('id="report-districts"')[1].split("</section>")[0]
    assert "Xã, phường (từ 1/7/2025)" in section and "Phường Sóc Trăng" in section and "Huyện Mỹ Tú" not in section
    expected = dict(demo_session.execute(text(
        "SELECT u.successor_code, count(*) FROM establishment e JOIN admin_unit u ON u.code = e.commune_code "
        "WHERE e.status != 'merged' GROUP BY u.successor_code")).all())
    rows = re.findall(r"<tr>\s*<td>(\d{5})</td><td>[^<]+</td><td class=\"num\">([\d.]+)</td>", section)
    assert {code: int(count.replace(".", "")) for code, count in rows if int(count.replace(".", ""))} == expected


def test_a_round_with_unknown_units_is_refused(client, session):
    from surveyapp.survey.queries import round_by_code

    response = client.post("/admin/rounds", data={"code": "2028", "title": "Khảo sát 2028",
                                                  "questionnaire": "cnnt-2019@2", "admin_units": "1975"})
    assert response.status_code == 422 and "Chọn đơn vị hành chính trước hoặc sau 1/7/2025." in response.text
    assert round_by_code(session, "2028") is None
    assert client.post("/admin/rounds", data={"code": "2029", "title": "Khảo sát 2029",
                                              "questionnaire": "cnnt-2019@2"}).status_code == 302
    assert round_by_code(session, "2029").admin_units == "2025"  # NEW_ROUND_ADMIN_UNITS


def test_establishment_page_says_where_a_split_commune_went(client, add_establishment):
    split = add_establishment(name="Cơ sở Long Phú", commune_code="31669")  # Xã Long Phú: 31639 main, 31480 other
    text = client.get(f"/establishments/{split.code}").text
    assert "(31639)" in text and 'id="other-parts"' in text and "(31480)" in text
    whole = add_establishment(name="Cơ sở Phường 5", commune_code="31498")
    text = client.get(f"/establishments/{whole.code}").text
    assert "Phường Sóc Trăng" in text and 'id="other-parts"' not in text


def test_setup_loads_the_2025_units_into_an_installation_without_them(runner, session):
    from sqlalchemy import delete

    session.execute(delete(CommuneCrosswalk))
    session.execute(delete(AdminUnit2025))
    session.commit()
    result = runner.invoke(args=["setup", "--demo-establishments", "0"])
    assert result.exit_code == 0, result.output
    assert "Loaded 3355 administrative units after 1 July 2025." in result.output
    assert queries.crosswalk_counts(session, "94") == {"one_new_commune": 100, "split": 8}
    again = runner.invoke(args=["setup", "--demo-establishments", "0"])
    assert again.exit_code == 0 and "after 1 July 2025" not in again.output


def test_cli_loads_the_crosswalk_of_the_whole_country(runner, session):
    from sqlalchemy import func

    result = runner.invoke(args=["admin-units", "load"])
    assert result.exit_code == 0, result.output
    assert "3355 units after 1 July 2025, 10597 crosswalk rows" in result.output
    legacy = session.exec(select(func.count(func.distinct(CommuneCrosswalk.legacy_code)))).one()
    split = session.exec(select(func.count(func.distinct(CommuneCrosswalk.legacy_code)))
                         .where(CommuneCrosswalk.is_split == True)).one()  # noqa: E712
    mains = session.exec(select(func.count()).select_from(CommuneCrosswalk).where(CommuneCrosswalk.is_main == True)).one()  # noqa: E712
    assert (legacy, split, mains) == (10035, 471, 10035)  # every legacy commune, one main part each
    assert queries.crosswalk_counts(session, "01")["one_new_commune"] + queries.crosswalk_counts(session, "01")["split"] \
        == queries.count_by_level(session, "01")["commune"]
