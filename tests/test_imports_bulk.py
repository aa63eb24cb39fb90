"""Imports written in batches: the same rows and codes as registering one at a time, one "import" event
for the additions and an "update" event per change; updates grouped by what they change; a refused
write leaves nothing; every bad cell still named."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlmodel import select

from surveyapp.establishments.services import register_establishment
from surveyapp.imports import services, writing
from surveyapp.models import AuditEvent, Boundary, Establishment, SurveyRecord, SurveyRound
from surveyapp.text import establishment_search_text

from .test_imports import csv_file, run_import, snapshot, xlsx_file

#: Establishment columns that say nothing about how a row was written.
INCIDENTAL = {"id", "code", "created_at", "updated_at"}


@pytest.fixture
def check(app, session):
    """check_file on a file written by csv_file/xlsx_file, in English, as the CLI and the page call it."""
    def check_path(path, round_code: str | None = None):
        data = path.read_bytes()
        with app.app_context(), force_locale("en"):
            return services.check_file(session, data, path.name, province_code="94", round_code=round_code), data

    return check_path


def columns_of(establishment: Establishment) -> dict:
    return {name: value for name, value in establishment.model_dump().items() if name not in INCIDENTAL}


def import_events(session) -> list[dict]:
    return [event.after for event in session.exec(select(AuditEvent).where(AuditEvent.action == "import")
                                                  .order_by(AuditEvent.id))]


def establishment_events(session, action: str) -> list[AuditEvent]:
    return session.exec(select(AuditEvent).where(AuditEvent.action == action,
                                                 AuditEvent.entity_type == "establishment")).all()


def test_a_new_row_is_written_as_register_establishment_writes_it(runner, session, tmp_path):
    header = ["establishment_code", "name", "owner", "address", "commune_code", "vsic_code", "legal_form", "lat", "lon",
              "tax_code", "phone", "year_started", "workers", "revenue_vnd", "capital_vnd", "status"]
    row = ["94-941-000900", "Cơ sở Bánh Pía Đặng", "Đặng Thị Út", "Ấp Phú Tân", "31498", "10710", "household_business",
           "9.6031234", "105.9745", "2200012345", "0299 3822 111", "1999", "12", "1234567000", "0", "closed"]
    assert run_import(runner, csv_file(tmp_path, [row], header=header)).exit_code == 0
    by_hand = register_establishment(
        session, name="Cơ sở Bánh Pía Đặng", owner="Đặng Thị Út", address="Ấp Phú Tân", commune_code="31498",
        vsic_code="10710", legal_form="household_business", lat=9.6031234, lon=105.9745, tax_code="2200012345",
        phone="0299 3822 111", year_started=1999, workers=12, revenue_vnd=1_234_567_000, capital_vnd=0,
        status="closed", code="94-941-000901")
    session.commit()
    session.expire_all()
    imported = session.exec(select(Establishment).where(Establishment.code == "94-941-000900")).one()
    assert columns_of(imported) == columns_of(session.get(Establishment, by_hand.id))
    # The import's one event stands for the establishments it adds (one "create" event each by hand).
    assert [event.entity_id for event in establishment_events(session, "create")] == ["94-941-000901"]
    assert [(event["file"], event["created"]) for event in import_events(session)] == [("list.csv", 1)]


def test_rows_without_a_code_get_the_next_codes_of_their_district_after_the_files_own(
        runner, session, tmp_path, add_establishment):
    add_establishment(name="Đã có")  # 94-941-000001
    rows = [["", "A", "", "31498", "1071", "HKD", "", "", "", ""],
            ["94-941-000500", "B", "", "31498", "1071", "HKD", "", "", "", ""],
            ["", "C", "", "31783", "0893", "HKD", "", "", "", ""],  # district 950
            ["", "D", "", "31501", "1071", "HKD", "", "", "", ""],
            ["94-950-000007", "E", "", "31783", "0893", "HKD", "", "", "", ""]]
    assert run_import(runner, csv_file(tmp_path, rows)).exit_code == 0
    session.expire_all()
    codes = {e.name: e.code for e in session.exec(select(Establishment))}
    assert codes == {"Đã có": "94-941-000001", "A": "94-941-000501", "B": "94-941-000500", "C": "94-950-000008",
                     "D": "94-941-000502", "E": "94-950-000007"}


def test_many_rows_in_several_batches_then_the_same_file_again(runner, session, tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "BATCH", 4)
    monkeypatch.setattr(services, "ANALYZE_AFTER", 5)  # PostgreSQL: ANALYZE inside the import's transaction
    rows = [["", f"Cơ sở {n}", f"Chủ {n}", "31498" if n % 2 else "31783", "1071", "HKD", "9.6", "105.97", str(n), ""]
            for n in range(11)]
    path = csv_file(tmp_path, rows)
    first = run_import(runner, path)
    assert first.exit_code == 0 and "11 added, 0 updated, 0 unchanged" in first.output
    session.expire_all()
    created = session.exec(select(Establishment).order_by(Establishment.code)).all()
    assert len({e.code for e in created}) == 11 and sorted(e.workers for e in created) == list(range(11))
    assert import_events(session)[0]["created"] == 11 and establishment_events(session, "create") == []
    before = snapshot(session)
    rows[3][8] = "99"  # one change: the rest unchanged
    second = run_import(runner, csv_file(tmp_path, rows))
    assert "0 added, 1 updated, 10 unchanged" in second.output
    assert len(snapshot(session)[0]) == 11 and snapshot(session) != before
    assert "0 added, 0 updated, 11 unchanged" in run_import(runner, csv_file(tmp_path, rows)).output
    changed = next(e.code for e in created if e.name == "Cơ sở 3")
    assert [event.entity_id for event in establishment_events(session, "update")] == [changed]


def test_updates_change_what_derives_from_the_changed_columns(runner, session, tmp_path, add_establishment):
    workers = add_establishment(name="Lò Gạch", owner="Ba", address="Ấp 1", workers=3)
    renamed = add_establishment(name="Tên Cũ", owner="Tư", address="Ấp Hòa Thuận", workers=5)
    moved = add_establishment(name="Muối", owner="Năm", address="Ấp 3", workers=2)
    session.expire_all()
    search_text = workers.search_text
    registered_at = {e.id: e.updated_at for e in session.exec(select(Establishment))}
    path = csv_file(tmp_path, [  # no address column: addresses stay, and stay in the search text
        [workers.code, "Lò Gạch", "Ba", "31498", "1071", "household_business", "", "", "4", ""],
        [renamed.code, "Tên Mới Đẹp", "Tư", "31498", "1071", "household_business", "", "", "5", ""],
        [moved.code, "Muối", "Năm", "31783", "1329", "household_business", "", "", "2", ""],
    ])
    result = run_import(runner, path)
    assert "0 added, 3 updated, 0 unchanged" in result.output
    session.expire_all()
    after = {e.id: e for e in session.exec(select(Establishment))}
    assert (after[workers.id].workers, after[workers.id].version) == (4, 2)
    assert after[workers.id].search_text == search_text
    assert after[renamed.id].search_text == establishment_search_text("Tên Mới Đẹp", "Tư", "Ấp Hòa Thuận")
    assert (after[moved.id].commune_code, after[moved.id].district_code, after[moved.id].province_code,
            after[moved.id].vsic_code, after[moved.id].sector) == ("31783", "950", "94", "1329", "C13")
    assert all(e.updated_at > registered_at[e.id] for e in after.values())
    events = {e.entity_id: e for e in session.exec(select(AuditEvent).where(AuditEvent.action == "update"))}
    assert events[renamed.code].before == {"name": "Tên Cũ"}
    assert events[renamed.code].after == {"name": "Tên Mới Đẹp", "import": "list.csv"}
    assert events[moved.code].before == {"vsic_code": "1071", "commune_code": "31498"}


def test_the_sessions_own_copies_are_read_again_after_the_import(check, session, tmp_path, add_establishment):
    existing = add_establishment(name="Cũ", workers=1)
    assert existing.workers == 1  # loaded in this session
    plan, data = check(csv_file(tmp_path, [[existing.code, "Cũ", "", "31498", "1071", "household_business", "", "",
                                           "8", ""]]))
    services.write_plan(session, plan, data, actor_id=None)
    assert (existing.workers, existing.version) == (8, 2)


def test_a_write_the_database_refuses_leaves_nothing(check, session, tmp_path):
    path = csv_file(tmp_path, [["", "Mới", "", "31498", "1071", "HKD", "", "", "", ""],
                               ["94-941-000777", "Có mã", "", "31498", "1071", "HKD", "", "", "", ""]])
    plan, data = check(path)
    assert plan.ok
    # Between the check and the write, someone registers the code the file gives.
    register_establishment(session, name="Nhanh tay", commune_code="31498", vsic_code="1071",
                           legal_form="household", code="94-941-000777")
    session.commit()
    with pytest.raises(services.ImportAborted) as refused:
        services.write_plan(session, plan, data, actor_id=None)
    assert "The database refused the import" in refused.value.errors[0].message
    session.rollback()
    assert [e.name for e in session.exec(select(Establishment))] == ["Nhanh tay"]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "import")).first() is None


def test_each_bad_cell_is_named_even_when_the_same_value_repeats(runner, tmp_path):
    rows = [["", f"Cơ sở {n}", "", "31498", "1071", "corporation", "", "", "", ""] for n in range(3)]
    result = run_import(runner, csv_file(tmp_path, rows))
    for row in (2, 3, 4):
        assert f"row {row}, column legal_form: Unknown legal form" in result.output
    assert "3 problems found" in result.output


def test_a_true_cell_is_not_taken_for_the_number_one(runner, session, tmp_path):
    rows = [["", "Một", "", 31498, 1071, "HKD", None, None, 1, None],
            ["", "Đúng", "", 31498, 1071, "HKD", None, None, True, None],
            ["", "Một nữa", "", 31498, 1071, "HKD", None, None, 1.0, None]]
    result = run_import(runner, xlsx_file(tmp_path, rows))
    assert "row 3, column I (workers): Enter a whole number" in result.output
    assert "1 problems found" in result.output
    rows.pop(1)
    assert run_import(runner, xlsx_file(tmp_path, rows)).exit_code == 0
    session.expire_all()
    assert [e.workers for e in session.exec(select(Establishment))] == [1, 1]


def test_points_are_checked_in_chunks(runner, session, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "GPS_CHUNK", 2)
    square = {"type": "Polygon",
              "coordinates": [[[105.9, 9.5], [106.0, 9.5], [106.0, 9.7], [105.9, 9.7], [105.9, 9.5]]]}
    session.add(Boundary(unit_code="941", level="district", geometry=square))
    session.commit()
    inside, outside = ("9.6", "105.97"), ("9.85", "106.25")
    points = [inside, outside, inside, ("", ""), outside]
    path = csv_file(tmp_path, [["", f"Cơ sở {n}", "", "31498", "1071", "HKD", lat, lon, "", ""]
                               for n, (lat, lon) in enumerate(points)])
    assert run_import(runner, path).exit_code == 0
    session.expire_all()
    flags = {e.name: e.gps_mismatch for e in session.exec(select(Establishment))}
    assert flags == {"Cơ sở 0": False, "Cơ sở 1": True, "Cơ sở 2": False, "Cơ sở 3": None, "Cơ sở 4": True}


def test_round_records_know_which_establishments_were_surveyed_in_another_round(
        runner, session, tmp_path, round_2019, add_establishment):
    surveyed = add_establishment(name="Đã điều tra 2018", workers=3)
    earlier = SurveyRound(code="2018", title="2018", questionnaire_id="cnnt-2018", questionnaire_version="2")
    session.add(earlier)
    session.flush()
    session.add(SurveyRecord(establishment_id=surveyed.id, round_id=earlier.id, status="approved"))
    session.commit()
    path = csv_file(tmp_path, [[surveyed.code, "Đã điều tra 2018", "", "31498", "1071", "household_business", "", "",
                                "3", ""],
                               ["", "Mới phát hiện", "", "31498", "1071", "household", "", "", "2", ""]])
    result = run_import(runner, path, "--round", "2019")
    assert result.exit_code == 0, result.output
    assert "2 new records" in result.output
    session.expire_all()
    visits = {record.establishment_id: record.answers["visit_type"]
              for record in session.exec(select(SurveyRecord).where(SurveyRecord.round_id == round_2019.id))}
    new = session.exec(select(Establishment).where(Establishment.name == "Mới phát hiện")).one()
    assert visits == {surveyed.id: "update", new.id: "new"}
    assert (session.get(Establishment, surveyed.id).latest_round_code, new.latest_round_code) == ("2019", "2019")
    assert "2 records already matching" in run_import(runner, path, "--round", "2019").output


def test_a_write_refused_half_way_keeps_the_rows_before_and_the_same_file_finishes_it(check, runner, session,
                                                                                      tmp_path, monkeypatch):
    monkeypatch.setattr(services, "WRITE_ROWS", 1)  # one row per transaction
    path = csv_file(tmp_path, [[f"94-941-00077{n}", f"Có mã {n}", "", "31498", "1071", "HKD", "", "", "", ""]
                               for n in range(3)])
    plan, data = check(path)
    # Between the check and the write, someone registers the code of the file's last row.
    register_establishment(session, name="Nhanh tay", commune_code="31498", vsic_code="1071",
                           legal_form="household", code="94-941-000772")
    session.commit()
    with pytest.raises(services.ImportAborted) as stopped:
        services.write_plan(session, plan, data, actor_id=None)
    assert stopped.value.written == 2
    assert "The 2 rows before it stay written" in stopped.value.errors[-1].message
    session.rollback()
    assert sorted(e.name for e in session.exec(select(Establishment))) == ["Có mã 0", "Có mã 1", "Nhanh tay"]
    assert [event["stopped_after_rows"] for event in import_events(session)] == [2]
    assert run_import(runner, path).exit_code == 0  # the last row now updates what took its code
    session.expire_all()
    assert sorted(e.name for e in session.exec(select(Establishment))) == ["Có mã 0", "Có mã 1", "Có mã 2"]
