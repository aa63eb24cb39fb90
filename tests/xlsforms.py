"""XLSForm workbooks made in the tests with openpyxl, as KoboToolbox writes them."""
from __future__ import annotations

import io

from openpyxl import Workbook

VI, EN = "label::Tiếng Việt (vi)", "label::English (en)"
SURVEY_HEADER = ["type", "name", VI, EN, "hint::Tiếng Việt (vi)", "hint::English (en)", "required", "relevant",
                 "constraint", "constraint_message::Tiếng Việt (vi)", "constraint_message::English (en)",
                 "appearance", "$kuid", "$autoname"]


def survey_row(type_, name, vi="", en="", *, hint_vi="", hint_en="", required="", relevant="", constraint="",
               message_vi="", message_en="", appearance=""):
    return [type_, name, vi, en, hint_vi, hint_en, required, relevant, constraint, message_vi, message_en,
            appearance, f"k{abs(hash(name)) % 10_000}", name]


KOBO_SURVEY = [
    survey_row("start", "start"),
    survey_row("end", "end"),
    survey_row("today", "today"),
    survey_row("deviceid", "deviceid"),
    survey_row("username", "username"),
    survey_row("begin_group", "co_so", "Thông tin cơ sở", "Establishment"),
    survey_row("text", "ten_co_so", "Tên cơ sở", "Establishment name", required="true"),
    survey_row("integer", "so_lao_dong", "Số lao động", "Workers", required="true", constraint=". >= 1 and . <= 200",
               message_vi="Số lao động phải từ 1 đến 200", message_en="Between 1 and 200 workers"),
    survey_row("select_multiple nguyen_lieu", "nguyen_lieu", "Nguyên liệu chính", "Main raw materials",
               required="true"),
    survey_row("text", "nguyen_lieu_khac", "Nguyên liệu khác", "Other raw material", required="true",
               relevant="selected(${nguyen_lieu}, 'khac')"),
    survey_row("geopoint", "vi_tri", "Vị trí cơ sở", "Location"),
    survey_row("end_group", ""),
    survey_row("begin_repeat", "san_pham", "Sản phẩm", "Products"),
    survey_row("text", "ten_san_pham", "Tên sản phẩm", "Product name", required="true"),
    survey_row("decimal", "san_luong", "Sản lượng (tấn)", "Output (tonnes)", constraint=". >= 0",
               message_vi="Sản lượng không âm", message_en="Output cannot be negative"),
    survey_row("end_repeat", ""),
    survey_row("select_one co_khong", "co_xuat_khau", "Có xuất khẩu không?", "Exports?", required="yes",
               appearance="minimal"),
]
KOBO_CHOICES = [
    ["list_name", "name", VI, EN],
    ["nguyen_lieu", "lua_gao", "Lúa gạo", "Rice"],
    ["nguyen_lieu", "thuy_san", "Thủy sản", "Fish"],
    ["nguyen_lieu", "khac", "Khác", "Other"],
    ["co_khong", "co", "Có", "Yes"],
    ["co_khong", "khong", "Không", "No"],
]
KOBO_SETTINGS = [["form_title", "form_id", "version", "default_language"],
                 ["Phiếu khảo sát làng nghề 2020", "lang-nghe-2020", "1", "Tiếng Việt (vi)"]]


def workbook(survey=None, choices=None, settings=None, *, survey_header=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(survey_header or SURVEY_HEADER)
    for row in KOBO_SURVEY if survey is None else survey:
        sheet.append(row)
    for name, rows in (("choices", KOBO_CHOICES if choices is None else choices),
                       ("settings", KOBO_SETTINGS if settings is None else settings)):
        if rows:
            extra = book.create_sheet(name)
            for row in rows:
                extra.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
