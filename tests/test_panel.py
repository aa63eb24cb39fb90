"""The panel between two rounds, its list filter, its CSV/XLSX, and the promotion effect report (issue 17)."""
from __future__ import annotations

import csv
import json
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import select

from surveyapp.db import session_scope
from surveyapp.demo.generator import generate_demo_census
from surveyapp.demo.panel import SUPPORT_EFFECT, generate_panel_demo
from surveyapp.demo.promotion import generate_promotion_demo
from surveyapp.establishments.filters import EstablishmentFilter, read_filter
from surveyapp.establishments.queries import apply_filter, count_establishments
from surveyapp.models import Establishment, SurveyRecord, SurveyRound
from surveyapp.promotion.services import add_support, save_project
from surveyapp.reports import effect, panel, queries

from .conftest import PROVINCE, build_app, dispose, login

CATEGORIES = ("continuing", "new", "closed", "not_revisited")
EVERYONE = EstablishmentFilter()


def demo_panel_app(databases, template_url):
    """(app, url): the demo census with its promotion data and 2019 revisits, as `flask setup` makes it."""
    url = databases.copy(template_url)
    app = build_app(url)
    with app.app_context(), session_scope(app) as db_session:
        generate_demo_census(db_session, PROVINCE, 3209, seed=1)
        generate_promotion_demo(db_session, seed=1)
        generate_panel_demo(db_session, seed=1)
    return app, url


@pytest.fixture(scope="module")
def panel_app(databases, template_url):
    """The demo panel (demo_panel_app). Read-only."""
    app, url = demo_panel_app(databases, template_url)
    yield app
    dispose(app)
    databases.drop(url)


@pytest.fixture
def panel_session(panel_app):
    with session_scope(panel_app) as db_session:
        yield db_session
        db_session.rollback()


@pytest.fixture
def panel_client(panel_app):
    return login(panel_app.test_client(), "analyst")


def _sql_categories(session) -> dict[str, int]:
    """The four categories straight from their definitions, in plain SQL (not the app's queries)."""
    rows = session.execute(text("""
        SELECT e.id,
               (SELECT count(*) FROM survey_record r JOIN survey_round s ON s.id = r.round_id
                 WHERE r.establishment_id = e.id AND r.is_current AND s.code = '2018') AS earlier,
               (SELECT count(*) FROM survey_record r JOIN survey_round s ON s.id = r.round_id
                 WHERE r.establishment_id = e.id AND r.is_current AND s.code = '2019') AS later
        FROM establishment e WHERE e.status != 'merged'""")).all()
    closed = {row[0] for row in session.execute(select(SurveyRecord.establishment_id, SurveyRecord.answers)
                                                .join(SurveyRound).where(SurveyRound.code == "2019")).all()
              if row[1].get("operating_status") == "closed"}
    counts = dict.fromkeys(CATEGORIES, 0)
    for identifier, earlier, later in rows:
        if identifier in closed:
            counts["closed"] += 1
        elif earlier and later:
            counts["continuing"] += 1
        elif later:
            counts["new"] += 1
        elif earlier:
            counts["not_revisited"] += 1
    return counts


# --- The demo census ---------------------------------------------------------------------------------

def test_demo_panel_categories_add_up(panel_session):
    report = panel.panel_report(panel_session, PROVINCE, "2018", "2019", EVERYONE, None)
    counts = {category: cell.establishments for category, cell in report.total.cells.items()}
    either = panel_session.execute(text(
        "SELECT count(DISTINCT establishment_id) FROM survey_record WHERE is_current")).scalar()
    assert sum(counts.values()) == report.total.total("establishments") == either == 3209
    assert counts == _sql_categories(panel_session)
    assert counts == {"continuing": 2051, "new": 481, "closed": 120, "not_revisited": 557}
    for category in CATEGORIES:  # the list's filter selects exactly the establishments each figure counts
        wanted = EstablishmentFilter(panel=category, panel_from="2018", panel_to="2019")
        assert count_establishments(panel_session, wanted) == counts[category]
    # every row adds up too, and the rows add up to the total
    for row in report.rows + report.units:
        assert row.total("establishments") == sum(cell.establishments for cell in row.cells.values())
    assert sum(row.total("establishments") for row in report.rows) == 3209
    assert sum(row.total("workers_from") for row in report.units) == report.total.total("workers_from")


