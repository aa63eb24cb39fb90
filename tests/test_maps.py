"""/maps/districts: values equal SQL for a filter, indicators, escaping, CSP and local assets, scope,
the fallback without boundaries, the standalone download; /maps/points: the view's points or grid
clusters, exactly the filter's establishments, bad input, scope, the indexes the SQL relies on;
GPS consistency and its data-quality page."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text
from sqlmodel import select

from surveyapp.demo.generator import generate_demo_census
from surveyapp.geo.gps import recheck_gps_mismatch
from surveyapp.geo.services import import_boundaries
from surveyapp.geo.viewport import cell_index
from surveyapp.models import AdminUnit, Establishment, SurveyRecord, SurveyRound

from .conftest import login
from .geo_files import unit_cells, write

ROW = re.compile(r'<tr data-code="(\d+)" data-value="([^"]*)" data-count="(\d+)">')


def table_values(response) -> dict[str, tuple[float | None, int]]:
    """The values table under the map: code → (value, establishments)."""
    return {code: (float(value) if value else None, int(count)) for code, value, count in ROW.findall(response.text)}


def choropleth_values(response) -> dict[str, float | None]:
    """The values inside the map script's GeoJSON, as Leaflet receives them."""
    data = json.loads(re.search(r"_add\((\{\"features\".*?\})\);\s", response.text, re.S).group(1))
    return {feature["id"]: feature["properties"]["value"] for feature in data["features"]}


def sql_by(session, unit: str, expression: str = "count(*)", where: str = "1=1", **params) -> dict[str, float]:
    sql = f"SELECT {unit}, {expression} FROM establishment WHERE {where} GROUP BY {unit}"
    rows = session.execute(text(sql), params)
    return {code: value for code, value in rows}


def script_of(response) -> str:
    return "\n".join(re.findall(r"<script nonce=\"[^\"]+\">(.*?)</script>", response.text, re.S))


@pytest.fixture
def census(app, session, tmp_path):
    """A small synthetic census with district boundaries imported (the test's own database)."""
    generate_demo_census(session, "94", 400, seed=7)
    session.commit()
    import_boundaries(session, write(unit_cells(session, "district"), tmp_path / "d.geojson"), level="district",
                      province_code="94")
    session.commit()
    return session


@pytest.mark.parametrize("args", [
    {}, {"sector": "C10"}, {"legal_form": "household_business", "district": "947"}, {"q": "co so"}, {"round": "2019"},
], ids=str)
def test_choropleth_values_equal_sql_counts(client, census, args):
    response = client.get("/maps/districts", query_string=args)
    assert response.status_code == 200
    where, params = ["1=1"], {}
    for key in ("sector", "legal_form", "district"):
        if key in args:
            where.append(f"{key if key != 'district' else 'district_code'} = :{key}")
            params[key] = args[key]
    if "q" in args:
        where.append("search_text LIKE '%co%' AND search_text LIKE '%so%'")
    if "round" in args:
        where.append("EXISTS (SELECT 1 FROM survey_record r JOIN survey_round s ON s.id = r.round_id "
                     "WHERE r.establishment_id = establishment.id AND s.code = :round)")
        params["round"] = args["round"]
    expected = sql_by(census, "district_code", where=" AND ".join(where), **params)
    assert expected and sum(expected.values()) > 0
    shown = table_values(response)
    assert len(shown) == 11
    assert {code: value for code, (value, _count) in shown.items() if value} == expected
    assert {code: value for code, value in choropleth_values(response).items() if value} == expected


