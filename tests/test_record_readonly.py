"""Approved means read-only: an approved record opens as a view (no inputs, no GPS button, no "+ Thêm dòng"),
labelled "Xem" on the commune list; only an admin gets "Sửa", whose save makes a new version."""
from __future__ import annotations

import re

from .test_record_lock import approved  # noqa: F401 (a fixture)

RECORD_URL = "/survey/establishments/{code}/record?round=2019"


def controls(html: str) -> list[str]:
    """Every form control on the page except hidden ones (the language switch lives in a form too)."""
    found = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    return [tag for tag in found if 'type="hidden"' not in tag and 'name="csrf_token"' not in tag]


def main_part(html: str) -> str:
    """The page below the navigation bar (whose language switch is a form)."""
    return html.split("<main", 1)[1]


def test_an_approved_record_opens_read_only_for_an_enumerator(client_as, approved):  # noqa: F811
    establishment, record = approved
    page = client_as("enumerator").get(RECORD_URL.format(code=establishment.code))
    assert page.status_code == 200
    body = main_part(page.text)
    assert 'id="record-readonly"' in body
    assert controls(body) == []
    assert "gps-locate" not in body and "add-row" not in body and 'name="action"' not in body
    assert 'id="questionnaire"' not in body
    # The answers are there, as text, in the reader's language.
    assert "Cơ sở Bánh Pía Tân Huê Viên" in body and "Hộ kinh doanh có đăng ký (HKD)" in body
    assert "1.200 triệu đồng" in body
    # …and it prints.
    assert f"/establishments/{establishment.code}/records/{record.uuid}/print" in body


def test_an_admin_still_gets_the_form_of_an_approved_record(client, approved):  # noqa: F811
    establishment, _record = approved
    page = client.get(RECORD_URL.format(code=establishment.code))
    assert page.status_code == 200
    assert 'id="record-readonly"' not in page.text
    assert 'id="questionnaire"' in page.text and 'value="submit"' in page.text and "add-row" in page.text


def test_the_commune_list_says_view_to_an_enumerator_and_edit_to_an_admin(client, client_as, approved,  # noqa: F811
                                                                          add_establishment):
    establishment, _record = approved
    add_establishment(name="HTX Dệt chiếu", commune_code="31498")
    enumerator_list = client_as("enumerator").get("/survey/communes/31498?round=2019").text
    admin_list = client.get("/survey/communes/31498?round=2019").text
    link = re.compile(r'href="/survey/establishments/{}/record\?round=2019">\s*([^<]+?)\s*</a>'.format(establishment.code))
    assert link.search(enumerator_list).group(1) == "Xem"
    assert link.search(admin_list).group(1) == "Sửa"
    assert "Điền phiếu" in enumerator_list  # the others keep their labels
