"""Reports: every table equals its SQL GROUP BY, downloads as XLSX, charts are inline SVG, filters and scope apply."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, text

from surveyapp.db import get_engine


def sheet_rows(client, table: str, query: str = "") -> tuple[list, list[list], dict]:
    response = client.get(f"/reports/{table}.xlsx?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data))
    data, about = workbook.worksheets
    values = [list(row) for row in data.iter_rows(values_only=True)]
    assert all(cell.font.b for cell in data[1]) and data.freeze_panes == "A2"
    return values[0], values[1:], {row[0]: row[1] for row in about.iter_rows(values_only=True)}


def sql(session, query: str, **params) -> list[tuple]:
    return [tuple(row) for row in session.execute(text(query), params)]


def test_districts_table_equals_sql(demo_client, demo_session):
    demo_client.set_cookie("lang", "en")
    header, rows, about = sheet_rows(demo_client, "districts")
    assert header == ["Code", "District", "Establishments", "Workers", "Revenue (million VND)"]
    expected = {code: (count, workers, revenue) for code, count, workers, revenue in sql(demo_session, (
        "SELECT district_code, count(*), sum(workers), sum(revenue_vnd) FROM establishment GROUP BY district_code"))}
    *districts, total = rows
    assert len(districts) == 11
    for code, _name, count, workers, revenue in districts:
        assert (count, workers) == expected[code][:2]
        assert revenue == pytest.approx(expected[code][2] / 1_000_000)
    assert total[2] == 3209 and total[1] == "Total"
    assert about["Rows"] == 11 and about["Filter"] == "none"


def test_district_by_sector_tables_equal_sql(demo_client, demo_session):
    expected = {(district, sector): (count, workers) for district, sector, count, workers in sql(demo_session, (
        "SELECT district_code, sector, count(*), sum(workers) FROM establishment GROUP BY district_code, sector"))}
    for table, measure in (("district_sector_establishments", 0), ("district_sector_workers", 1)):
        header, rows, about = sheet_rows(demo_client, table)
        sectors = header[2:-1]
        assert sectors == sorted({sector for _district, sector in expected})
        assert about["C10"] == "Sản xuất, chế biến thực phẩm"  # the legend of sector codes
        *districts, total = rows
        for code, _name, *values in districts:
            *cells, row_total = values
            assert cells == [expected.get((code, sector), (0, 0))[measure] for sector in sectors]
            assert row_total == sum(cells)
        assert total[-1] == sum(value[measure] for value in expected.values())


def test_legal_form_mix_equals_sql(demo_client, demo_session):
    demo_client.set_cookie("lang", "en")
    header, rows, _about = sheet_rows(demo_client, "legal_forms")
    assert header == ["Legal form", "Establishments", "Share (%)", "Workers", "Revenue (million VND)",
                      "Capital (million VND)"]
    expected = sql(demo_session, "SELECT legal_form, count(*) FROM establishment GROUP BY legal_form ORDER BY 2 DESC")
    *forms, total = rows
    assert [row[1] for row in forms] == [count for _form, count in expected]
    assert forms[0][0] == "Household business (HKD)"
    assert sum(row[2] for row in forms) == pytest.approx(100)
    assert total[1] == 3209


def test_round_coverage_equals_sql(demo_client, demo_session):
    _header, rows, _about = sheet_rows(demo_client, "round_coverage")
    expected = {}
    for round_code, district, status, count in sql(demo_session, (
            "SELECT s.code, e.district_code, r.status, count(*) FROM survey_record r "
            "JOIN establishment e ON e.id = r.establishment_id JOIN survey_round s ON s.id = r.round_id "
            "WHERE r.is_current GROUP BY s.code, e.district_code, r.status")):
        expected.setdefault((round_code, district), {})[status] = count
    registered = dict(sql(demo_session, "SELECT district_code, count(*) FROM establishment GROUP BY district_code"))
    by_district = [row for row in rows if row[1]]
    assert {(row[0], row[1]) for row in by_district} == {(round_code, district) for round_code in ("2018", "2019")
                                                         for district in registered}
    for round_code, code, _name, to_visit, records, *statuses, approval_rate, coverage, approved_coverage in by_district:
        counts = expected.get((round_code, code), {})
        draft, submitted, returned, approved = statuses
        assert to_visit == registered[code]
        assert statuses == [counts.get(s, 0) for s in ("draft", "submitted", "returned", "approved")]
        assert records == sum(counts.values())
        assert approval_rate == (round(100 * approved / records, 1) if records else None)
        assert coverage == round(100 * (submitted + returned + approved) / to_visit, 1)
        assert approved_coverage == round(100 * approved / to_visit, 1)
    totals = {row[0]: row for row in rows if not row[1]}
    assert set(totals) == {"2018", "2019"}
    assert totals["2018"][4] + totals["2019"][4] == 3209


def test_the_page_shows_every_table_and_svg_charts(demo_client):
    response = demo_client.get("/reports")
    assert response.status_code == 200
    page = response.text
    for key in ("districts", "district_sector_establishments", "district_sector_workers", "legal_forms",
                "round_coverage"):
        assert f'id="report-{key}"' in page and f'href="/reports/{key}.xlsx"' in page
    charts = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(charts) == 2
    assert charts[0].count("<rect") == 11 and 'role="img"' in charts[0]
    assert "Thành phố Sóc Trăng" in charts[0]
    assert not re.search(r"(src|href)=\"https?:", page)  # nothing from elsewhere
    assert "<script>" not in page  # no inline script: the CSP holds
    assert "3.209" in page  # Vietnamese thousands separator
    assert "triệu đồng" in page


def test_reports_are_computed_in_sql_whatever_the_number_of_rows(demo_app, app, demo_client, client, add_establishment):
    """The same number of statements for 3,209 establishments as for 2: aggregates, never rows one by one."""
    add_establishment()
    add_establishment(commune_code="31501")

    def statements(some_app, some_client) -> list[str]:
        seen: list[str] = []
        engine = get_engine(some_app)
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert some_client.get("/reports").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return seen

    large, small = statements(demo_app, demo_client), statements(app, client)
    assert len(large) == len(small) < 30
    assert not any("establishment.name" in statement for statement in large)


def test_the_filter_applies_and_bad_values_are_a_400(demo_client, demo_session):
    demo_client.set_cookie("lang", "en")
    _header, rows, about = sheet_rows(demo_client, "districts", "district=947&sector=C10")
    (row, total) = rows
    assert row[0] == "947" and row[2] == sql(demo_session, "SELECT count(*) FROM establishment "
                                                           "WHERE district_code = '947' AND sector = 'C10'")[0][0]
    assert about["Filter"] == "district=947, sector=C10"
    page = demo_client.get("/reports?district=947&round=2019")
    assert page.status_code == 200 and "district=947" in page.text
    assert demo_client.get("/reports?district=9999").status_code == 400
    assert demo_client.get("/reports/districts.xlsx?sector=Z1").status_code == 400
    assert demo_client.get("/reports/nothing.xlsx").status_code == 404


def test_enumerators_see_only_their_communes(client_as, round_2019, add_establishment):
    add_establishment(name="Của A", commune_code="31498", workers=3)
    add_establishment(name="Của B", commune_code="31501", workers=5)
    enumerator = client_as("enumerator")
    enumerator.set_cookie("lang", "en")
    _header, rows, about = sheet_rows(enumerator, "districts")
    assert rows == [["941", "Thành phố Sóc Trăng", 1, 3, 0], [None, "Total", 1, 3, 0]]
    assert about["Limited to your communes"] == "31498"
    assert "Của B" not in enumerator.get("/reports").text
    _header, rows, _about = sheet_rows(client_as("analyst"), "districts")
    assert rows[-1][2:4] == [2, 8]
