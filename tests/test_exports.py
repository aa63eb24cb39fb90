"""Exports: each format read back equals the SQL query for the same filter; headers, injection, access, audit."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import geopandas as gpd
import pyogrio
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import text
from sqlmodel import select

from surveyapp.exports.columns import ESTABLISHMENT_COLUMNS
from surveyapp.models import AuditEvent, Boundary

KEYS = [column.key for column in ESTABLISHMENT_COLUMNS]
VI_HEADERS = [column.header_vi for column in ESTABLISHMENT_COLUMNS]
#: The export's columns straight from the database (the rest are names looked up or derived).
SQL = """
SELECT e.code AS establishment_code, e.name, e.owner, e.legal_form, e.vsic_code, e.sector,
       e.commune_code, c.name AS commune_name, e.district_code, d.name AS district_name, e.province_code,
       e.address, e.lat, e.lon, e.workers, e.revenue_vnd, e.capital_vnd, e.latest_round_code AS latest_round,
       e.latest_record_status AS record_status, e.status, e.tax_code, e.phone, e.year_started
FROM establishment e JOIN admin_unit c ON c.code = e.commune_code JOIN admin_unit d ON d.code = e.district_code
WHERE {where} ORDER BY e.code
"""
NUMERIC = {"lat": float, "lon": float, "workers": int, "revenue_vnd": int, "capital_vnd": int, "year_started": int}
FILTER = {"district": "947", "sector": "C10"}
WHERE = "e.district_code = :district AND e.sector = :sector"


def expected(session, where: str = WHERE, **params) -> list[dict]:
    return [dict(row._mapping) for row in session.execute(text(SQL.format(where=where)), params or FILTER)]


def typed(row: dict) -> dict:
    """A CSV row's text back to the database's types ('' → None, numbers parsed)."""
    result = {}
    for key, value in row.items():
        if value == "":
            result[key] = None
        elif key in NUMERIC:
            result[key] = NUMERIC[key](value)
        else:
            result[key] = value
    return result


def same_columns(got: list[dict], wanted: list[dict]) -> None:
    assert len(got) == len(wanted) > 0
    for row, want in zip(got, wanted):
        assert {key: row[key] for key in want} == want


def read_csv(data: bytes) -> tuple[list[str], list[dict]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(reader)
    return header, [typed(dict(zip(header, values))) for values in reader]


def test_csv_equals_the_sql_query(demo_client, demo_session):
    response = demo_client.get("/exports/establishments.csv", query_string=FILTER)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    header, rows = read_csv(response.data)
    assert header == KEYS
    same_columns(rows, expected(demo_session))
    assert {row["sector_name"] for row in rows} == {"Manufacture of food products"}
    assert {row["legal_form_name"] for row in rows} <= {"Small or medium enterprise (DNNVV)", "Cooperative (HTX)",
                                                        "Cooperative group (THT)", "Household business (HKD)",
                                                        "Household"}


def test_the_export_has_exactly_the_lists_rows(demo_client):
    """Same arguments as the list page, same establishments (the list's total and first page)."""
    args = {"district": "941", "legal_form": "household_business", "round": "2018", "q": "banh"}
    listing = demo_client.get("/establishments", query_string=args).text
    total = int(re.search(r'data-total="(\d+)"', listing).group(1))
    _header, rows = read_csv(demo_client.get("/exports/establishments.csv", query_string=args).data)
    assert len(rows) == total > 0
    first_page = re.findall(r'<td class="text-nowrap"><a href="/establishments/(94-\d{3}-\d{6})">', listing)
    assert [row["establishment_code"] for row in rows[:len(first_page)]] == first_page


def test_xlsx_equals_the_sql_query_and_is_formatted(demo_client, demo_session):
    response = demo_client.get("/exports/establishments.xlsx", query_string=FILTER)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet, about = workbook.worksheets
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == KEYS
    rows = [dict(zip(KEYS, row)) for row in values[1:]]
    same_columns(rows, expected(demo_session))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(KEYS))}{len(rows) + 1}"
    assert all(cell.font.b for cell in sheet[1])
    workers = sheet.cell(row=2, column=KEYS.index("workers") + 1)
    revenue = sheet.cell(row=2, column=KEYS.index("revenue_vnd") + 1)
    assert workers.data_type == "n" and isinstance(revenue.value, int) and revenue.number_format == "#,##0"
    assert sheet.column_dimensions["B"].width == 40
    facts = {row[0].strip(): row[1] for row in about.iter_rows(values_only=True)}
    assert facts["Rows"] == len(rows)
    assert facts["district"].startswith("947 – Huyện Mỹ Xuyên") and facts["sector"] == "C10"
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+07:00 \(Asia/Ho_Chi_Minh\)", facts["Exported at"])