def test_workers_revenue_and_sector_share_equal_sql(demo_client, demo_session):
    workers = sql_by(demo_session, "district_code", "sum(workers)")
    revenue = sql_by(demo_session, "district_code", "sum(revenue_vnd)")
    counts = sql_by(demo_session, "district_code")
    in_c16 = sql_by(demo_session, "district_code", "sum(CASE WHEN sector = 'C16' THEN 1 ELSE 0 END)")
    shown = table_values(demo_client.get("/maps/districts?indicator=workers"))
    assert {code: value for code, (value, _) in shown.items()} == workers
    assert {code: count for code, (_, count) in shown.items()} == counts
    shown = table_values(demo_client.get("/maps/districts?indicator=revenue"))
    in_millions = {code: int(value) / 1e6 for code, value in revenue.items()}  # PostgreSQL sums are Decimal
    assert {code: value for code, (value, _) in shown.items()} == pytest.approx(in_millions)
    shown = table_values(demo_client.get("/maps/districts?indicator=sector_share&share_of=c16"))
    assert {code: value for code, (value, _) in shown.items()} == pytest.approx(
        {code: 100 * int(in_c16[code]) / counts[code] for code in counts})


def test_certified_counts_the_latest_records_answer(client, session, add_establishment):
    rounds = {code: SurveyRound(code=code, title=code, questionnaire_id=f"cnnt-{code}", questionnaire_version="2")
              for code in ("2018", "2019")}
    session.add_all(rounds.values())
    session.flush()
    cases = [  # (commune, answers per round in order, counts as certified)
        ("31498", [("2018", "provincial")], True),
        ("31498", [("2018", "none")], False),
        ("31501", [("2018", "national"), ("2019", "none")], False),  # the latest record says none
        ("31501", [("2018", "none"), ("2019", "district")], True),
        ("31567", [], False),  # no record
    ]
    for commune, answers, _certified in cases:
        establishment = add_establishment(commune_code=commune)
        for round_code, level in answers:
            session.add(SurveyRecord(establishment_id=establishment.id, round_id=rounds[round_code].id,
                                     answers={"typical_product_level": level}, status="approved"))
            establishment.latest_round_code = round_code
        session.add(establishment)
    session.commit()
    shown = table_values(client.get("/maps/districts?indicator=certified"))
    assert shown["941"] == (2, 4) and shown["944"] == (0, 1)
    assert sum(value for value, _ in shown.values()) == 2
    assert table_values(client.get("/maps/districts?indicator=certified&round=2019"))["941"] == (1, 2)


def test_a_script_in_a_name_stays_text(client, session, add_establishment):
    evil = add_establishment(name='<script>alert("x")</script> {{ 7*7 }} </script><b>', commune_code="31498")
    evil.lat, evil.lon = 9.623, 105.984
    session.add(evil)
    session.commit()
    page = client.get("/maps/districts")
    assert 'alert("x")' not in page.text and "7*7" not in page.text  # points carry no text; popups are fetched
    popup = client.get(f"/maps/popup?id={evil.id}")
    assert popup.is_json and popup.json["name"] == evil.name and popup.json["code"] == evil.code
    standalone = client.get("/maps/districts/download").text
    assert "<script>alert" not in standalone and "</script><b>" not in standalone
    assert '\\u003cscript\\u003ealert(\\"x\\")\\u003c/script\\u003e {{ 7*7 }}' in standalone
    assert "49" not in re.findall(r"\\u003c/script\\u003e (.{0,12})", standalone)[0]


def test_the_map_page_references_nothing_outside_the_app(demo_client):
    response = demo_client.get("/maps/districts")
    page = response.text
    scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", page)
    styles = re.findall(r"<link[^>]*rel=\"stylesheet\"[^>]*href=\"([^\"]+)\"", page)
    assert any("leaflet.js" in src for src in scripts) and any("district_map.js" in src for src in scripts)
    assert any("leaflet.css" in href for href in styles) and any("district_map.css" in href for href in styles)
    assert "markercluster" not in page.lower()  # the page's points are clustered by the app, not the browser
    for url in scripts + styles:
        assert url.startswith("/") and not url.startswith("//"), url
    for marker in ("cdn.", "jsdelivr", "cloudflare", "bootstrapcdn", "code.jquery", "d3js", "http://", "https://"):
        assert marker not in page, marker
    for url in scripts + styles:
        assert demo_client.get(url).status_code == 200, url


def test_cdn_links_are_replaced_per_map_never_globally(demo_client):
    import folium
    from folium.plugins import MarkerCluster

    before = (list(folium.Map.default_js), list(folium.Map.default_css), list(MarkerCluster.default_js))
    assert demo_client.get("/maps/districts").status_code == 200
    assert (folium.Map.default_js, folium.Map.default_css, MarkerCluster.default_js) == before
    assert any("cdn.jsdelivr.net" in url for _, url in folium.Map.default_js)  # other maps keep Folium's own


