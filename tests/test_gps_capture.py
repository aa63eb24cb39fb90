"""GPS judged at capture, server side: the record page carries what the phone judges with, and a saved
record keeps the flags the supervisor sees (accuracy worse than asked, point outside the district)."""
from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from surveyapp.geo.capture import GpsRules, capture_frame, gps_rules, outside_district
from surveyapp.geo.services import import_boundaries
from surveyapp.models import AdminUnit, SurveyRecord

from .geo_files import unit_cells, write
from .test_survey import minimal_submission, post_record

#: Sóc Trăng city (district 941), near Phường 5 (commune 31498).
HOME = {"location-lat": "9,6025", "location-lon": "105,9739"}


@pytest.fixture
def establishment(add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út", commune_code="31498")


@pytest.fixture
def districts(session, tmp_path):
    """District and commune outlines imported (Voronoi cells around the units' centres)."""
    for level in ("district", "commune"):
        import_boundaries(session, write(unit_cells(session, level), tmp_path / f"{level}.geojson"), level=level,
                          province_code="94")
    session.commit()


def elsewhere(session) -> dict[str, str]:
    """A point in the middle of another district of the province (Châu Thành, 942)."""
    other = session.get(AdminUnit, "942")
    return {"location-lat": f"{other.lat:.5f}".replace(".", ","), "location-lon": f"{other.lon:.5f}".replace(".", ",")}


def saved(session) -> SurveyRecord:
    session.expire_all()
    return session.exec(select(SurveyRecord)).one()


def frame_of(page_text: str) -> dict:
    found = re.search(r'<script type="application/json" id="gps-frame">(.*?)</script>', page_text, re.S)
    assert found, "the record page carries no #gps-frame"
    return json.loads(found.group(1))


def test_gps_rules_come_from_the_settings_and_the_question(app):
    assert gps_rules(app.config) == GpsRules(max_accuracy_m=10.0, tolerance_m=100.0)
    assert gps_rules({"GPS_MAX_ACCURACY_M": 25, "GPS_TOLERANCE_M": 50}) == GpsRules(25.0, 50.0)


def test_a_fix_less_accurate_than_asked_is_kept_and_flagged(client, session, round_2019, establishment):
    assert post_record(client, establishment.code, minimal_submission(**HOME, **{"location-accuracy": "150"}),
                       "submit").status_code == 302  # kept: the enumerator chose to, the server does not refuse
    record = saved(session)
    assert (record.gps_accuracy_m, record.gps_imprecise) == (150.0, True)
    assert record.gps_outside_district is None  # no boundaries imported: nothing to judge by


def test_a_precise_fix_is_not_flagged(client, session, round_2019, establishment):
    post_record(client, establishment.code, minimal_submission(**HOME, **{"location-accuracy": "5"}), "draft")
    assert saved(session).gps_imprecise is False


def test_the_accuracy_asked_for_follows_the_setting(app, client, session, round_2019, establishment):
    app.config["GPS_MAX_ACCURACY_M"] = 200
    post_record(client, establishment.code, minimal_submission(**HOME, **{"location-accuracy": "150"}), "draft")
    assert saved(session).gps_imprecise is False


def test_a_point_outside_the_declared_district_is_saved_and_flagged(client, session, round_2019, establishment,
                                                                    districts):
    away = minimal_submission(**elsewhere(session), **{"location-accuracy": "5"})
    assert post_record(client, establishment.code, away, "submit").status_code == 302
    record = saved(session)
    assert (record.gps_outside_district, record.gps_imprecise) == (True, False)


def test_a_point_inside_the_declared_district_is_not_flagged(client, session, round_2019, establishment, districts):
    post_record(client, establishment.code, minimal_submission(**HOME, **{"location-accuracy": "5"}), "draft")
    assert saved(session).gps_outside_district is False


def test_outside_district_allows_the_tolerance(session, districts):
    district = session.get(AdminUnit, "941")
    assert outside_district(session, "941", district.lat, district.lon, 100) is False
    other = session.get(AdminUnit, "942")
    assert outside_district(session, "941", other.lat, other.lon, 100) is True
    assert outside_district(session, "941", other.lat, other.lon, 1_000_000) is False
    assert outside_district(session, "999", other.lat, other.lon, 100) is None


def test_the_record_page_carries_the_province_the_district_and_the_limit(client, session, round_2019, establishment,
                                                                          districts):
    page = client.get(f"/survey/establishments/{establishment.code}/record?round=2019")
    assert page.status_code == 200
    assert 'data-max-accuracy="10"' in page.text
    frame = frame_of(page.text)
    assert frame["district"]["code"] == "941" and frame["district"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert frame["province"] == "Tỉnh Sóc Trăng" and len(frame["bounds"]) == 4 and frame["tolerance_m"] == 100
    levels = {(f["properties"]["level"], f["properties"]["code"]) for f in frame["outlines"]["features"]}
    assert ("district", "942") in levels and ("commune", "31498") in levels
    communes = {code for level, code in levels if level == "commune"}
    assert communes == {c.code for c in session.exec(select(AdminUnit).where(AdminUnit.parent_code == "941"))}
    assert frame["tiles"] is None


def test_the_record_page_without_boundaries_and_with_tiles(app, client, round_2019, establishment):
    app.config.update(MAP_TILES_URL="https://tiles.example.vn/{z}/{x}/{y}.png", MAP_TILES_ATTRIBUTION="© Bản đồ")
    page = client.get(f"/survey/establishments/{establishment.code}/record?round=2019")
    frame = frame_of(page.text)
    assert frame["district"] is None and frame["outlines"]["features"] == []
    assert frame["tiles"] == {"url": "https://tiles.example.vn/{z}/{x}/{y}.png", "attribution": "© Bản đồ"}
    assert "tiles.example.vn" in page.headers["Content-Security-Policy"]


def test_capture_frame_without_a_commune(session):
    frame = capture_frame(session, session.get(AdminUnit, "94"), None, GpsRules())
    assert frame["district"] is None and frame["bounds"] is not None


def test_the_supervisor_sees_the_flags_in_review_and_data_quality(client, client_as, session, round_2019,
                                                                  establishment, districts):
    away = minimal_submission(**elsewhere(session), **{"location-accuracy": "150"})
    post_record(client, establishment.code, away, "submit")
    record = saved(session)
    supervisor = client_as("supervisor")
    review = supervisor.get(f"/review/records/{record.uuid}")
    assert review.status_code == 200
    flags = review.text.split('id="gps-flags"', 1)[1].split("</div>", 1)[0]
    assert "±150 m" in flags.replace("150,0", "150") and "ngoài huyện của xã đã khai" in flags
    quality = supervisor.get("/data-quality/gps")
    table = quality.text.split('id="gps-flagged-records"', 1)[1].split("</table>", 1)[0]
    assert establishment.code in table and f"/review/records/{record.uuid}" in table
    assert "độ chính xác kém hơn yêu cầu" in table and "ngoài huyện đã khai" in table


def test_no_flag_no_listing(client, client_as, session, round_2019, establishment):
    post_record(client, establishment.code, minimal_submission(**HOME, **{"location-accuracy": "5"}), "submit")
    quality = client_as("supervisor").get("/data-quality/gps")
    assert 'id="no-flagged-records"' in quality.text
    assert 'id="gps-flags"' not in client_as("supervisor").get(f"/review/records/{saved(session).uuid}").text


def test_imports_capture_nothing_so_flag_nothing(app, session, round_2019, establishment, districts):
    from surveyapp.questionnaire.registry import registry
    from surveyapp.survey.services import definition_for, save_record

    with app.app_context():
        definition = definition_for(session, registry(), "cnnt-2019", "2")
    away = {"location": {"lat": session.get(AdminUnit, "942").lat, "lon": session.get(AdminUnit, "942").lon,
                         "accuracy": 150}}
    result = save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                         raw_answers=away, submit=False, actor_id=None, actor_role="admin")
    assert (result.record.gps_imprecise, result.record.gps_outside_district) == (None, None)
    flagged = save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                          raw_answers=away, submit=False, actor_id=None, actor_role="admin", base_uuid=result.record.uuid,
                          gps=GpsRules())
    assert (flagged.record.gps_imprecise, flagged.record.gps_outside_district) == (True, True)



def test_a_phone_sending_through_the_api_is_flagged_alike(anon_client, session, round_2019, establishment):
    from surveyapp.accounts.services import user_by_username
    from surveyapp.accounts.tokens import create_token

    _row, secret = create_token(session, user_by_username(session, "enumerator"), "Điện thoại", actor_id=None)
    session.commit()
    payload = {"uuid": "6f1c2b7e-0000-4000-8000-000000000150", "establishment_code": establishment.code,
               "round": "2019", "status": "submitted",
               "answers": minimal_submission(location={"lat": 9.6025, "lon": 105.9739, "accuracy": 150})}
    sent = anon_client.post("/api/v1/records", json=payload, headers={"Authorization": f"Bearer {secret}"})
    assert sent.status_code == 201, sent.get_json()
    assert saved(session).gps_imprecise is True