def test_demo_panel_workers_and_revenue_equal_the_records(panel_session):
    report = panel.panel_report(panel_session, PROVINCE, "2018", "2019", EVERYONE, None)
    sums = dict(panel_session.execute(text(
        "SELECT s.code, sum(r.answers_workers) FROM (SELECT round_id, "
        + ("CAST(answers->>'workers_total' AS INTEGER)" if panel_session.bind.dialect.name == "postgresql"
           else "CAST(json_extract(answers, '$.workers_total') AS INTEGER)")
        + " AS answers_workers FROM survey_record WHERE is_current) r JOIN survey_round s ON s.id = r.round_id "
          "GROUP BY s.code")).all())
    assert report.total.total("workers_from") == sums["2018"]
    assert report.total.total("workers_to") == sums["2019"]
    continuing = report.total.cells["continuing"]
    assert continuing.workers_to > continuing.workers_from  # the demo grows a little
    assert report.total.median_revenue_pct is not None and -5 < report.total.median_revenue_pct < 10


def _rows(report) -> dict[tuple[str, str], tuple]:
    return {(row.unit_code, row.sector): (row.cells, row.median_workers_pct, row.median_revenue_pct)
            for row in report.rows}


def test_a_filtered_panel_is_its_part_of_the_provinces(panel_session):
    """A filter (or an enumerator's communes) makes the records' pass read only its establishments' records:
    the figures are the province's rows for them, medians included."""
    def report(wanted, scope=None):
        return panel.panel_report(panel_session, PROVINCE, "2018", "2019", wanted, scope)

    province = report(EVERYONE)
    district = report(EstablishmentFilter(district="941"))
    (unit,) = [row for row in province.units if row.unit_code == "941"]
    assert district.total.total("establishments") > 100
    assert (district.total.cells, district.total.median_workers_pct, district.total.median_revenue_pct) == (
        unit.cells, unit.median_workers_pct, unit.median_revenue_pct)
    assert _rows(district) == {key: value for key, value in _rows(province).items() if key[0] == "941"}
    communes = set(panel_session.exec(select(Establishment.commune_code).where(Establishment.district_code == "941")))
    assert _rows(report(EVERYONE, communes)) == _rows(district)
    assert _rows(report(EstablishmentFilter(sector="C10"))) == {
        key: value for key, value in _rows(province).items() if key[1] == "C10"}
    years = effect.support_years(panel_session, "2018", "2019")
    cells = queries.effect_cells(panel_session, PROVINCE, "2018", "2019", years, EVERYONE, None)
    assert sorted(queries.effect_cells(panel_session, PROVINCE, "2018", "2019", years,
                                       EstablishmentFilter(district="941"), None)) == sorted(
        cell for cell in cells if cell[0] == "941")


def test_demo_revisits_leave_the_census_as_it_was(databases, template_url):
    """The census rows (and the promotion data) are the same with and without the revisits, which are seeded."""
    snapshots = []
    for with_panel in (False, True, True):
        url = databases.copy(template_url)
        app = build_app(url)
        with app.app_context(), session_scope(app) as db_session:
            generate_demo_census(db_session, PROVINCE, 300, seed=4)
            generate_promotion_demo(db_session, seed=4)
            if with_panel:
                generate_panel_demo(db_session, seed=4)
            db_session.flush()
            records = db_session.execute(select(SurveyRecord.uuid, SurveyRecord.answers)).all()
            first_records = sorted((record_uuid, json.dumps(answers, sort_keys=True)) for record_uuid, answers in records)
            revisits = [row for row in records if row[1].get("visit_type") == "update"]
            supports = db_session.execute(text("SELECT project_id, establishment_id FROM support ORDER BY 1, 2")).all()
            snapshots.append((first_records, revisits,
                              [tuple(row) for row in supports]))
        dispose(app)
        databases.drop(url)
    without, first, again = snapshots
    assert set(without[0]) < set(first[0]) and without[2] == first[2]  # census and promotion untouched
    assert first[0] == again[0]  # seeded
    assert len(without[1]) == 0 and len(first[1]) > 150  # revisits added


# --- A hand-made panel --------------------------------------------------------------------------------

