"""Fieldwork figures: one definition each, the same numbers on /, /reports, /coverage and its CSV.

Approval rate = approved ÷ records; coverage = establishments with a record handed in ÷ establishments
to visit; approved coverage = establishments with an approved record ÷ establishments to visit.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from surveyapp.models import SurveyRecord, SurveyRound
from surveyapp.progress.figures import RoundCounts, percent

COUNTS = ("to_visit", "records", "draft", "submitted", "returned", "approved")
RATES = ("approval_rate", "coverage", "approved_coverage")
#: The 2019 round made by `hand_made_round`, province-wide and per commune (one commune per district).
EXPECTED = {
    None: {"to_visit": 10, "records": 8, "draft": 2, "submitted": 2, "returned": 1, "approved": 3,
           "approval_rate": 37.5, "coverage": 60.0, "approved_coverage": 30.0},
    "31498": {"to_visit": 6, "records": 5, "draft": 1, "submitted": 1, "returned": 1, "approved": 2,
              "approval_rate": 40.0, "coverage": 66.7, "approved_coverage": 33.3},
    "31684": {"to_visit": 4, "records": 3, "draft": 1, "submitted": 1, "returned": 0, "approved": 1,
              "approval_rate": 33.3, "coverage": 50.0, "approved_coverage": 25.0},
}
DISTRICT_OF = {"31498": "941", "31684": "947"}


def vi_number(cell: str) -> float | int | None:
    """"1.234" → 1234, "37,5" → 37.5, "–" → None (a page in Vietnamese)."""
    cell = re.sub(r"<[^>]+>|%", "", cell).strip()
    if cell in ("–", ""):
        return None
    cell = cell.replace(".", "")
    return float(cell.replace(",", ".")) if "," in cell else int(cell)


def figures_of_row(html: str, row_attributes: str) -> dict[str, float | int | None]:
    """{figure: value} of the table row whose <tr> carries these attributes (cells marked data-figure)."""
    row = re.search(rf"<tr[^>]*{row_attributes}[^>]*>(.*?)</tr>", html, re.S)
    assert row, f"no row with {row_attributes}"
    return {name: vi_number(cell) for name, cell in re.findall(r'data-figure="(\w+)"[^>]*>(.*?)</td>', row.group(1), re.S)}


def as_float(values: dict) -> dict:
    return {name: (float(value) if value not in (None, "") else None) for name, value in values.items()}


def csv_rows(client, query: str) -> list[dict[str, str]]:
    response = client.get(f"/coverage?{query}&format=csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def csv_figures(line: dict[str, str]) -> dict:
    """The CSV's columns under the figure names the pages use."""
    names = {"listed": "to_visit", "records": "records", "draft": "draft", "submitted": "submitted",
             "returned": "returned", "approved": "approved", "approval_rate_percent": "approval_rate",
             "coverage_percent": "coverage", "approved_coverage_percent": "approved_coverage"}
    return {figure: line[column] for column, figure in names.items()}


def report_rows(client, query: str = "") -> dict[tuple[str, str], dict]:
    """(round code, district code or "") → {figure: value} from the round coverage XLSX."""
    client.set_cookie("lang", "en")
    response = client.get(f"/reports/round_coverage.xlsx?{query}")
    client.delete_cookie("lang")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    keys = {"Records": "records", "Establishments to visit": "to_visit", "Draft": "draft", "Submitted": "submitted",
            "Returned": "returned", "Approved": "approved", "Approval rate (%)": "approval_rate",
            "Coverage (%)": "coverage", "Approved coverage (%)": "approved_coverage"}
    assert set(keys) <= set(header), header
    return {(row[0], row[1] or ""): {keys[name]: value for name, value in zip(header, row) if name in keys}
            for row in rows}


def _record(session, establishment, survey_round, status, *, current=True, version=1):
    session.add(SurveyRecord(establishment_id=establishment.id, round_id=survey_round.id, status=status,
                             is_current=current, version_number=version, answers={}))