def test_every_inline_script_carries_the_request_nonce(demo_client):
    response = demo_client.get("/maps/districts")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    inline = [attributes for attributes in re.findall(r"<script(?![^>]*\ssrc=)([^>]*)>", response.text)
              if 'type="application/json"' not in attributes]  # data, never executed
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert "L_NO_TOUCH" not in response.text  # Folium's own inline switches are left out of the page


def test_without_boundaries_circles_and_a_notice(demo_client):
    response = demo_client.get("/maps/districts")
    assert 'id="no-boundaries-notice"' in response.text
    assert script_of(response).count("L.circleMarker(") == 11
    assert "flask --app surveyapp boundaries import" in response.text
    communes = demo_client.get("/maps/districts?level=commune")
    assert script_of(communes).count("L.circleMarker(") == 108


def test_boundaries_give_11_shapes_and_no_notice(client, census):
    response = client.get("/maps/districts")
    assert 'id="no-boundaries-notice"' not in response.text
    assert len(choropleth_values(response)) == 11 and "L.circleMarker(" not in script_of(response)
    assert "SurveyMap.livePoints(" in script_of(response) and "SurveyMap.legend(" in script_of(response)
    assert "L.control.layers(" in script_of(response) and ".fitBounds(" in script_of(response)


@pytest.mark.parametrize("query", ["indicator=best", "share_of=Z99", "scheme=magic", "level=province", "district=999",
                                   "gps_mismatch=2"])
def test_bad_arguments_give_a_clear_400(demo_client, query):
    response = demo_client.get(f"/maps/districts?{query}")
    assert response.status_code == 400 and 'id="filter-errors"' in response.text
    assert demo_client.get(f"/maps/districts/download?{query}").status_code == 400


def test_enumerators_see_only_their_communes(client_as, round_2019, session, add_establishment):
    mine = add_establishment(name="Của tôi", commune_code="31498")
    theirs = add_establishment(name="Của người khác", commune_code="31501")
    other_district = add_establishment(name="Ở Mỹ Tú", commune_code="31567")
    points = ((mine, (9.623, 105.984)), (theirs, (9.626, 105.958)), (other_district, (9.63, 105.8)))
    for establishment, (lat, lon) in points:
        establishment.lat, establishment.lon = lat, lon
        session.add(establishment)
    session.commit()
    enumerator = client_as("enumerator")
    response = enumerator.get("/maps/districts")
    assert table_values(response)["941"] == (1, 1) and table_values(response)["944"] == (0, 0)
    assert re.search(r'data-points="(\d+)"', response.text).group(1) == "1"
    assert enumerator.get(f"/maps/popup?id={mine.id}").status_code == 200
    assert enumerator.get(f"/maps/popup?id={theirs.id}").status_code == 404
    assert enumerator.get("/maps/popup?id=abc").status_code == 404
    assert "Của người khác" not in enumerator.get("/maps/districts/download").text
    assert table_values(client_as("analyst").get("/maps/districts"))["941"] == (2, 2)
    province = f"/maps/points?bbox={PROVINCE_BOX}&zoom=9"
    assert ids_of(enumerator.get(province).json) == {mine.id}
    assert ids_of(enumerator.get(province + "&commune=31501").json) == set()
    assert ids_of(client_as("analyst").get(province).json) == {mine.id, theirs.id, other_district.id}