def test_geojson_is_rfc7946_and_equals_the_sql_query(demo_client, demo_session):
    response = demo_client.get("/exports/establishments.geojson", query_string=FILTER)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    document = json.loads(response.data)
    assert document["type"] == "FeatureCollection" and "crs" not in document
    wanted = expected(demo_session)
    assert [feature["id"] for feature in document["features"]] == [row["establishment_code"] for row in wanted]
    first = document["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [wanted[0]["lon"], wanted[0]["lat"]]}
    frame = gpd.read_file(io.BytesIO(response.data))
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(wanted)
    assert list(frame["establishment_code"]) == [row["establishment_code"] for row in wanted]
    assert list(frame.geometry.x) == [row["lon"] for row in wanted]
    assert list(frame.geometry.y) == [row["lat"] for row in wanted]
    assert list(frame["workers"]) == [row["workers"] for row in wanted]


def test_geopackage_equals_the_sql_query(demo_client, demo_session, tmp_path):
    response = demo_client.get("/exports/establishments.gpkg", query_string=FILTER)
    assert response.status_code == 200
    assert re.search(r"filename=establishments_district-947_sector-C10_[\d-]+\.gpkg", response.headers["Content-Disposition"])
    path = tmp_path / "export.gpkg"
    path.write_bytes(response.data)
    frame = gpd.read_file(path, layer="establishments")
    wanted = expected(demo_session)
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(wanted)
    assert list(frame["establishment_code"]) == [row["establishment_code"] for row in wanted]
    assert list(frame.geometry.x) == [row["lon"] for row in wanted] and list(frame.geometry.y) == [row["lat"] for row in wanted]
    assert list(frame["revenue_vnd"]) == [row["revenue_vnd"] for row in wanted]
    assert [layer for layer, _kind in pyogrio.list_layers(path)] == ["establishments"]


def test_geopackage_adds_imported_district_boundaries(client, session, add_establishment, tmp_path):
    add_establishment(name="Cơ sở A", lat=9.60, lon=105.97)
    add_establishment(name="Cơ sở B")  # no GPS point: a row with an empty geometry
    square = {"type": "Polygon", "coordinates": [[[105.9, 9.5], [106.0, 9.5], [106.0, 9.7], [105.9, 9.7], [105.9, 9.5]]]}
    session.add(Boundary(unit_code="941", level="district", geometry=square, source_name="TP Sóc Trăng"))
    session.commit()
    data = client.get("/exports/establishments.gpkg").data
    path = tmp_path / "out.gpkg"
    path.write_bytes(data)
    assert dict(pyogrio.list_layers(path)) == {"establishments": "Point", "district_boundaries": "MultiPolygon"}
    points = gpd.read_file(path, layer="establishments")
    assert list(points["name"]) == ["Cơ sở A", "Cơ sở B"]
    assert points.geometry.iloc[0].x == 105.97 and points.geometry.iloc[1] is None
    districts = gpd.read_file(path, layer="district_boundaries")
    assert list(districts["code"]) == ["941"] and districts.crs.to_epsg() == 4326
    assert districts.geometry.iloc[0].area == pytest.approx(0.02)


def test_vietnamese_headers_and_names(demo_client, demo_session):
    header, rows = read_csv(demo_client.get("/exports/establishments.csv?district=947&sector=C10&headers=vi").data)
    assert header == VI_HEADERS
    assert {row["Tên ngành"] for row in rows} == {"Sản xuất, chế biến thực phẩm"}
    assert "Hộ kinh doanh (HKD)" in {row["Loại hình"] for row in rows}
    workbook = load_workbook(io.BytesIO(demo_client.get("/exports/establishments.xlsx?district=947&headers=vi").data))
    assert workbook.sheetnames == ["Cơ sở", "Thông tin"]
    assert [cell.value for cell in workbook["Cơ sở"][1]] == VI_HEADERS
    features = json.loads(demo_client.get("/exports/establishments.geojson?district=947&headers=vi").data)["features"]
    assert "Mã cơ sở" in features[0]["properties"]


def test_statuses_are_words_with_vietnamese_headers_and_codes_otherwise(demo_client):
    """People read a headers=vi file: statuses in words there; the English file keeps the codes programs read."""
    _header, rows = read_csv(demo_client.get("/exports/establishments.csv?district=947&headers=vi").data)
    assert {row["Trạng thái phiếu"] for row in rows} <= {"Nháp", "Đã gửi", "Trả lại", "Đã duyệt"}
    assert "Đã duyệt" in {row["Trạng thái phiếu"] for row in rows}
    assert {row["Tình trạng hoạt động"] for row in rows} <= {"Đang hoạt động", "Ngừng hoạt động", "Đã gộp"}
    workbook = load_workbook(io.BytesIO(demo_client.get("/exports/establishments.xlsx?district=947&headers=vi").data))
    sheet = workbook["Cơ sở"]
    column = [cell.value for cell in sheet[1]].index("Trạng thái phiếu")
    assert {row[column].value for row in sheet.iter_rows(min_row=2)} == {row["Trạng thái phiếu"] for row in rows}
    features = json.loads(demo_client.get("/exports/establishments.geojson?district=947&headers=vi").data)["features"]
    assert {f["properties"]["Trạng thái phiếu"] for f in features} == {row["Trạng thái phiếu"] for row in rows}
    _header, english = read_csv(demo_client.get("/exports/establishments.csv?district=947").data)
    assert {row["record_status"] for row in english} <= {"draft", "submitted", "returned", "approved"}
    assert {row["status"] for row in english} <= {"active", "closed", "merged"}


@pytest.fixture
def injected(session, add_establishment):
    establishment = add_establishment(name="=HYPERLINK(\"http://evil.example\",\"x\")", owner="+84 912 345 678",
                                      address="-2+3", phone="@SUM(1)", lat=9.6, lon=105.97)
    establishment.workers, establishment.revenue_vnd = -5, 1_500_000
    session.add(establishment)
    session.commit()
    return establishment


def test_formula_injection_is_neutralised_but_numbers_stay_numbers(client, injected):
    _header, (row,) = read_csv(client.get("/exports/establishments.csv").data)
    assert row["name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert row["owner"] == "'+84 912 345 678" and row["address"] == "'-2+3" and row["phone"] == "'@SUM(1)"
    assert row["workers"] == -5 and row["lat"] == 9.6
    sheet = load_workbook(io.BytesIO(client.get("/exports/establishments.xlsx").data)).worksheets[0]
    name = sheet.cell(row=2, column=KEYS.index("name") + 1)
    assert name.value == injected.name and name.data_type == "s" and name.quotePrefix
    workers = sheet.cell(row=2, column=KEYS.index("workers") + 1)
    assert workers.value == -5 and workers.data_type == "n"
    raw = client.get("/exports/establishments.xlsx").data
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")  # no formula anywhere


def test_file_names_carry_the_filter_and_the_date(demo_client):
    response = demo_client.get("/exports/establishments.csv?district=947&q=b%C3%A1nh+p%C3%ADa")
    disposition = response.headers["Content-Disposition"]
    assert re.search(r'filename="establishments_district-947_q-banh-pia_\d{4}-\d{2}-\d{2}\.csv"', disposition)
    everything = demo_client.get("/exports/establishments.xlsx").headers["Content-Disposition"]
    assert re.search(r"establishments_all_\d{4}-\d{2}-\d{2}\.xlsx", everything)


@pytest.mark.parametrize("query", ["district=9999", "district=999", "sector=Z99", "legal_form=corporation",
                                   "round=1999", "gps_mismatch=2", "headers=fr", "commune=31498&district=947",
                                   "q=" + "x" * 300])
def test_bad_filter_values_are_a_clear_400(demo_client, query):
    for fmt in ("csv", "xlsx", "geojson", "gpkg"):
        response = demo_client.get(f"/exports/establishments.{fmt}?{query}")
        assert response.status_code == 400, (fmt, query)
        assert "text/html" in response.content_type


def test_page_argument_is_ignored(demo_client):
    assert demo_client.get("/exports/establishments.csv?district=941&page=abc").status_code == 200


def test_unknown_format_is_404(demo_client):
    assert demo_client.get("/exports/establishments.xls").status_code == 404


def test_empty_result_gives_valid_empty_files(demo_client, tmp_path):
    query = "q=no-such-establishment-anywhere"
    header, rows = read_csv(demo_client.get(f"/exports/establishments.csv?{query}").data)
    assert header == KEYS and rows == []
    sheet = load_workbook(io.BytesIO(demo_client.get(f"/exports/establishments.xlsx?{query}").data)).worksheets[0]
    assert sheet.max_row == 1
    assert json.loads(demo_client.get(f"/exports/establishments.geojson?{query}").data)["features"] == []
    path = tmp_path / "empty.gpkg"
    path.write_bytes(demo_client.get(f"/exports/establishments.gpkg?{query}").data)
    frame = gpd.read_file(path)
    assert len(frame) == 0 and "establishment_code" in frame.columns


def test_enumerators_export_only_their_communes(client_as, round_2019, add_establishment):
    add_establishment(name="Của A", commune_code="31498")
    add_establishment(name="Của B", commune_code="31501")
    _header, rows = read_csv(client_as("enumerator").get("/exports/establishments.csv").data)
    assert [row["name"] for row in rows] == ["Của A"]
    _header, rows = read_csv(client_as("enumerator").get("/exports/establishments.csv?commune=31501").data)
    assert rows == []
    _header, rows = read_csv(client_as("analyst").get("/exports/establishments.csv").data)
    assert len(rows) == 2


def test_every_export_is_audited(client, session, add_establishment):
    add_establishment()
    add_establishment(name="Khác", commune_code="31501")
    client.get("/exports/establishments.xlsx?commune=31501&headers=vi")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.after == {"format": "xlsx", "filter": {"commune": "31501"}, "rows": 1, "headers": "vi",
                           "scoped": False}
    assert event.actor_id is not None and event.ip_address == "127.0.0.1"


def test_the_command_line_writes_the_same_file(client, runner, session, add_establishment, tmp_path):
    add_establishment(name="Cơ sở Một", workers=3)
    add_establishment(name="Cơ sở Hai", commune_code="31501")
    out = tmp_path / "list.csv"
    result = runner.invoke(args=["export", "--format", "csv", "--out", str(out), "--commune", "31501",
                                 "--headers", "vi"])
    assert result.exit_code == 0, result.output
    assert "Exported 1 establishments" in result.output
    assert out.read_bytes() == client.get("/exports/establishments.csv?commune=31501&headers=vi").data
    for fmt in ("xlsx", "geojson", "gpkg"):
        path = tmp_path / f"list.{fmt}"
        assert runner.invoke(args=["export", "--format", fmt, "--out", str(path)]).exit_code == 0
        assert path.stat().st_size > 0
    assert runner.invoke(args=["export", "--format", "gpkg", "--out", str(tmp_path / "list.gpkg")]).exit_code == 0
    assert len(gpd.read_file(tmp_path / "list.gpkg")) == 2  # written again, not appended
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.actor_id == None)).all()  # noqa: E711
    assert len(events) == 5 and events[0].after["file"].endswith("list.csv")


