"""The overview page: totals, districts, sectors, rounds."""
from __future__ import annotations

import re

from sqlalchemy import text

from surveyapp.i18n import format_number


def _row(page: str, table_id: str, label: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", table, re.S) if label in r)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _headers(page: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]


def test_totals_by_district_sector_and_round(demo_client, demo_session):
    page = demo_client.get("/").text
    assert "Tỉnh Sóc Trăng" in page
    total_workers = demo_session.execute(text("SELECT sum(workers) FROM establishment")).scalar()
    assert 'id="total-establishments">3.209<' in page
    assert f'id="total-workers">{total_workers:,}<'.replace(",", ".") in page
    total_revenue = demo_session.execute(text("SELECT sum(revenue_vnd) FROM establishment")).scalar()
    assert f'id="total-revenue">{round(int(total_revenue) / 1e6):,}<'.replace(",", ".") in page

    count_947 = demo_session.execute(text("SELECT count(*) FROM establishment WHERE district_code='947'")).scalar()
    assert _row(page, "by-district", "Huyện Mỹ Xuyên")[1] == f"{count_947:,}".replace(",", ".")
    districts = re.search(r'id="by-district".*?</table>', page, re.S).group(0)
    assert districts.count("<tr>") == 12  # header + 11 districts

    count_c10 = demo_session.execute(text("SELECT count(*) FROM establishment WHERE sector='C10'")).scalar()
    assert _row(page, "by-sector", "C10")[1] == f"{count_c10:,}".replace(",", ".")

    rounds = re.search(r'id="rounds".*?</table>', page, re.S).group(0)
    assert "Điều tra cơ sở CNNT năm 2018" in rounds and "Khảo sát bổ sung cơ sở CNNT năm 2019" in rounds
    row_2018 = _row(page, "rounds", "năm 2018")
    records_2018 = demo_session.execute(text(
        "SELECT count(*) FROM survey_record r JOIN survey_round s ON s.id=r.round_id "
        "WHERE s.code='2018' AND r.is_current")).scalar()
    headers = _headers(page, "rounds")
    assert row_2018[headers.index("Số phiếu")] == f"{records_2018:,}".replace(",", ".")
    assert row_2018[headers.index("Tỷ lệ phiếu đã duyệt (%)")] == "100,0"  # every 2018 record is approved


def test_empty_registry_home(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="total-establishments">0<' in page.text
    assert _row(page.text, "by-district", "Huyện Mỹ Tú")[1:] == ["0", "0", "0"]


def test_number_format_helper(app):
    with app.test_request_context("/"):
        assert format_number(1234567) == "1.234.567"
        assert format_number(None) == "–"
        assert format_number(20253.331, 3) == "20.253,331"