def test_the_page_fetches_its_points_and_a_download_embeds_them_up_to_a_cap(app, client, session,
                                                                           add_establishment):
    for commune in ("31498", "31501", "31504"):
        establishment = add_establishment(commune_code=commune)
        establishment.lat, establishment.lon = 9.61, 105.97
        session.add(establishment)
    session.commit()
    app.config["MAP_MAX_POINTS"] = 2
    page = client.get("/maps/districts?sector=C10")
    settings = json.loads(re.search(r"SurveyMap\.livePoints\(\w+, (\{.*?\})\);\n", page.text).group(1))
    assert settings["pointsUrl"] == "/maps/points?sector=C10" and settings["thousands"] == "."
    assert '"lat":[' not in page.text and "SurveyMap.points(" not in page.text  # no point is embedded
    assert re.search(r'data-points="(\d+)"', page.text).group(1) == "3" and table_values(page)["941"] == (3, 3)
    download = client.get("/maps/districts/download").text
    assert "SurveyMap.points(" not in download and "SurveyMap.livePoints(" not in download
    assert "Bản đồ trong ứng dụng hiển thị đầy đủ từng cơ sở." in download  # says why it has no points
    app.config["MAP_MAX_POINTS"] = 3
    download = client.get("/maps/districts/download").text
    assert "SurveyMap.points(" in download and "Bản đồ trong ứng dụng" not in download


def test_optional_tiles_and_their_host_in_the_policy(app, client):
    assert "L.tileLayer" not in client.get("/maps/districts").text  # default: no background, works offline
    app.config["MAP_TILES_URL"] = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    app.config["MAP_TILES_ATTRIBUTION"] = "© Example <contributors>"
    response = client.get("/maps/districts")
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in response.headers["Content-Security-Policy"]
    assert "L.tileLayer" in response.text and "https://{s}.tile.example.org/{z}/{x}/{y}.png" in response.text
    assert "<contributors>" not in response.text