def test_the_command_line_refuses_bad_filters_clearly(runner, tmp_path):
    result = runner.invoke(args=["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--district", "99",
                                 "--sector", "Z1"])
    assert result.exit_code == 2
    assert "--district: District code must have 3 digits." in result.output
    assert "--sector: Unknown sector" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.csv").exists()
    unknown = runner.invoke(args=["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--filter", "colour=red"])
    assert unknown.exit_code == 2 and "use NAME=VALUE" in unknown.output


def test_the_command_line_takes_any_filter_argument(runner, add_establishment, tmp_path):
    add_establishment(name="Một")
    add_establishment(name="Hai", commune_code="31501")
    out = tmp_path / "x.csv"
    result = runner.invoke(args=["export", "--format", "csv", "--out", str(out), "--filter", "commune=31501"])
    assert result.exit_code == 0 and "Exported 1 establishments" in result.output



def test_xlsx_refuses_more_rows_than_a_worksheet_holds(client, add_establishment, monkeypatch, runner, tmp_path):
    from surveyapp.exports import services

    add_establishment()
    add_establishment(name="Hai")
    monkeypatch.setattr(services, "XLSX_MAX_ROWS", 1)
    client.set_cookie("lang", "en")
    response = client.get("/exports/establishments.xlsx")
    assert response.status_code == 400 and "export CSV" in response.text
    assert client.get("/exports/establishments.csv").status_code == 200
    result = runner.invoke(args=["export", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "do not fit in one worksheet" in result.output


def test_xlsx_escapes_markup_and_drops_characters_xml_cannot_hold(client, session, add_establishment):
    establishment = add_establishment(name="Bánh <pía> & \"Kẹo\" 'Ngon'", owner="Chủ\x01 cơ\x1f sở",
                                      address=" Ấp 3 > Ấp 4 ")
    session.execute(text("UPDATE establishment SET name = :name WHERE id = :id"),
                    {"name": "Tab\there\x0b & <b>", "id": add_establishment(name="Hai").id})
    session.commit()
    sheet = load_workbook(io.BytesIO(client.get("/exports/establishments.xlsx").data)).worksheets[0]
    rows = [dict(zip(KEYS, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(row["name"], row["owner"], row["address"]) for row in rows] == [
        (establishment.name, "Chủ cơ sở", establishment.address), ("Tab\there & <b>", None, None)]
    assert "\x01" in establishment.owner and establishment.address == " Ấp 3 > Ấp 4 "


def test_the_command_line_xlsx_has_the_web_files_content(client, runner, add_establishment, tmp_path):
    add_establishment(name="Cơ sở Một", workers=3)
    add_establishment(name="=Cơ sở Hai", commune_code="31501")
    path = tmp_path / "list.xlsx"
    assert runner.invoke(args=["export", "--format", "xlsx", "--out", str(path), "--headers", "vi"]).exit_code == 0
    from_cli = load_workbook(path)
    from_web = load_workbook(io.BytesIO(client.get("/exports/establishments.xlsx?headers=vi").data))
    assert from_cli.sheetnames == from_web.sheetnames == ["Cơ sở", "Thông tin"]
    cells = [[[(cell.value, cell.data_type, cell.number_format, cell.quotePrefix) for cell in row]
              for row in workbook.worksheets[0].iter_rows()] for workbook in (from_cli, from_web)]
    assert cells[0] == cells[1] and len(cells[0]) == 3
    facts = [dict(workbook.worksheets[1].iter_rows(values_only=True)) for workbook in (from_cli, from_web)]
    assert facts[0]["Số dòng"] == facts[1]["Số dòng"] == 2
    assert (facts[0]["Người xuất"], facts[1]["Người xuất"]) == ("dòng lệnh", "admin")
