"""Imports: every problem named by row and column, all or nothing, idempotent, round trips, the upload page."""
from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlmodel import select

from surveyapp.models import AuditEvent, Establishment, SurveyRecord

from .conftest import login

HEADER = ["establishment_code", "name", "owner", "commune_code", "vsic_code", "legal_form", "lat", "lon", "workers",
          "revenue_vnd"]
#: Everything an import may change, plus what must stay (version, records): equal snapshots = nothing changed.
SNAPSHOT = """SELECT code, name, owner, legal_form, tax_code, phone, year_started, vsic_code, sector, address,
       commune_code, district_code, province_code, lat, lon, status, workers, revenue_vnd, capital_vnd,
       latest_round_code, latest_record_status, search_text, version, updated_at FROM establishment ORDER BY code"""


def csv_file(tmp_path, rows: list[list], header: list[str] = HEADER, name: str = "list.csv", delimiter: str = ","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def xlsx_file(tmp_path, rows: list[list], header: list[str] = HEADER, name: str = "list.xlsx", title_rows: int = 0):
    workbook = Workbook()
    sheet = workbook.active
    for index in range(title_rows):
        sheet.append([f"Danh sách cơ sở – dòng tiêu đề {index + 1}"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def snapshot(session) -> tuple:
    session.expire_all()
    establishments = [tuple(row) for row in session.execute(text(SNAPSHOT))]
    records = [tuple(row) for row in session.execute(text(
        "SELECT uuid, status, version_number, is_current FROM survey_record ORDER BY uuid"))]
    return establishments, records


def run_import(runner, path, *options):
    return runner.invoke(args=["import", str(path), *options])


def test_every_problem_is_named_by_row_and_column_and_nothing_is_written(runner, session, tmp_path, add_establishment):
    add_establishment(name="Đã có")
    before = snapshot(session)
    path = csv_file(tmp_path, [
        ["94-941-000777", "Cơ sở mới", "", "31498", "1071", "household_business", "9.60", "105.97", "3", "1500000"],
        ["", "Sai xã", "", "99999", "1071", "household", "", "", "", ""],
        ["", "Sai ngành", "", "31498", "0111", "corporation", "", "", "", ""],
        ["", "Sai số", "", "31498", "1071", "HKD", "", "", "12,5", "-1"],
        ["", "Đảo tọa độ", "", "31498", "1071", "HKD", "105.97", "9.60", "", ""],
        ["", "Ngoài tỉnh", "", "31498", "1071", "HKD", "21.03", "105.85", "", ""],
        ["", "", "", "31498", "1071", "HKD", "", "", "", ""],
        ["94-941-1", "Mã sai", "", "31498", "1071", "HKD", "", "", "", ""],
        ["94-941-000777", "Trùng mã", "", "31498", "1071", "HKD", "", "", "", ""],
        ["", "Thiếu kinh độ", "", "31498", "1071", "HKD", "9.6", "", "", ""],
    ])
    result = run_import(runner, path)
    assert result.exit_code == 1
    output = result.output
    for line in [
        "row 3, column commune_code: Unknown commune: 99999 [99999]",
        "row 4, column vsic_code: VSIC division 01 is not an industrial division. [0111]",
        "row 4, column legal_form: Unknown legal form; use one of: enterprise, cooperative, cooperative_group, "
        "household_business, household. [corporation]",
        "row 5, column workers: Enter a whole number, e.g. 1500 or 1.500. [12,5]",
        "row 5, column revenue_vnd: Must be at least 0. [-1]",
        "row 6, column lat: Latitude and longitude look swapped (latitude 105.97, longitude 9.6). [105.97]",
        "row 7, column lat: The point 21.03, 105.85 is outside Tỉnh Sóc Trăng. [21.03]",
        "row 8, column name: Required.",
        "row 9, column establishment_code: An establishment code looks like 94-947-000123. [94-941-1]",
        "row 10, column establishment_code: The same establishment code is on row 2. [94-941-000777]",
        "row 11, column lon: Give both latitude and longitude, or neither.",
        "11 problems found: nothing was imported.",
    ]:
        assert line in output, line
    assert "row 2," not in output and "Traceback" not in output
    assert snapshot(session) == before
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "import")).first() is None


def test_problems_in_a_workbook_name_the_column_letter(runner, tmp_path):
    path = xlsx_file(tmp_path, [["", "A", "", 31498, 1071, "HKD", None, None, "nhiều", None]], title_rows=2)
    result = run_import(runner, path)
    assert "row 4, column I (workers): Enter a whole number" in result.output  # two title rows, then the header


def test_import_adds_updates_and_a_second_run_changes_nothing(runner, session, tmp_path, add_establishment):
    existing = add_establishment(name="Cơ sở Cũ", owner="Lê Văn Ba", commune_code="31501", vsic_code="1071")
    path = csv_file(tmp_path, [
        [existing.code, "Cơ sở Cũ", "Lê Văn Ba", "31501", "1061", "household_business", "9.6", "105.97", "7",
         "1.500.000"],
        ["94-941-000500", "Cơ sở Có Mã", "Trần Thị Tư", "31498", "1079", "HTX", "", "", "", ""],
        ["", "Cơ sở Không Mã", "Ngô Văn Năm", "31498", "1629", "Hộ gia đình", "", "", "2", ""],
    ])
    first = run_import(runner, path)
    assert first.exit_code == 0, first.output
    assert "Imported 3 rows" in first.output and "2 added, 1 updated, 0 unchanged" in first.output
    session.expire_all()
    updated = session.exec(select(Establishment).where(Establishment.code == existing.code)).one()
    assert (updated.vsic_code, updated.sector, updated.workers, updated.revenue_vnd, updated.lat) == \
        ("1061", "C10", 7, 1_500_000, 9.6)
    assert updated.version == 2
    coded = session.exec(select(Establishment).where(Establishment.code == "94-941-000500")).one()
    assert (coded.legal_form, coded.sector, coded.district_code) == ("cooperative", "C10", "941")
    uncoded = session.exec(select(Establishment).where(Establishment.name == "Cơ sở Không Mã")).one()
    assert uncoded.code == "94-941-000501"  # the next code of its district, after the one the file gave
    assert uncoded.legal_form == "household" and uncoded.status == "active"
    before = snapshot(session)
    second = run_import(runner, path)
    assert "0 added, 0 updated, 3 unchanged" in second.output
    assert snapshot(session) == before
    actions = [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("import") == 2 and actions.count("update") == 1
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.before == {"vsic_code": "1071", "lat": None, "lon": None, "workers": None, "revenue_vnd": None}
    assert event.after["import"] == "list.csv"


def test_dry_run_writes_nothing(runner, session, tmp_path):
    before = snapshot(session)
    path = csv_file(tmp_path, [["", "Mới", "", "31498", "1071", "HKD", "", "", "", ""]])
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0 and "would add 1, update 0" in result.output and "Dry run" in result.output
    assert snapshot(session) == before


def test_export_then_import_changes_nothing(client, runner, session, tmp_path, add_establishment):
    add_establishment(name="=1+2 Cơ sở", owner="+84 Chủ", address="-Ấp 1", phone="@x", lat=9.6031234, lon=105.97,
                      tax_code="2200012345", year_started=1999, workers=12, revenue_vnd=1_234_567_000,
                      capital_vnd=0)
    add_establishment(name="Cơ sở Trống", commune_code="31501", legal_form="enterprise", vsic_code="10204")
    add_establishment(name="Đã đóng", commune_code="31501", status="closed", owner="Lý Thị Sáu")
    before = snapshot(session)
    for query, name in (("", "export.csv"), ("headers=vi", "export_vi.csv"), ("", "export.xlsx"),
                        ("headers=vi", "export_vi.xlsx")):
        extension = name.rsplit(".", 1)[1]
        path = tmp_path / name
        path.write_bytes(client.get(f"/exports/establishments.{extension}?{query}").data)
        result = run_import(runner, path)
        assert result.exit_code == 0, result.output
        assert "0 added, 0 updated, 3 unchanged" in result.output, name
    assert snapshot(session) == before


def test_the_demo_census_round_trips_into_an_empty_registry(demo_client, client, runner, tmp_path):
    exported = demo_client.get("/exports/establishments.csv").data
    path = tmp_path / "demo.csv"
    path.write_bytes(exported)
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "3209 added, 0 updated, 0 unchanged" in result.output
    again = client.get("/exports/establishments.csv").data
    imported = ("establishment_code", "name", "owner", "legal_form", "vsic_code", "commune_code", "address", "lat",
                "lon", "workers", "revenue_vnd", "capital_vnd", "status", "tax_code", "phone", "year_started")

    def columns(data: bytes) -> list[tuple]:
        return [tuple(row[key] for key in imported) for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]

    assert columns(again) == columns(exported)
    assert "3209 unchanged" in run_import(runner, path).output


def test_vietnamese_headers_and_number_formats(runner, session, tmp_path):
    header = ["MÃ XÃ", "tên cơ sở", "Chu co so", "Mã ngành VSIC", "loai hinh", "Vĩ độ", "Kinh độ", "Số lao động",
              "Doanh thu (đồng)", "Vốn (đồng)", "Tình trạng hoạt động", "Ghi chú riêng"]
    path = csv_file(tmp_path, [
        ["31498", "Cơ sở Bánh Pía", "Đặng Thị Út", "1071", "Hộ kinh doanh (HKD)", "9,6031", "105,9745", "1.200",
         "1.500.000.000", "800 000 000", "Đang hoạt động", "x"],
        ["31501", "HTX Dệt chiếu", "Lâm Văn Sơn", "1329", "htx", "", "", "25", "2,000,000", "", "closed", ""],
    ], header=header, delimiter=";")
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Warning: Unknown columns ignored (1): Ghi chú riêng" in result.output
    session.expire_all()
    first, second = session.exec(select(Establishment).order_by(Establishment.code)).all()
    assert (first.legal_form, first.lat, first.lon, first.workers, first.revenue_vnd, first.capital_vnd) == \
        ("household_business", 9.6031, 105.9745, 1200, 1_500_000_000, 800_000_000)
    assert (second.legal_form, second.status, second.revenue_vnd, second.sector) == ("cooperative", "closed", 2_000_000, "C13")


def test_numbers_and_codes_typed_as_numbers_in_a_workbook(runner, session, tmp_path):
    path = xlsx_file(tmp_path, [["", "Muối Vĩnh Châu", None, 31783, 893, "THT", 9.33, 105.98, 4.0, 150000000]])
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    session.expire_all()
    salt = session.exec(select(Establishment)).one()
    assert (salt.commune_code, salt.vsic_code, salt.sector, salt.workers, salt.district_code) == \
        ("31783", "0893", "B08", 4, "950")


def test_rows_without_a_code_are_matched_by_commune_name_and_owner(runner, session, tmp_path, add_establishment):
    add_establishment(name="Lò Bánh", owner="An")
    add_establishment(name="lo banh", owner="an")  # the same after folding: ambiguous
    add_establishment(name="Xay Xát", owner="Bình")
    path = csv_file(tmp_path, [["", "Lò Bánh", "An", "31498", "1071", "HKD", "", "", "", ""],
                               ["", "XAY XAT", "binh", "31498", "1071", "HKD", "", "", "5", ""]])
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert "row 2, column name: 2 establishments of this commune have this name and owner" in result.output
    path = csv_file(tmp_path, [["", "XAY XAT", "binh", "31498", "1071", "HKD", "", "", "5", ""],
                               ["", "Xay xát", "Bình", "31498", "1071", "HKD", "", "", "6", ""]])
    result = run_import(runner, path)
    assert "row 3, column name: Same commune, name and owner as row 2" in result.output


def test_a_new_code_must_belong_to_the_communes_district(runner, tmp_path):
    path = csv_file(tmp_path, [["94-942-000001", "Sai huyện", "", "31498", "1071", "HKD", "", "", "", ""],
                               ["", "Sai tỉnh", "", "31498", "1071", "HKD", "", "", "", ""]],
                    header=["establishment_code", "name", "owner", "commune_code", "vsic_code", "legal_form", "district_code",
                            "province_code", "workers", "revenue_vnd"])
    result = run_import(runner, path)
    assert "row 2, column establishment_code: A new establishment code must start with 94-941-" in result.output


def test_district_and_province_columns_must_agree_with_the_commune(runner, tmp_path):
    header = ["name", "commune_code", "district_code", "province_code", "vsic_code", "legal_form"]
    path = csv_file(tmp_path, [["A", "31498", "942", "94", "1071", "HKD"], ["B", "31498", "941", "92", "1071", "HKD"]],
                    header=header)
    result = run_import(runner, path)
    assert "row 2, column district_code: Commune Phường 5 is not in district Huyện Châu Thành." in result.output
    assert "row 3, column province_code: Commune Phường 5 is in province 94." in result.output


def test_round_gives_each_establishment_an_approved_record(runner, session, tmp_path, round_2019, add_establishment):
    existing = add_establishment(name="Cũ", workers=4, revenue_vnd=300_000_000)
    path = csv_file(tmp_path, [
        [existing.code, "Cũ", "", "31498", "1071", "household_business", "9.6", "105.97", "4", "300000000"],
        ["", "Mới", "Chủ Mới", "31501", "1079", "household", "", "", "2", "50.000.000"],
    ])
    dry = run_import(runner, path, "--round", "2019", "--dry-run")
    assert "round 2019: 2 new records, 0 new versions, 0 records already matching" in dry.output
    result = run_import(runner, path, "--round", "2019")
    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated" in result.output
    session.expire_all()
    records = session.exec(select(SurveyRecord).order_by(SurveyRecord.id)).all()
    assert [(r.status, r.is_current, r.version_number) for r in records] == [("approved", True, 1)] * 2
    assert records[0].answers["workers_total"] == 4 and records[0].answers["revenue_million_vnd"] == 300
    assert records[0].answers["location"]["lat"] == 9.6 and records[0].review_comment == "Imported from list.csv"
    new = session.exec(select(Establishment).where(Establishment.name == "Mới")).one()
    assert (new.latest_round_code, new.latest_record_status) == ("2019", "approved")
    before = snapshot(session)
    again = run_import(runner, path, "--round", "2019")
    assert "0 new records, 0 new versions, 2 records already matching" in again.output
    assert snapshot(session) == before
    changed = csv_file(tmp_path, [[existing.code, "Cũ", "", "31498", "1071", "household_business", "9.6", "105.97",
                                   "9", "300000000"]], name="changed.csv")
    assert "0 new records, 1 new versions" in run_import(runner, changed, "--round", "2019").output
    session.expire_all()
    versions = session.exec(select(SurveyRecord).where(SurveyRecord.establishment_id == existing.id)
                            .order_by(SurveyRecord.version_number)).all()
    assert [(v.version_number, v.is_current, v.status) for v in versions] == [(1, False, "approved"), (2, True, "approved")]
    assert versions[1].supersedes == versions[0].uuid and versions[1].answers["workers_total"] == 9


def test_unknown_round_is_refused(runner, tmp_path):
    path = csv_file(tmp_path, [["", "A", "", "31498", "1071", "HKD", "", "", "", ""]])
    result = run_import(runner, path, "--round", "1999")
    assert result.exit_code == 1 and "Unknown survey round: 1999" in result.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.xlsx", b"this is not a workbook", "This is not a valid .xlsx file"),
    ("fake.xlsx", None, "This .xlsx file cannot be read"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97–2003 files (.xls) are not supported"),
    ("latin.csv", "name,commune_code\nCafé Sóc,31498\n".encode("latin-1"), "not UTF-8"),
    ("empty.csv", b"", "The file is empty."),
    ("notes.csv", b"hello\nworld\n", "No header row found"),
    ("list.txt", b"name,commune_code\n", "Only .xlsx and .csv files can be imported."),
    ("binary.csv", b"PK\x03\x04" + b"\x00" * 50, "This is not a CSV text file"),
    ("missing.csv", "name,commune_code\nA,31498\n".encode(), "Required columns are missing: vsic_code, legal_form."),
])
def test_unreadable_files_give_a_clear_message(runner, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:  # a real zip, but not a workbook
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "not a workbook")
    else:
        path.write_bytes(content)
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_size_and_row_limits(app, runner, tmp_path):
    rows = [["", f"Cơ sở {n}", "", "31498", "1071", "HKD", "", "", "", ""] for n in range(3)]
    path = csv_file(tmp_path, rows)
    app.config["IMPORT_MAX_ROWS"] = 2
    assert "more than 2 rows" in run_import(runner, path).output
    app.config["IMPORT_MAX_ROWS"] = 100
    app.config["IMPORT_MAX_BYTES"] = 100
    assert "larger than" in run_import(runner, path).output


# --- the upload page -------------------------------------------------------------------------------------------

@pytest.fixture
def uploads(app, tmp_path):
    folder = tmp_path / "uploads"
    app.config["IMPORT_UPLOAD_FOLDER"] = str(folder)
    return folder


def upload(client, path, round_code: str = "", **extra):
    return client.post("/imports", data={"file": (io.BytesIO(path.read_bytes()), path.name), "round": round_code,
                                         **extra}, content_type="multipart/form-data")


def test_upload_preview_then_confirm(client, session, uploads, tmp_path, round_2019):
    client.set_cookie("lang", "en")
    page = client.get("/imports")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert '<option value="2019">' in page.text
    path = xlsx_file(tmp_path, [["", "Cơ sở Tải Lên", "", 31498, 1071, "HKD", 9.6, 105.97, 3, 1500000]])
    before = snapshot(session)
    preview = upload(client, path, "2019")
    assert preview.status_code == 200
    assert 'id="plan-ok"' in preview.text and 'id="confirm-form"' in preview.text
    assert snapshot(session) == before  # the preview writes nothing
    token = re.search(r'action="/imports/([0-9a-f]{32})/confirm"', preview.text).group(1)
    assert sorted(path.name for path in uploads.iterdir()) == [f"{token}.data", f"{token}.json"]
    done = client.post(f"/imports/{token}/confirm", data={"round": "2019"})
    assert done.status_code == 302 and done.headers["Location"] == "/imports"
    assert "1 added" in client.get("/imports").text
    session.expire_all()
    created = session.exec(select(Establishment)).one()
    assert created.name == "Cơ sở Tải Lên" and created.latest_record_status == "approved"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.actor_id is not None and event.after["file"] == "list.xlsx" and event.after["round"] == "2019"
    assert list(uploads.iterdir()) == []  # the stored file is gone
    assert client.post(f"/imports/{token}/confirm", data={}).status_code == 404


def test_upload_lists_every_problem_and_offers_them_as_csv(client, session, uploads, tmp_path):
    rows = [["", f"Cơ sở {n}", "", "99999", "1071", "HKD", "", "", "", ""] for n in range(3)]
    preview = upload(client, csv_file(tmp_path, rows))
    assert preview.status_code == 422
    assert 'data-count="3"' in preview.text and 'id="confirm-form"' not in preview.text
    assert preview.text.count("Không tìm thấy xã có mã 99999") == 3
    token = re.search(r"/imports/([0-9a-f]{32})/problems.csv", preview.text).group(1)
    listing = client.get(f"/imports/{token}/problems.csv")
    assert listing.status_code == 200
    assert listing.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = listing.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,value,problem" and lines[1].startswith("2,commune_code,99999,")
    assert session.exec(select(Establishment)).first() is None


def test_upload_of_an_unreadable_file(client, uploads, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a workbook")
    response = upload(client, path)
    assert response.status_code == 422 and 'id="file-error"' in response.text
    assert list(uploads.iterdir()) == []


def test_upload_refuses_other_file_types_and_empty_forms(client, uploads, tmp_path):
    path = tmp_path / "list.ods"
    path.write_bytes(b"x")
    assert upload(client, path).status_code == 422
    assert client.post("/imports", data={}).status_code == 422


def test_upload_size_limit(app, client, uploads, tmp_path):
    app.config["IMPORT_MAX_BYTES"] = 50
    client.set_cookie("lang", "en")
    path = csv_file(tmp_path, [["", "Cơ sở rất dài " * 5, "", "31498", "1071", "HKD", "", "", "", ""]])
    response = upload(client, path)
    assert response.status_code == 413 and "The file is larger than" in response.text


def test_upload_and_confirm_refuse_a_missing_csrf_token(app, session, uploads, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    admin = login(app.test_client(), "admin")
    path = csv_file(tmp_path, [["", "Cơ sở CSRF", "", "31498", "1071", "HKD", "", "", "", ""]])
    refused = upload(admin, path, "2019")
    assert refused.status_code == 400 and 'id="error-summary"' in refused.text
    assert not uploads.exists() or list(uploads.iterdir()) == []
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', admin.get("/imports").text).group(1)
    preview = upload(admin, path, csrf_token=token)
    assert preview.status_code == 200
    upload_token = re.search(r'action="/imports/([0-9a-f]{32})/confirm"', preview.text).group(1)
    again = admin.post(f"/imports/{upload_token}/confirm", data={"round": ""})
    assert again.status_code == 400 and 'id="confirm-form"' in again.text
    assert session.exec(select(Establishment)).first() is None
    confirm_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', again.text).group(1)
    done = admin.post(f"/imports/{upload_token}/confirm", data={"round": "", "csrf_token": confirm_token})
    assert done.status_code == 302
    assert session.exec(select(Establishment)).one().name == "Cơ sở CSRF"


def test_imported_points_are_checked_against_the_boundaries(runner, session, tmp_path):
    from surveyapp.models import Boundary

    square = {"type": "Polygon", "coordinates": [[[105.9, 9.5], [106.0, 9.5], [106.0, 9.7], [105.9, 9.7], [105.9, 9.5]]]}
    session.add(Boundary(unit_code="941", level="district", geometry=square))
    session.commit()
    path = csv_file(tmp_path, [["", "Trong", "", "31498", "1071", "HKD", "9.6", "105.97", "", ""],
                               ["", "Ngoài", "", "31498", "1071", "HKD", "9.85", "106.25", "", ""],
                               ["", "Không GPS", "", "31498", "1071", "HKD", "", "", "", ""]])
    assert run_import(runner, path).exit_code == 0
    session.expire_all()
    flags = {e.name: e.gps_mismatch for e in session.exec(select(Establishment))}
    assert flags == {"Trong": False, "Ngoài": True, "Không GPS": None}


def test_many_unknown_columns_make_one_warning_with_a_few_names(app, runner, client, uploads, tmp_path):
    """10,000 columns nobody knows: one warning that counts them and names a few, not 10,000 lines."""
    app.config["IMPORT_MAX_COLUMNS"] = 20_000
    extra = [f"cot_{n}" for n in range(10_000)]
    path = csv_file(tmp_path, [["", "Cơ sở Rộng", "", "31498", "1071", "HKD", "", "", "", ""] + ["x"] * 10_000],
                    header=HEADER + extra)
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output[-500:]
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert warnings == ["Warning: Unknown columns ignored (10,000): cot_0, cot_1, cot_2, cot_3, cot_4, cot_5, cot_6, "
                        "cot_7, cot_8, cot_9, …"]
    page = upload(client, path)
    assert page.status_code == 200
    assert page.text.count("cột không dùng đến bị bỏ qua") == 1
    assert "10.000 cột không dùng đến bị bỏ qua: cot_0, cot_1," in page.text
