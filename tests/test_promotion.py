"""Industrial promotion: validation, imports, filters, the provincial report and the article's figures."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import text
from sqlmodel import select

from surveyapp.demo.generator import generate_demo_census
from surveyapp.demo.promotion import generate_promotion_demo
from surveyapp.models import PromotionProject, Support
from surveyapp.promotion.services import PromotionError, save_project

from .conftest import SCREENSHOTS, sign_in


@pytest.fixture
def promoted(session):
    """A small synthetic census with the article's promotion totals (2012–2022)."""
    generate_demo_census(session, "94", 300, seed=2)
    generate_promotion_demo(session, seed=2)
    session.commit()


def money(sql_value) -> int:
    return int(sql_value or 0)


def test_the_article_figures_come_out_exactly(client, promoted):
    page = client.get("/reports/promotion?from=2012&to=2022").text
    assert re.search(r'id="promotion-projects">223<', page)
    assert 'id="promotion-state">20.253,331<' in page
    assert 'id="promotion-beneficiary">73.738,019<' in page
    assert 'id="promotion-total">93.991,350<' in page
    certificates = re.search(r'id="table-certificates".*?</table>', page, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', certificates)
    assert cells == ["0", "63", "13", "5", "81"]  # district, provincial, regional, national, total
    assert "triệu đồng" in page


def test_report_in_english_and_years_filter(client, promoted):
    client.set_cookie("lang", "en")
    page = client.get("/reports/promotion?from=2012&to=2022").text
    assert 'id="promotion-state">20,253.331<' in page
    one_year = client.get("/reports/promotion?from=2015&to=2015").text
    assert 'id="promotion-projects">223<' not in one_year
    assert client.get("/reports/promotion?from=2022&to=2012").status_code == 400
    assert client.get("/reports/promotion?from=abc").status_code == 400


def test_report_tables_match_sql(client, session, promoted):
    page = client.get("/reports/promotion?from=2012&to=2022").text
    for level in ("national", "local"):
        count, state = session.execute(text(
            "SELECT count(*), sum(state_support_vnd) FROM promotion_project WHERE level = :l"), {"l": level}).one()
        table = re.search(r'id="table-levels".*?</table>', page, re.S).group(0)
        assert f">{count}<" in table
        assert f"{money(state) / 1e6:,.3f}".replace(",", " ").replace(".", ",").replace(" ", ".") in table
    districts = re.search(r'id="table-districts".*?</table>', page, re.S).group(0)
    supported = session.execute(text("SELECT count(DISTINCT establishment_id) FROM support")).scalar()
    total_row = re.search(r"<tfoot>.*?</tfoot>", districts, re.S).group(0)
    assert f">{supported}<" in total_row


def test_report_downloads_as_xlsx(client, promoted):
    response = client.get("/reports/promotion?from=2012&to=2022&format=xlsx")
    assert response.status_code == 200 and response.headers["Content-Disposition"].rstrip('"').endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    levels = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert levels[-1][1] == 223 and levels[-1][3] == pytest.approx(20253.331) and levels[-1][4] == pytest.approx(73738.019)


@pytest.mark.parametrize(("query", "where"), [
    ("supported=1", "EXISTS (SELECT 1 FROM support s WHERE s.establishment_id = e.id)"),
    ("supported=0", "NOT EXISTS (SELECT 1 FROM support s WHERE s.establishment_id = e.id)"),
    ("certificate_level=provincial", "EXISTS (SELECT 1 FROM product_certificate c WHERE c.establishment_id = e.id AND c.level = 'provincial')"),
    ("ocop_min_stars=4", "EXISTS (SELECT 1 FROM ocop_rating o WHERE o.establishment_id = e.id AND o.stars >= 4)"),
])
def test_promotion_filters_on_the_list(client, session, promoted, query, where):
    expected = session.execute(text(f"SELECT count(*) FROM establishment e WHERE {where}")).scalar()
    page = client.get(f"/establishments?{query}")
    assert page.status_code == 200
    assert f'data-total="{expected}"' in page.text


def test_project_filter_and_bad_values(client, session, promoted):
    project = session.exec(select(PromotionProject).order_by(PromotionProject.code)).first()
    supported = session.exec(select(Support).where(Support.project_id == project.id)).all()
    page = client.get(f"/establishments?project={project.code}")
    assert f'data-total="{len(supported)}"' in page.text
    for bad in ("project=NOPE", "supported=2", "certificate_level=galactic", "ocop_min_stars=9"):
        assert client.get(f"/establishments?{bad}").status_code == 400, bad


def test_establishment_page_shows_support_and_certificates(client, session, promoted):
    code = session.execute(text("SELECT e.code FROM establishment e JOIN support s ON s.establishment_id = e.id "
                                "ORDER BY e.code LIMIT 1")).scalar()
    page = client.get(f"/establishments/{code}").text
    assert 'id="supports"' in page and "/promotion/projects/KC-" in page


def test_project_validation(session):
    with pytest.raises(PromotionError) as error:
        save_project(session, code="X", title="T", year=1800, level="local", activity="training",
                     state_support_vnd=1, beneficiary_contribution_vnd=1)
    assert error.value.field == "year"
    for bad in ({"level": "galactic"}, {"activity": "dancing"}, {"state_support_vnd": -5}, {"code": ""}):
        values = {"code": "X", "title": "T", "year": 2020, "level": "local", "activity": "training",
                  "state_support_vnd": 1, "beneficiary_contribution_vnd": 1} | bad
        with pytest.raises(PromotionError):
            save_project(session, **values)


PROJECTS_CSV = """Mã đề án,Tên đề án,Năm,Cấp,Nội dung,Kinh phí khuyến công (đồng),Đơn vị thụ hưởng đóng góp (đồng)
KC-2020-01,Đào tạo nghề đan lát,2020,Địa phương,Đào tạo nghề và truyền nghề,150.000.000,50.000.000
KC-2021-02,Hỗ trợ máy sấy,2021,national,machinery,"300,000,000",700000000
"""


def test_import_projects_all_or_nothing_and_idempotent(runner, session, tmp_path):
    good = tmp_path / "projects.csv"
    good.write_text(PROJECTS_CSV, encoding="utf-8")
    result = runner.invoke(args=["promotion", "import", str(good), "--kind", "projects"])
    assert result.exit_code == 0, result.output
    assert "2 written, 0 unchanged" in result.output
    rows = {p.code: p for p in session.exec(select(PromotionProject))}
    assert rows["KC-2020-01"].state_support_vnd == 150_000_000 and rows["KC-2021-02"].level == "national"
    assert rows["KC-2020-01"].activity == "training"
    again = runner.invoke(args=["promotion", "import", str(good), "--kind", "projects"])
    assert "0 written, 2 unchanged" in again.output

    bad = tmp_path / "bad.csv"
    bad.write_text(PROJECTS_CSV.replace("KC-2021-02,Hỗ trợ máy sấy,2021", "KC-2022-03,Hỗ trợ,năm ngoái")
                   .replace("Địa phương,Đào tạo", "Xã,Đào tạo"), encoding="utf-8")
    failed = runner.invoke(args=["promotion", "import", str(bad), "--kind", "projects"])
    assert failed.exit_code == 1
    assert "row 2, level" in failed.output and "row 3, year" in failed.output
    assert "nothing was written" in failed.output
    assert {p.code for p in session.exec(select(PromotionProject))} == {"KC-2020-01", "KC-2021-02"}


def test_import_support_refuses_unknown_codes(runner, session, tmp_path, add_establishment):
    add_establishment()
    projects = tmp_path / "p.csv"
    projects.write_text(PROJECTS_CSV, encoding="utf-8")
    runner.invoke(args=["promotion", "import", str(projects), "--kind", "projects"])
    support = tmp_path / "s.csv"
    support.write_text("project_code,establishment_code,state_support_vnd,beneficiary_contribution_vnd\n"
                       "KC-2020-01,94-941-000001,10000000,5000000\nKC-2099-99,94-941-000001,1,1\n", encoding="utf-8")
    failed = runner.invoke(args=["promotion", "import", str(support), "--kind", "support"])
    assert failed.exit_code == 1 and "row 3, project_code" in failed.output
    assert session.exec(select(Support)).all() == []


@pytest.mark.browser
def test_report_screenshot(browser, live_app, promoted):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    sign_in(page, live_app, "analyst")
    page.goto(live_app + "/reports/promotion?from=2012&to=2022")
    assert page.inner_text("#promotion-total") == "93.991,350"
    page.screenshot(path=str(SCREENSHOTS / "promotion-report.png"), full_page=True)
    page.close()