def _round(session, code: str, start: dt.date) -> SurveyRound:
    survey_round = SurveyRound(code=code, title=f"Vòng {code}", questionnaire_id="cnnt-2019", questionnaire_version="2",
                               start_date=start, end_date=start + dt.timedelta(days=90))
    session.add(survey_round)
    session.flush()
    return survey_round


def _record(session, establishment, survey_round, workers=None, revenue_million=None, **answers) -> None:
    values = dict(answers)
    if workers is not None:
        values["workers_total"] = workers
    if revenue_million is not None:
        values["revenue_million_vnd"] = revenue_million
    session.add(SurveyRecord(establishment_id=establishment.id, round_id=survey_round.id, answers=values,
                             status="approved"))


@pytest.fixture
def hand_made(session, add_establishment):
    """Two rounds and seven establishments, one of each case (plus one without records, one old version)."""
    earlier, later = _round(session, "2018", dt.date(2018, 5, 1)), _round(session, "2019", dt.date(2019, 4, 1))
    made = {name: add_establishment(name=f"Cơ sở {name}", vsic_code=vsic)
            for name, vsic in (("A", "1071"), ("B", "1071"), ("C", "1071"), ("D", "1629"), ("E", "1071"),
                               ("F", "1071"), ("G", "1071"))}
    _record(session, made["A"], earlier, 10, 100.0)
    _record(session, made["A"], later, 12, 150.5, visit_type="update", operating_status="active")
    _record(session, made["B"], earlier, 4, 40)
    _record(session, made["B"], later, 4, 40, visit_type="update", operating_status="suspended")
    _record(session, made["G"], earlier, 5, 50)
    _record(session, made["G"], later, 4, 60, visit_type="update", operating_status="active")
    _record(session, made["C"], later, 3, 30, visit_type="new")
    _record(session, made["D"], earlier, 2, 20)
    _record(session, made["D"], later, visit_type="update", operating_status="closed")
    _record(session, made["E"], earlier, 7, 70)
    # F: no record at all (outside the panel); an old version of E's later record does not count
    session.add(SurveyRecord(establishment_id=made["E"].id, round_id=later.id, answers={"workers_total": 99},
                             is_current=False, status="draft"))
    session.commit()
    return made


def test_hand_made_panel(session, hand_made):
    report = panel.panel_report(session, PROVINCE, "2018", "2019", EVERYONE, None)
    total = report.total
    assert {category: cell.establishments for category, cell in total.cells.items()} == {
        "continuing": 3, "new": 1, "closed": 1, "not_revisited": 1}
    assert total.total("establishments") == 6  # F has no record: in neither round
    continuing = total.cells["continuing"]
    assert (continuing.workers_from, continuing.workers_to) == (19, 20)
    assert (continuing.revenue_from_vnd, continuing.revenue_to_vnd) == (190_000_000, 250_500_000)
    assert (total.cells["closed"].workers_from, total.cells["closed"].workers_to) == (2, 0)
    assert (total.cells["new"].workers_from, total.cells["new"].revenue_to_vnd) == (0, 30_000_000)
    assert total.cells["not_revisited"].workers_from == 7 and total.cells["not_revisited"].workers_to == 0
    assert total.median_workers_pct == pytest.approx(0.0)  # +20 %, 0 %, -20 %
    assert total.median_revenue_pct == pytest.approx(20.0)  # +50.5 %, 0 %, +20 %
    assert total.workers_growth_pct == pytest.approx(100 / 19)
    (unit,) = report.units
    assert (unit.unit_code, unit.median_revenue_pct, unit.median_workers_pct) == ("941", pytest.approx(20.0),
                                                                                 pytest.approx(0.0))
    assert report.rows[0].median_revenue_pct == pytest.approx(20.0)
    assert [(row.sector, row.total("establishments")) for row in report.rows] == [("C10", 5), ("C16", 1)]
    for category, expected in (("continuing", {"A", "B", "G"}), ("new", {"C"}), ("closed", {"D"}),
                               ("not_revisited", {"E"})):
        wanted = EstablishmentFilter(panel=category, panel_from="2018", panel_to="2019")
        names = session.exec(apply_filter(select(Establishment.name), wanted)).all()
        assert {name.removeprefix("Cơ sở ") for name in names} == expected, category
    lines = panel.csv_rows(report)
    assert len(lines) == 2 * 4 and sum(line[4] for line in lines) == 6
    assert ("941", "Thành phố Sóc Trăng", "C16", "closed", 1, 2, 0, 20_000_000, 0) in lines


