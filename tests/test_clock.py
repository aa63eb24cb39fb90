"""One clock: every date and time a person sees or downloads is in the app's zone (Asia/Ho_Chi_Minh).

"Late in the evening" is 2026-12-05 22:20 UTC, already 06/12/2026 05:20 in Hà Nội: a record saved
then is saved, submitted, named and filtered on the 6th everywhere. The clock is frozen with
time-machine, which also stops `datetime.date.today()` and friends, so these tests catch code that
reads the server's own clock instead of `surveyapp.clock`.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from sqlmodel import select

from surveyapp import clock
from surveyapp.i18n import format_day, format_moment
from surveyapp.models import SurveyRecord

from .test_survey import minimal_submission, post_record

UTC = dt.timezone.utc
LATE_EVENING = dt.datetime(2026, 12, 5, 22, 20, tzinfo=UTC)
LOCAL_DAY = "2026-12-06"
SOURCE = Path(__file__).parents[1] / "surveyapp"


@pytest.fixture
def late_evening():
    """Frozen at 22:20 UTC (05:20 the next morning in Hà Nội); ticking, so waits still end."""
    with time_machine.travel(LATE_EVENING, tick=True):
        yield


@pytest.fixture
def establishment(add_establishment):
    return add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út", commune_code="31498",
                             vsic_code="1071", legal_form="household_business", address="Phường 5",
                             workers=4, revenue_vnd=900_000_000, lat=9.60251, lon=105.97391)


# --- the helper ------------------------------------------------------------------------------------

def test_to_local_takes_naive_utc_and_aware_datetimes_alike():
    naive = dt.datetime(2026, 12, 5, 22, 20)  # as SQLite gives it back
    aware = LATE_EVENING  # as PostgreSQL gives it back
    for value in (naive, aware, aware.astimezone(dt.timezone(dt.timedelta(hours=-5)))):
        local = clock.to_local(value)
        assert (local.isoformat(), local.tzinfo.key) == ("2026-12-06T05:20:00+07:00", "Asia/Ho_Chi_Minh")
    assert clock.to_local(None) is None
    assert clock.to_local(naive, "UTC").isoformat() == "2026-12-05T22:20:00+00:00"
    assert clock.local_day(naive) == dt.date(2026, 12, 6) and clock.local_day(dt.date(2026, 12, 5)) == dt.date(2026, 12, 5)
    assert clock.iso_local(naive) == "2026-12-06T05:20:00+07:00" and clock.iso_local(None) is None
    assert clock.day_start_utc(dt.date(2026, 12, 6)) == dt.datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def test_now_and_today_are_the_configured_zones(late_evening, app):
    assert clock.local_today() == dt.date(2026, 12, 6)  # no app context: the default zone
    assert clock.local_today("UTC") == dt.date(2026, 12, 5)
    with app.app_context():
        assert clock.local_now().isoformat(timespec="minutes") == "2026-12-06T05:20+07:00"
        app.config["BABEL_DEFAULT_TIMEZONE"] = "America/Bogota"
        assert clock.local_today() == dt.date(2026, 12, 5)
        assert clock.zone_name() == "America/Bogota"


#: Reading the clock anywhere but surveyapp/clock.py: today(), now() and utcnow() of datetime or date,
#: a ZoneInfo of its own, or the time module's local time.
CLOCK_READS = re.compile(
    r"\b(?:date|datetime)\.(?:today|now|utcnow|fromtimestamp|utcfromtimestamp)\(|\bZoneInfo\(|\btime\.(?:localtime|strftime|ctime)\(")


def test_nothing_reads_the_clock_but_the_helper():
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "clock.py" or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CLOCK_READS.search(line.split("#")[0]):
                offenders.append(f"{path.relative_to(SOURCE.parent)}:{number}: {line.strip()}")
    assert offenders == [], "read the clock through surveyapp.clock:\n" + "\n".join(offenders)


def test_the_check_would_see_a_new_today():
    for line in ("today = dt.date.today()", "now = datetime.datetime.now()", "x = datetime.now(ZoneInfo(z))",
                 "stamp = dt.datetime.utcnow()", "zone = ZoneInfo('Asia/Ho_Chi_Minh')"):
        assert CLOCK_READS.search(line), line
    assert not CLOCK_READS.search("record.updated_at = utcnow()")  # the models' UTC timestamp is the helper's


def test_javascript_reads_today_in_the_apps_zone():
    source = (SOURCE / "static" / "js" / "expressions.js").read_text(encoding="utf-8")
    assert "getDate()" not in source and "timeZone" in source


# --- pages -----------------------------------------------------------------------------------------

def test_format_day_shows_a_stored_time_on_its_local_day(app):
    with app.test_request_context("/"):
        for stored in (dt.datetime(2026, 12, 5, 22, 20), LATE_EVENING):
            assert (format_day(stored), format_moment(stored)) == ("06/12/2026", "06/12/2026 05:20")
        assert format_day(dt.date(2026, 12, 5)) == "05/12/2026"  # a date is a day already


def test_a_record_saved_late_in_the_evening_shows_one_day(late_evening, client, session, round_2019, establishment):
    assert post_record(client, establishment.code, minimal_submission(), "submit").status_code == 302
    first = session.exec(select(SurveyRecord)).one()
    post_record(client, establishment.code, minimal_submission(workers_total="8"), "submit", first.uuid)
    page = client.get(f"/establishments/{establishment.code}").text
    rows = re.findall(r'<tr class="[^"]*" id="record-[^"]+">(.*?)</tr>', page, re.S)
    assert len(rows) == 2  # both versions in the history
    for row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert cells[4:6] == ["06/12/2026 05:20", "06/12/2026"], cells  # Lưu lúc, Ngày gửi


def test_approved_on_is_the_local_day_too(late_evening, client_as, session, round_2019, establishment):
    post_record(client_as("enumerator"), establishment.code, minimal_submission(), "submit")
    record = session.exec(select(SurveyRecord)).one()
    approved = client_as("supervisor").post(f"/review/records/{record.uuid}/approve")
    assert approved.status_code in (302, 303), approved.text
    page = client_as("admin").get(f"/establishments/{establishment.code}").text
    row = re.search(rf'id="record-{record.uuid}">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", row, re.S)[4:7] == ["06/12/2026 05:20", "06/12/2026", "06/12/2026"]


def test_the_review_queue_and_audit_trail_are_local(late_evening, client, client_as, session, round_2019, establishment):
    post_record(client_as("enumerator"), establishment.code, minimal_submission(), "submit")
    assert "06/12/2026 05:20" in client_as("supervisor").get("/review").text
    audit = client.get("/admin/audit?entity_type=survey_record").text
    assert "06/12/2026 05:20" in audit and "05/12/2026" not in audit


def test_audit_dates_filter_on_local_days(late_evening, client, session, round_2019, establishment):
    post_record(client, establishment.code, minimal_submission(), "submit")
    total = lambda query: int(re.search(r'data-total="(\d+)"', client.get(f"/admin/audit?entity_type=survey_record&{query}").text).group(1))  # noqa: E731
    assert total("since=2026-12-06&until=2026-12-06") == 1
    assert total("until=2026-12-05") == 0 and total("since=2026-12-07") == 0


def test_today_in_a_rule_is_the_apps_today(late_evening, client, round_2019, establishment):
    """`. <= today()` on the registration date: the 6th is today in Sóc Trăng, not the future."""
    def registration_date_refused(day: str) -> bool:
        page = post_record(client, establishment.code, minimal_submission(
            visit_type="new", legal_form="enterprise", registration_date=day), "submit").text
        return "Ngày đăng ký không được sau ngày hôm nay" in page

    assert not registration_date_refused(LOCAL_DAY)
    assert registration_date_refused("2026-12-07")


def test_imports_take_the_local_year(runner, session, tmp_path):
    from .test_imports import HEADER, csv_file, run_import

    path = csv_file(tmp_path, [["", "Cơ sở mới năm mới", "", "31498", "1071", "household_business", "", "", "3", "",
                                "2027"]], header=[*HEADER, "year_started"])
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 20, tzinfo=UTC), tick=True):  # 1 January 2027 in Sóc Trăng
        result = run_import(runner, path, "--dry-run")
        assert result.exit_code == 0, result.output
        too_late = run_import(runner, csv_file(tmp_path, [["", "Cơ sở năm sau", "", "31498", "1071", "household_business",
                                                          "", "", "3", "", "2028"]], header=[*HEADER, "year_started"]))
    assert too_late.exit_code == 1 and "at most 2027." in too_late.output  # a year, not "2.027"


def test_the_api_gives_times_with_the_apps_offset(late_evening, anon_client, session, round_2019, establishment):
    from surveyapp.accounts.services import user_by_username
    from surveyapp.accounts.tokens import create_token

    _row, secret = create_token(session, user_by_username(session, "enumerator"), "Điện thoại", actor_id=None)
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    payload = {"uuid": "6f1f5b0e-8d7c-4c1e-9b1a-2f3e4d5c6b7a", "establishment_code": establishment.code,
               "round": "2019", "answers": minimal_submission(), "status": "submitted"}
    assert anon_client.post("/api/v1/records", json=payload, headers=headers).status_code == 201
    record = anon_client.get(f"/api/v1/records/{payload['uuid']}", headers=headers).json
    record = record.get("record", record)
    assert record["submitted_at"].startswith("2026-12-06T05:20") and record["submitted_at"].endswith("+07:00")
    assert record["created_at"].endswith("+07:00")
    listed = anon_client.get("/api/v1/establishments", headers=headers).json["establishments"][0]
    assert listed["updated_at"].endswith("+07:00")


# --- downloads -------------------------------------------------------------------------------------

def attachment_name(response) -> str:
    assert response.status_code == 200, response.text[:500]
    return re.search(r'filename="?([^";]+)', response.headers["Content-Disposition"]).group(1)


def test_every_download_is_named_for_the_local_day(late_evening, client, session, round_2019, establishment):
    names = {
        "map": attachment_name(client.get("/maps/districts/download")),
        "csv": attachment_name(client.get("/exports/establishments.csv")),
        "xlsx": attachment_name(client.get("/exports/establishments.xlsx")),
        "coverage": attachment_name(client.get("/coverage?round=2019&format=csv")),
        "report": attachment_name(client.get("/reports/districts.xlsx")),
        "promotion": attachment_name(client.get("/reports/promotion?from=2012&to=2022&format=xlsx")),
    }
    assert {kind: name for kind, name in names.items() if LOCAL_DAY not in name} == {}


def test_the_downloaded_map_says_the_local_day(late_evening, client, establishment):
    html = client.get("/maps/districts/download").text
    assert "06/12/2026" in html and "05/12/2026" not in html


def about_sheet(response) -> dict:
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[-1]
    return {str(row[0]).strip(): row[1] for row in sheet.iter_rows(values_only=True) if row[0]}, workbook


def test_spreadsheets_say_when_in_the_apps_zone(late_evening, client, establishment):
    export, workbook = about_sheet(client.get("/exports/establishments.xlsx"))
    assert export["Exported at"] == "2026-12-06 05:20 +07:00 (Asia/Ho_Chi_Minh)"
    assert workbook.properties.created == dt.datetime(2026, 12, 5, 22, 20)  # the file's own UTC stamp
    report, _ = about_sheet(client.get("/reports/districts.xlsx"))
    assert report["Thời điểm lập"] == "2026-12-06 05:20 +07:00 (Asia/Ho_Chi_Minh)"
    promotion, _ = about_sheet(client.get("/reports/promotion?from=2012&to=2022&format=xlsx"))
    assert promotion["Ngày lập"] == "2026-12-06 05:20 +07:00 (Asia/Ho_Chi_Minh)"


def test_the_promotion_report_years_default_to_the_local_year(late_evening, client):
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 20, tzinfo=UTC), tick=True):
        page = client.get("/promotion/projects").text
    assert "2027–2027" in page  # no project yet: this year, in Sóc Trăng


def test_pages_tell_the_browser_the_apps_zone(client):
    assert 'data-timezone="Asia/Ho_Chi_Minh"' in client.get("/").text


@pytest.mark.browser
def test_the_browser_reads_today_in_the_apps_zone(browser):
    """A phone set to UTC at 22:20 on the 5th: today() is the 6th, as on the server."""
    from surveyapp.questionnaire.expressions import parse

    context = browser.new_context(timezone_id="UTC")
    try:
        page = context.new_page()
        page.clock.set_fixed_time(LATE_EVENING)
        page.set_content('<html data-timezone="Asia/Ho_Chi_Minh"><body></body></html>')
        page.add_script_tag(path=str(SOURCE / "static" / "js" / "expressions.js"))
        ask = "(ast) => window.SurveyExpressions.evaluate(ast, () => null, null)"
        assert page.evaluate("() => new Date().getDate()") == 5  # the device's own day
        assert page.evaluate(ask, parse("today()")) == LOCAL_DAY
        assert page.evaluate(ask, parse("'2026-12-06' <= today()")) is True
        page.evaluate("() => document.documentElement.setAttribute('data-timezone', 'America/Bogota')")
        assert page.evaluate(ask, parse("today()")) == "2026-12-05"
    finally:
        context.close()