@pytest.fixture
def hand_made_round(session, round_2019, add_establishment):
    """10 establishments to visit (one closed) in Phường 5 (941) and Thị trấn Mỹ Xuyên (947), a merged
    duplicate that is not to visit, and 2019 records in every state, superseded versions included."""
    ward = [add_establishment(name=f"Cơ sở P5 {index}", commune_code="31498") for index in range(6)]
    town = [add_establishment(name=f"Cơ sở MX {index}", commune_code="31684") for index in range(4)]
    ward[5].status = "closed"
    merged = add_establishment(name="Cơ sở P5 trùng", commune_code="31498", status="merged")
    merged.merged_into_id = ward[0].id
    earlier = SurveyRound(code="2018", title="Điều tra 2018", is_open=False)
    session.add_all([ward[5], merged, earlier])
    session.flush()
    _record(session, ward[0], round_2019, "submitted", current=False, version=1)
    _record(session, ward[0], round_2019, "approved", version=2)
    _record(session, ward[1], round_2019, "approved")
    _record(session, ward[2], round_2019, "submitted")
    _record(session, ward[3], round_2019, "returned")
    _record(session, ward[4], round_2019, "draft")
    _record(session, town[0], round_2019, "draft", current=False, version=1)
    _record(session, town[0], round_2019, "submitted", current=False, version=2)
    _record(session, town[0], round_2019, "approved", version=3)
    _record(session, town[1], round_2019, "submitted")
    _record(session, town[2], round_2019, "draft")
    _record(session, town[0], earlier, "approved")  # another round: never mixed in
    session.commit()
    return round_2019


