"""Chromium prints both paper forms to A4 PDF with every question label readable; an approved record
opens read-only on a phone."""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest

from surveyapp.questionnaire.registry import registry

from .conftest import SCREENSHOTS, missing, sign_in
from .test_record_lock import approved  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        missing("poppler-utils is not installed (apt-get install poppler-utils; .ci/run installs it)")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return flat(text)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def first_page_png(pdf, name: str):
    """The PDF's first page as the PNG a reader of the report looks at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(SCREENSHOTS / name)], check=True)
    return SCREENSHOTS / f"{name}.png"


def pages_of(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_both_paper_forms_print_to_a4_pdf_with_every_question(page, live_app, app, approved, tmp_path):  # noqa: F811
    establishment, record = approved
    with app.app_context():
        definition = registry().get("cnnt-2019")
    labels = [flat(q.text("label", "vi")) for q in definition.questions()]
    sign_in(page, live_app, "enumerator")
    for name, url in (("print-questionnaire", "/questionnaires/cnnt-2019/print"),
                      ("print-record", f"/establishments/{establishment.code}/records/{record.uuid}/print")):
        response = page.goto(live_app + url)
        assert response.status == 200
        pdf = tmp_path / f"{name}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        text = pdf_text(pdf)
        absent = [label for label in labels if label not in text]
        assert absent == [], f"{name}: labels missing from the PDF: {absent}"
        assert pages_of(pdf) > 1
        assert "Dùng lệnh In của trình duyệt" not in text  # the screen-only help does not print
        png = first_page_png(pdf, name)
        assert png.stat().st_size > 5000
        if name == "print-questionnaire":
            assert "Nếu câu 13 = Có thì trả lời câu 14." in text
        else:
            assert "Cơ sở Bánh Pía Tân Huê Viên" in text and "1.200 triệu đồng" in text and "Phiên bản phiếu" in text


def test_an_enumerator_views_an_approved_record_on_a_phone(phone, live_app, approved):  # noqa: F811
    establishment, _record = approved
    SCREENSHOTS.mkdir(exist_ok=True)
    sign_in(phone, live_app, "enumerator")
    phone.goto(live_app + "/survey/communes/31498?round=2019")
    link = phone.get_by_role("link", name="Xem", exact=True)
    link.click()
    phone.wait_for_url(f"**/survey/establishments/{establishment.code}/record**")
    readonly = phone.locator("#record-readonly")
    readonly.wait_for()
    assert phone.locator(".container-fluid input:not([type=hidden]), .container-fluid select, "
                         ".container-fluid textarea").count() == 0
    assert phone.locator(".gps-locate, .add-row, #record-actions").count() == 0
    assert "Đặng Thị Út" in readonly.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone
    phone.screenshot(path=str(SCREENSHOTS / "record-readonly-phone.png"), full_page=True)