def test_download_is_one_offline_file(client, census):
    response = client.get("/maps/districts/download?sector=C10")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert re.match(r'attachment; filename="map-district-establishments-\d{4}-\d\d-\d\d\.html"',
                    response.headers["Content-Disposition"])
    page = response.text
    assert not re.search(r"<script[^>]*\ssrc=", page) and not re.search(r"<link[^>]*stylesheet", page)
    assert not re.search(r"""(src=|url\(|@import)\s*["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    assert "L.markerClusterGroup" in page and "SurveyMap.points(" in page and "data:image/png;base64," in page
    assert '"details":{"code":[' in page  # popups work without the app
    assert "Sector: C10" in page or "Ngành: C10" in page  # the filter is written on the map


def test_popup_details(client, add_establishment):
    establishment = add_establishment(name="Cơ sở Bánh Pía", vsic_code="1071", legal_form="household_business")
    body = client.get(f"/maps/popup?id={establishment.id}").json
    assert body == {"code": establishment.code, "name": "Cơ sở Bánh Pía", "sector": "C10",
                    "legal_form": "household_business"}
    assert client.get("/maps/popup?id=999999").status_code == 404


# --- /maps/points: the establishments of a view ------------------------------------------------

#: west,south,east,north around Sóc Trăng province.
PROVINCE_BOX = "105.3,9.2,106.5,10.0"


def ids_of(answer: dict) -> set[int]:
    """Every establishment an answer shows one by one (points, and clusters' single cells)."""
    return {point[0] for point in answer["points"]}


def located_ids(session, where: str = "1=1", **params) -> set[int]:
    sql = (f"SELECT id FROM establishment WHERE lat IS NOT NULL AND lon IS NOT NULL AND status != 'merged' "
           f"AND {where}")
    return {row[0] for row in session.execute(text(sql), params)}


@pytest.mark.parametrize("args", [{}, {"sector": "C10"}, {"district": "947", "legal_form": "household_business"},
                                  {"q": "co so"}], ids=str)
def test_points_are_exactly_the_filtered_establishments(app, client, census, args):
    app.config["MAP_VIEW_POINTS"] = 10_000
    answer = client.get("/maps/points", query_string={**args, "bbox": PROVINCE_BOX, "zoom": "9"}).json
    where, params = ["1=1"], {}
    for key in ("sector", "legal_form", "district"):
        if key in args:
            where.append(f"{key if key != 'district' else 'district_code'} = :{key}")
            params[key] = args[key]
    if "q" in args:
        where.append("search_text LIKE '%co%' AND search_text LIKE '%so%'")
    expected = located_ids(census, " AND ".join(where), **params)
    assert expected and answer["kind"] == "points" and answer["total"] == len(expected)
    assert ids_of(answer) == expected
    point = answer["points"][0]
    row = census.execute(text("SELECT lat, lon FROM establishment WHERE id = :id"), {"id": point[0]}).one()
    assert point[1:] == [round(row.lat, 5), round(row.lon, 5)]


def grid_counts(session, level: int, box: list[float]) -> dict[tuple[int, int], int]:
    """Located establishments per cell of a grid level, in the cells the box touches, counted in Python."""
    west, south, east, north = box
    rows = (cell_index(south, 90, level), cell_index(north, 90, level))
    columns = (cell_index(west, 180, level), cell_index(east, 180, level))
    counts: dict[tuple[int, int], int] = {}
    for lat, lon in session.execute(text("SELECT lat, lon FROM establishment WHERE lat IS NOT NULL "
                                         "AND lon IS NOT NULL AND status != 'merged'")):
        cell = (cell_index(lat, 90, level), cell_index(lon, 180, level))
        if rows[0] <= cell[0] <= rows[1] and columns[0] <= cell[1] <= columns[1]:
            counts[cell] = counts.get(cell, 0) + 1
    return counts


@pytest.mark.parametrize("zoom, box", [
    (9, PROVINCE_BOX), (13, PROVINCE_BOX),  # grouped by the grid index's cells first
    (15, "105.93,9.55,106.03,9.65"),  # cells finer than the index's: grouped directly
])
def test_a_crowded_view_gives_grid_clusters_that_count_every_establishment(app, client, census, zoom, box):
    app.config["MAP_VIEW_POINTS"] = 10
    answer = client.get(f"/maps/points?bbox={box}&zoom={zoom}").json
    level = zoom + 2
    expected = grid_counts(census, level, [float(value) for value in box.split(",")])
    assert answer["kind"] == "clusters" and answer["total"] == sum(expected.values()) > 10
    shown = {(cell_index(lat, 90, level), cell_index(lon, 180, level)): count
             for count, lat, lon, _box in answer["clusters"]}
    shown.update({(cell_index(lat, 90, level), cell_index(lon, 180, level)): 1 for _id, lat, lon in answer["points"]})
    assert shown == expected  # one cluster per occupied cell, at its members' mean position
    assert ids_of(answer) <= located_ids(census)
    assert len(answer["points"]) == sum(1 for count in expected.values() if count == 1)
    for count, lat, lon, (south, west, north, east) in answer["clusters"]:
        assert count > 1 and south <= lat <= north and west <= lon <= east


def test_zooming_in_switches_clusters_to_points(app, client, census):
    app.config["MAP_VIEW_POINTS"] = 50
    assert client.get(f"/maps/points?bbox={PROVINCE_BOX}&zoom=9").json["kind"] == "clusters"
    lat, lon = census.execute(text("SELECT lat, lon FROM establishment WHERE lat IS NOT NULL LIMIT 1")).one()
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    answer = client.get(f"/maps/points?bbox={box}&zoom=15").json
    expected = located_ids(census, "lat BETWEEN :s AND :n AND lon BETWEEN :w AND :e",
                           s=lat - 0.01, n=lat + 0.01, w=lon - 0.01, e=lon + 0.01)
    assert 0 < len(expected) <= 50 and answer == {"kind": "points", "total": len(expected),
                                                  "points": sorted(answer["points"])}
    assert ids_of(answer) == expected
    # At the largest zoom a cluster could not open further: more points are shown one by one.
    app.config["MAP_VIEW_POINTS"] = 1
    assert client.get(f"/maps/points?bbox={box}&zoom=17").json["kind"] == "clusters"
    assert client.get(f"/maps/points?bbox={box}&zoom=18").json["kind"] == "points"
    app.config["MAP_VIEW_POINTS_AT_MAX_ZOOM"] = 1
    assert client.get(f"/maps/points?bbox={box}&zoom=18").json["kind"] == "clusters"


@pytest.mark.parametrize("query, argument", [
    ("zoom=9", "bbox"), (f"bbox={PROVINCE_BOX}", "zoom"), ("bbox=105,9,106&zoom=9", "bbox"),
    ("bbox=a,b,c,d&zoom=9", "bbox"), ("bbox=nan,9,106,10&zoom=9", "bbox"), ("bbox=106,9,105,10&zoom=9", "bbox"),
    ("bbox=105,-95,106,10&zoom=9", "bbox"), ("bbox=105,9,106,10&zoom=-1", "zoom"),
    ("bbox=105,9,106,10&zoom=19", "zoom"), ("bbox=105,9,106,10&zoom=9.5", "zoom"),
    ("bbox=-180,-90,180,90&zoom=18", "bbox"),  # millions of cells: refused, not computed
    (f"bbox={PROVINCE_BOX}&zoom=9&sector=Z99", "sector"), (f"bbox={PROVINCE_BOX}&zoom=9&district=999", "district"),
    (f"bbox={PROVINCE_BOX}&zoom=9&gps_mismatch=2", "gps_mismatch"),
])
def test_bad_view_or_filter_gives_a_clear_400(client, query, argument):
    response = client.get(f"/maps/points?{query}")
    assert response.status_code == 400 and response.is_json
    assert set(response.json["errors"]) == {argument} and response.json["errors"][argument]


def test_bad_bbox_message_says_what_is_expected(app):
    client = app.test_client()
    login(client, "analyst")
    client.set_cookie("lang", "en")
    assert client.get("/maps/points?bbox=1,2,3&zoom=9").json == {
        "errors": {"bbox": "bbox must be four numbers west,south,east,north in degrees."}}
    assert client.get(f"/maps/points?bbox={PROVINCE_BOX}&zoom=x").json["errors"]["zoom"] == \
        "zoom must be a whole number from 0 to 18."


def test_points_need_a_signed_in_reader(anon_client):
    response = anon_client.get(f"/maps/points?bbox={PROVINCE_BOX}&zoom=9")
    assert response.status_code in (302, 401)


def _plan(session, statement) -> list[str]:
    compiled = statement.compile(session.get_bind())
    rows = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), tuple(
        compiled.params[name] for name in compiled.positiontup))
    return [f"{row[1]} {row[3]}" for row in rows]  # "<parent> <detail>"