def test_home_counts_current_versions_only(client, hand_made_round):
    """Superseded versions are history, not records: 8 records, not 11."""
    page = client.get("/").text
    table = re.search(r'<table[^>]*id="rounds".*?</table>', page, re.S).group(0)
    headers = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    row = re.search(r"<tr[^>]*>\s*<td><a [^>]*round=2019[^>]*>.*?</tr>", table, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[headers.index("Số phiếu")] == "8"
    assert figures_of_row(page, 'data-round="2019"')["approval_rate"] == 37.5


def test_the_same_figures_on_every_page(client, hand_made_round):
    province = EXPECTED[None]
    assert figures_of_row(client.get("/").text, 'data-round="2019"') == province

    reports = client.get("/reports").text
    sheet = report_rows(client)
    assert sheet[("2019", "")] == province
    for commune, district in DISTRICT_OF.items():
        assert sheet[("2019", district)] == EXPECTED[commune]
        assert figures_of_row(reports, f'data-round="2019" data-area="{district}"') == EXPECTED[commune]
    assert figures_of_row(reports, 'data-round="2019" data-area=""') == province

    page = client.get("/coverage?round=2019").text
    assert figures_of_row(page, "data-total") == province
    lines = {line["commune_code"]: line for line in csv_rows(client, "round=2019")}
    for commune in DISTRICT_OF:
        assert figures_of_row(page, f'data-commune="{commune}"') == EXPECTED[commune]
        assert as_float(csv_figures(lines[commune])) == as_float(EXPECTED[commune])
        assert lines[commune]["done_percent"] == lines[commune]["approved_coverage_percent"]
    empty = lines["31501"]  # a commune with nothing to visit: no rate, not 0 %
    assert (empty["listed"], empty["coverage_percent"], empty["done_percent"]) == ("0", "", "")


def test_province_totals_are_the_sum_over_communes(client, hand_made_round):
    lines = csv_rows(client, "round=2019")
    for figure in ("listed", "records", "draft", "submitted", "returned", "approved"):
        total = EXPECTED[None]["to_visit" if figure == "listed" else figure]
        assert sum(int(line[figure]) for line in lines) == total
    district = figures_of_row(client.get("/coverage?round=2019&district=947").text, "data-total")
    assert district == EXPECTED["31684"]


def test_the_other_round_and_enumerators(client, client_as, session, hand_made_round):
    assert figures_of_row(client.get("/").text, 'data-round="2018"')["records"] == 1
    assert report_rows(client)[("2018", "")]["approved"] == 1
    page = client.get("/coverage?round=2019").text
    unknown = figures_of_row(page, 'data-enumerator=""')  # records made without an account (imports)
    assert (unknown["records"], unknown["approval_rate"]) == (8, 37.5)
    assert "coverage" not in unknown  # communes are assigned, not establishments: no coverage per person


def test_a_filter_narrows_every_figure_of_the_report(client, hand_made_round):
    sheet = report_rows(client, "district=947")
    assert sheet[("2019", "")] == EXPECTED["31684"]
    assert ("2019", "941") not in sheet


def test_an_empty_round_divides_by_nothing(client, session, add_establishment):
    session.add(SurveyRound(code="2020", title="Đợt trống", is_open=True))
    session.commit()
    home = figures_of_row(client.get("/").text, 'data-round="2020"')
    assert home == {"to_visit": 0, "records": 0, "draft": 0, "submitted": 0, "returned": 0, "approved": 0,
                    "approval_rate": None, "coverage": None, "approved_coverage": None}
    assert figures_of_row(client.get("/coverage?round=2020").text, "data-total")["coverage"] is None
    assert client.get("/reports").status_code == 200
    add_establishment()
    home = figures_of_row(client.get("/").text, 'data-round="2020"')
    assert (home["to_visit"], home["approval_rate"], home["coverage"]) == (1, None, 0.0)
    assert report_rows(client)[("2020", "")]["coverage"] == 0.0
    line = next(line for line in csv_rows(client, "round=2020") if line["commune_code"] == "31498")
    assert (line["listed"], line["approval_rate_percent"], line["coverage_percent"]) == ("1", "", "0.0")


def test_rates_are_rounded_once_and_never_divide_by_zero():
    assert (percent(2, 3), percent(1, 400), percent(1, 8), percent(0, 5)) == (66.7, 0.3, 12.5, 0.0)
    assert percent(0, 0) is None and percent(3, None) is None
    counts = RoundCounts(to_visit=4, draft=1, submitted=1, returned=1, approved=1)
    assert (counts.records, counts.handed_in, counts.approval_rate, counts.coverage, counts.approved_coverage) == \
        (4, 3, 25.0, 75.0, 25.0)
    assert (counts + RoundCounts(to_visit=6)).coverage == 30.0
    person = RoundCounts(to_visit=None, approved=2, draft=2)
    assert (person.coverage, person.approval_rate) == (None, 50.0)
    assert "coverage" not in person.figures() and (person + counts).to_visit is None


@pytest.mark.parametrize("language, words", [
    ("vi", ("Tỷ lệ phiếu đã duyệt (%)", "Tỷ lệ bao phủ (%)", "Tỷ lệ bao phủ đã duyệt (%)", "Cơ sở cần khảo sát",
            "Số phiếu")),
    ("en", ("Approval rate (%)", "Coverage (%)", "Approved coverage (%)", "Establishments to visit", "Records")),
])
def test_each_page_states_the_definitions(client, hand_made_round, language, words):
    client.set_cookie("lang", language)
    for url in ("/", "/reports", "/coverage?round=2019"):
        page = client.get(url).text
        legend = re.search(r'<dl[^>]*class="[^"]*figure-definitions.*?</dl>', page, re.S)
        assert legend, url
        for word in words:
            assert re.search(rf"<dt[^>]*>{re.escape(word)}</dt>: <dd", legend.group(0)), (url, word)
        assert not re.search(r"<th[^>]*>\s*(Progress|Tiến độ|Done|Hoàn thành)\s*</th>", page), url


def test_the_report_xlsx_states_the_definitions(client, hand_made_round):
    client.set_cookie("lang", "en")
    response = client.get("/reports/round_coverage.xlsx")
    about = {row[0]: row[1] for row in load_workbook(io.BytesIO(response.data)).worksheets[1].iter_rows(values_only=True)}
    assert about["Approval rate (%)"].startswith("approved records ÷ records")
    assert about["Coverage (%)"].startswith("establishments with a record submitted, returned or approved ÷ ")


def test_the_demo_census_agrees_across_pages(demo_client, demo_session):
    """The 2019 round of the synthetic census: one set of figures, whichever page shows it."""
    counts = dict(demo_session.execute(text(
        "SELECT r.status, count(*) FROM survey_record r JOIN survey_round s ON s.id = r.round_id "
        "JOIN establishment e ON e.id = r.establishment_id "
        "WHERE s.code = '2019' AND r.is_current AND e.status <> 'merged' GROUP BY r.status")).all())
    to_visit = demo_session.execute(text("SELECT count(*) FROM establishment WHERE status <> 'merged'")).scalar()
    records = sum(counts.values())
    handed_in = records - counts.get("draft", 0)
    expected = {"to_visit": to_visit, "records": records,
                **{status: counts.get(status, 0) for status in ("draft", "submitted", "returned", "approved")},
                "approval_rate": round(100 * counts["approved"] / records, 1),
                "coverage": round(100 * handed_in / to_visit, 1),
                "approved_coverage": round(100 * counts["approved"] / to_visit, 1)}
    assert figures_of_row(demo_client.get("/").text, 'data-round="2019"') == expected
    assert report_rows(demo_client)[("2019", "")] == expected
    assert figures_of_row(demo_client.get("/reports").text, 'data-round="2019" data-area=""') == expected
    assert figures_of_row(demo_client.get("/coverage?round=2019").text, "data-total") == expected
    lines = csv_rows(demo_client, "round=2019")
    assert sum(int(line["listed"]) for line in lines) == to_visit
    assert sum(int(line["approved"]) for line in lines) == counts["approved"]
    assert sum(int(line["records"]) for line in lines) == records
