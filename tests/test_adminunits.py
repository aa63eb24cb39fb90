"""Administrative units from the vietnamadminunits package."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlmodel import select

from surveyapp.adminunits import queries
from surveyapp.adminunits.services import load_admin_units
from surveyapp.models import AdminUnit

from .conftest import shared_file

SOC_TRANG_DISTRICTS = {
    "941": "Thành phố Sóc Trăng", "942": "Huyện Châu Thành", "943": "Huyện Kế Sách", "944": "Huyện Mỹ Tú",
    "945": "Huyện Cù Lao Dung", "946": "Huyện Long Phú", "947": "Huyện Mỹ Xuyên", "948": "Thị xã Ngã Năm",
    "949": "Huyện Thạnh Trị", "950": "Thị xã Vĩnh Châu", "951": "Huyện Trần Đề",
}
#: Communes per district, from the GSO list of 2025-01-04 quoted in the domain notes.
SOC_TRANG_COMMUNES = {"941": 9, "942": 8, "943": 13, "944": 9, "945": 8, "946": 11, "947": 11, "948": 8,
                      "949": 10, "950": 10, "951": 11}


def test_soc_trang_province_districts_and_communes(session):
    assert queries.count_by_level(session, "94") == {"province": 1, "district": 11, "commune": 108}
    province = session.get(AdminUnit, "94")
    assert province.name == "Tỉnh Sóc Trăng" and province.level == "province"
    districts = queries.districts_of_province(session, "94")
    assert {d.code: d.name for d in districts} == SOC_TRANG_DISTRICTS
    for code, expected in SOC_TRANG_COMMUNES.items():
        assert len(queries.communes_of_district(session, code)) == expected, code


def test_soc_trang_commune_types_codes_and_centroids(session):
    communes = queries.communes_of_province(session, "94")
    assert Counter(c.unit_type for c in communes) == {"Xã": 80, "Phường": 16, "Thị trấn": 12}
    assert min(c.code for c in communes) == "31498" and max(c.code for c in communes) == "31810"
    for commune in communes:
        assert commune.name.startswith(commune.unit_type)
        assert 9.24 <= commune.lat <= 9.94 and 105.54 <= commune.lon <= 106.34, commune.code
        assert commune.valid_to.isoformat() == "2025-07-01"


def test_every_soc_trang_commune_has_a_2025_successor_in_can_tho(session):
    communes = queries.communes_of_province(session, "94")
    assert all(c.successor_code for c in communes)
    assert {c.successor_province_code for c in communes} == {"92"}
    assert {c.successor_province_name for c in communes} == {"Thành phố Cần Thơ"}
    # 108 old communes became 43 new ones (GSO conversion); some were split between two.
    assert len({c.successor_code for c in communes}) <= 43
    assert any(c.successor_split for c in communes)
    ward5 = session.get(AdminUnit, "31498")
    assert ward5.name == "Phường 5" and ward5.successor_name == "Phường Sóc Trăng"


def test_reloading_changes_nothing(session):
    before = [unit.model_dump() for unit in session.exec(select(AdminUnit).order_by(AdminUnit.code))]
    summary = load_admin_units(session, "94")
    session.commit()
    after = [unit.model_dump() for unit in session.exec(select(AdminUnit).order_by(AdminUnit.code))]
    assert summary["inserted"] == 0 and summary["updated"] == 120
    assert after == before


def test_unknown_province_is_an_error(session):
    with pytest.raises(ValueError, match="Unknown province code: 99"):
        load_admin_units(session, "99")


def test_cli_loads_the_whole_country(runner, session):
    result = runner.invoke(args=["admin-units", "load"])
    assert result.exit_code == 0, result.output
    assert "63 provinces, 696 districts, 10035 communes" in result.output
    assert queries.count_by_level(session) == {"province": 63, "district": 696, "commune": 10035}
    assert session.get(AdminUnit, "01").name == "Thành phố Hà Nội"


def test_cli_reports_an_unknown_province(runner):
    result = runner.invoke(args=["admin-units", "load", "--province", "00"])
    assert result.exit_code != 0
    assert "Unknown province code: 00" in result.output


def test_commune_centroids_fall_inside_their_real_district_boundary(session):
    """Against the real district polygons in ../shared/geo (GPL data: read from there, never copied)."""
    from shapely.geometry import Point, shape

    collection = json.loads(shared_file("geo/soc_trang_districts.geojson").read_text(encoding="utf-8"))
    polygons = {str(f["properties"]["level2_id"]): shape(f["geometry"]) for f in collection["features"]}
    assert set(polygons) == set(SOC_TRANG_DISTRICTS)
    outside = [c.code for c in queries.communes_of_province(session, "94")
               if not polygons[c.parent_code].contains(Point(c.lon, c.lat))]
    assert outside == []