def test_sqlite_groups_a_province_from_the_map_indexes_without_sorting_its_rows(session, monkeypatch):
    """A million rows in well under a second: read from the covering indexes, grouped in their order."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's planner only")
    from surveyapp.establishments.filters import EstablishmentFilter
    from surveyapp.geo import queries
    from surveyapp.geo.viewport import View, cells_covering

    statements = []
    monkeypatch.setattr(session, "exec", lambda statement: statements.append(statement) or [])
    view = View(105.3, 9.2, 106.5, 10.0, 9)
    queries.clusters_in_cells(session, EstablishmentFilter(), None, cells_covering(view, view.level), 16)
    queries.totals_by_unit(session, EstablishmentFilter(), None, "commune")
    queries.points_in_view(session, EstablishmentFilter(), None, view, 1501)
    monkeypatch.undo()
    clusters, totals, points = (_plan(session, statement) for statement in statements)
    inner = next(line.split()[0] for line in clusters if "ix_establishment_map_grid" in line)
    assert any("COVERING INDEX ix_establishment_map_grid" in line for line in clusters)
    sorts = [line for line in clusters if "TEMP B-TREE" in line]
    assert len(sorts) == 1 and sorts[0].split()[0] != inner  # only the few fine cells are sorted
    assert any("COVERING INDEX ix_establishment_map_units" in line for line in totals)
    assert not any("TEMP B-TREE" in line for line in totals)
    assert any("COVERING INDEX ix_establishment_map_grid" in line for line in points)


# --- GPS consistency ----------------------------------------------------------------------------

def centroid(session, code: str) -> tuple[float, float]:
    unit = session.get(AdminUnit, code)
    return unit.lat, unit.lon


@pytest.fixture
def located(session, add_establishment):
    """Establishments declared in Phường 5 (31498, Thành phố Sóc Trăng) at various points."""
    places = {
        "home": centroid(session, "31498"),          # at its own commune
        "neighbour": centroid(session, "31501"),     # Phường 7: same district, another commune
        "far": centroid(session, "944"),             # in Huyện Mỹ Tú
        "nowhere": (None, None),                     # no GPS
        "sea": (9.0, 106.9),                         # outside every boundary
    }
    result = {}
    for key, (lat, lon) in places.items():
        establishment = add_establishment(name=key, commune_code="31498")
        establishment.lat, establishment.lon = lat, lon
        session.add(establishment)
        result[key] = establishment
    session.commit()
    return result


def flags(session, located) -> dict[str, bool | None]:
    session.expire_all()
    return {key: session.get(Establishment, e.id).gps_mismatch for key, e in located.items()}


def test_gps_mismatch_against_districts_then_communes(session, located, tmp_path):
    assert recheck_gps_mismatch(session, "94").checked == 0  # no boundaries: nothing to compare with
    assert set(flags(session, located).values()) == {None}
    import_boundaries(session, write(unit_cells(session, "district"), tmp_path / "d.geojson"), level="district",
                      province_code="94")
    summary = recheck_gps_mismatch(session, "94", chunk_size=2)  # several chunks
    session.commit()
    assert flags(session, located) == {"home": False, "neighbour": False, "far": True, "nowhere": None, "sea": True}
    assert (summary.checked, summary.outside, summary.unchecked) == (4, 2, 1)
    import_boundaries(session, write(unit_cells(session, "commune"), tmp_path / "c.geojson"), level="commune",
                      province_code="94")
    recheck_gps_mismatch(session, "94", chunk_size=3)
    session.commit()
    assert flags(session, located) == {"home": False, "neighbour": True, "far": True, "nowhere": None, "sea": True}
    again = recheck_gps_mismatch(session, "94")
    assert again.changed == 0
    # One establishment moved: only it is checked again.
    moved = located["far"]
    moved.lat, moved.lon = centroid(session, "31498")
    session.add(moved)
    session.commit()
    single = recheck_gps_mismatch(session, "94", establishment_ids=[moved.id])
    session.commit()
    assert (single.checked, single.changed) == (1, 1) and flags(session, located)["far"] is False


def test_gps_mismatch_filter_page_and_map(client, session, located, tmp_path):
    import_boundaries(session, write(unit_cells(session, "district"), tmp_path / "d.geojson"), level="district",
                      province_code="94")
    session.commit()
    recheck_gps_mismatch(session, "94")
    session.commit()
    listing = client.get("/establishments?gps_mismatch=1").text
    assert located["far"].code in listing and located["home"].code not in listing
    page = client.get("/data-quality/gps")
    assert page.status_code == 200
    assert re.search(r'id="gps-outside">2<', page.text) and re.search(r'id="gps-inside">2<', page.text)
    assert f'data-code="{located["far"].code}"' in page.text and f'data-code="{located["home"].code}"' not in page.text
    row = re.search(rf'data-code="{located["far"].code}".*?</tr>', page.text, re.S).group(0)
    assert "Huyện Mỹ Tú" in row  # where the point really lies
    shown = table_values(client.get("/maps/districts?gps_mismatch=1"))
    assert shown["941"] == (2, 2)


def test_admin_rechecks_from_the_page(client, client_as, session, located, tmp_path):
    import_boundaries(session, write(unit_cells(session, "district"), tmp_path / "d.geojson"), level="district",
                      province_code="94")
    session.commit()
    response = client.post("/data-quality/gps/check")
    assert response.status_code == 302
    assert flags(session, located)["far"] is True
    assert client_as("analyst").post("/data-quality/gps/check").status_code == 403


def test_an_import_through_the_page_rechecks_gps(client, session, located, tmp_path):
    import io
    data = write(unit_cells(session, "district"), tmp_path / "d.geojson").read_bytes()
    client.post("/admin/boundaries", content_type="multipart/form-data",
                data={"files": (io.BytesIO(data), "d.geojson"), "level": "district"})
    assert flags(session, located)["far"] is True
    assert session.exec(select(Establishment).where(Establishment.gps_mismatch == True)).all()  # noqa: E712