def test_panel_by_the_communes_after_1_july_2025(client, session, hand_made):
    """With units=2025 the rows are the new communes (Phường 5 counts in Phường Sóc Trăng, 31507); the
    categories do not change, and each figure's list selects that new commune."""
    report = panel.panel_report(session, PROVINCE, "2018", "2019", EstablishmentFilter(units="2025"), None)
    assert [(unit.unit_code, unit.unit_name) for unit in report.units] == [("31507", "Phường Sóc Trăng")]
    assert {category: cell.establishments for category, cell in report.total.cells.items()} == {
        "continuing": 3, "new": 1, "closed": 1, "not_revisited": 1}
    assert ("31507", "Phường Sóc Trăng", "C16", "closed", 1, 2, 0, 20_000_000, 0) in panel.csv_rows(report)
    html = client.get("/reports/panel?from=2018&to=2019&units=2025").text
    assert "commune_2025=31507" in html and "district=941" not in html
    assert "theo xã, phường (từ 1/7/2025)" in html.lower() or "(từ 1/7/2025)" in html
    listed = client.get("/establishments?panel=closed&panel_from=2018&panel_to=2019&commune_2025=31507").text
    assert "Cơ sở D" in listed and "Cơ sở A" not in listed


def test_panel_filter_defaults_to_the_two_latest_rounds_and_rejects_nonsense(session, hand_made):
    parsed = read_filter(session, {"panel": "new"}, PROVINCE)
    assert (parsed.filter.panel, parsed.filter.panel_from, parsed.filter.panel_to) == ("new", "2018", "2019")
    assert parsed.errors == {}
    assert read_filter(session, {"panel": "gone"}, PROVINCE).errors.keys() == {"panel"}
    assert read_filter(session, {"panel": "new", "panel_from": "2017"}, PROVINCE).errors.keys() == {"panel_from"}
    backwards = read_filter(session, {"panel": "new", "panel_from": "2019", "panel_to": "2018"}, PROVINCE)
    assert backwards.errors.keys() == {"panel_to"} and backwards.filter.panel is None
    alone = read_filter(session, {"panel_from": "2018"}, PROVINCE)  # without a category the rounds mean nothing
    assert alone.errors == {} and alone.filter.is_empty()


def test_panel_list_export_and_page_links(client, hand_made):
    client.set_cookie("lang", "en")
    response = client.get("/establishments?panel=continuing")
    assert response.status_code == 200
    assert 'data-total="3"' in response.text
    assert 'id="panel-filter"' in response.text and "Continuing" in response.text
    assert 'href="/reports/panel?to=2019&amp;from=2018"' in response.text  # back to the panel
    assert '<input type="hidden" name="panel" value="continuing">' in response.text  # kept by the filter form
    exported = client.get("/exports/establishments.csv?panel=closed&panel_from=2018&panel_to=2019")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == "Cơ sở D"
    assert client.get("/establishments?panel=sometimes").status_code == 400

    page = client.get("/reports/panel?from=2018&to=2019")
    assert page.status_code == 200
    html = page.text
    for definition in panel.DEFINITIONS:
        assert str(definition[1]) in html
    assert 'id="count-continuing"><a href="/establishments?panel=continuing&amp;panel_from=2018&amp;panel_to=2019"' in html
    assert "sector=C16" in html and "district=941" in html
    assert "<svg" in html and 'id="panel-chart"' in html
    assert client.get("/reports/panel?from=2019&to=2018").status_code == 400
    assert client.get("/reports/panel?from=1990").status_code == 400


def test_panel_page_in_vietnamese(client, hand_made):
    html = client.get("/reports/panel").text
    assert "Tiếp tục hoạt động" in html and "Chưa khảo sát lại" in html
    assert "triệu đồng" in html


def test_panel_needs_two_rounds(client, session):
    response = client.get("/reports/panel")
    assert response.status_code == 200 and 'id="panel-problem"' in response.text


