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
    assert keys[-4:] == COLUMNS_2025 and keys[8:12] == LEGACY_UNIT_COLUMNS  # added at the end, the rest kept
    assert len(header) == 30
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