def test_report_panel_cli(runner, hand_made, tmp_path):
    out = tmp_path / "panel.csv"
    result = runner.invoke(args=["report", "panel", "--from", "2018", "--to", "2019", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "continuing 3, new 1, closed 1, not_revisited 1" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0]) == panel.CSV_COLUMNS == (
        "unit_code", "unit_name", "sector", "category", "establishments", "workers_from", "workers_to",
        "revenue_from_vnd", "revenue_to_vnd")
    assert sum(int(row[4]) for row in rows[1:]) == 6
    assert ["941", "Thành phố Sóc Trăng", "C10", "continuing", "3", "19", "20", "190000000", "250500000"] in rows

    workbook_path = tmp_path / "panel.xlsx"
    result = runner.invoke(args=["report", "panel", "--out", str(workbook_path), "--filter", "sector=C16"])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(workbook_path).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(values[0]) == panel.CSV_COLUMNS and len(values) == 1 + 4
    assert ["941", "Thành phố Sóc Trăng", "C16", "closed", 1, 2, 0, 20_000_000, 0] in values

    for bad in (["--out", str(tmp_path / "x.txt")], ["--from", "2019", "--to", "2018", "--out", str(out)],
                ["--out", str(out), "--filter", "sector=Z99"], ["--out", str(out), "--filter", "colour=red"]):
        result = runner.invoke(args=["report", "panel", *bad])
        assert result.exit_code == 2, (bad, result.output)


# --- Did support help? ------------------------------------------------------------------------------

def test_demo_effect_recovered(panel_session):
    years = effect.support_years(panel_session, "2018", "2019")
    assert years == (2018, 2019)
    report = effect.effect_report(panel_session, PROVINCE, "2018", "2019", years, EVERYONE, None)
    assert report.supported.establishments > 40 and report.comparable.establishments > 500
    # The demo adds +10 % workers and +15 % revenue on top of everyone's drift (about +3 %).
    assert report.workers.difference_pp == pytest.approx(100 * SUPPORT_EFFECT["workers"] * 1.03, abs=5)
    assert report.revenue.difference_pp == pytest.approx(100 * SUPPORT_EFFECT["revenue"] * 1.03, abs=5)
    assert abs(report.workers.comparable_growth_pct) < 6


def test_effect_page(panel_client):
    vietnamese = panel_client.get("/reports/promotion/effect")
    assert vietnamese.status_code == 200 and "Chênh lệch (điểm phần trăm)" in vietnamese.text
    panel_client.set_cookie("lang", "en")
    response = panel_client.get("/reports/promotion/effect?from=2018&to=2019")
    assert response.status_code == 200
    html = response.text
    assert "does not prove that support caused" in html
    assert 'id="effect-supported"' in html and "<svg" in html
    assert str(effect.DEFINITIONS[1][1]) in html
    assert panel_client.get("/reports/promotion/effect?from=2019&to=2018").status_code == 400


def test_hand_made_effect(session, hand_made):
    """A, G supported (C10 of district 941), B the only comparable: the effect is against B's growth."""
    save_project(session, code="KC-2018-1", title="Hỗ trợ máy", year=2018, level="local", activity="machinery",
                 state_support_vnd=1_000_000, beneficiary_contribution_vnd=0)
    save_project(session, code="KC-2015-1", title="Cũ", year=2015, level="local", activity="machinery",
                 state_support_vnd=1_000_000, beneficiary_contribution_vnd=0)
    for project, name in (("KC-2018-1", "A"), ("KC-2018-1", "G"), ("KC-2015-1", "B")):
        add_support(session, project_code=project, establishment_code=hand_made[name].code, state_support_vnd=1,
                    beneficiary_contribution_vnd=0)
    session.commit()
    report = effect.effect_report(session, PROVINCE, "2018", "2019", (2018, 2019), EVERYONE, None)
    assert (report.supported.establishments, report.comparable.establishments, report.unmatched) == (2, 1, 0)
    assert report.workers.supported_growth_pct == pytest.approx(100 * (16 - 15) / 15)
    assert report.workers.comparable_growth_pct == pytest.approx(0.0)  # B: 4 → 4
    assert report.revenue.supported_growth_pct == pytest.approx(100 * (210.5 - 150) / 150)
    assert report.revenue.difference_pp == pytest.approx(100 * (210.5 - 150) / 150)


def test_home_page_charts(demo_client):
    html = demo_client.get("/").text
    assert 'id="chart-districts"' in html and 'id="chart-sectors"' in html
    assert html.count('<svg viewBox') >= 2
    assert '<a href="/establishments?district=941">' in html and '<a href="/establishments?sector=C10">' in html
