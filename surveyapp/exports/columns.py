"""The columns of an establishment export: stable English keys, Vietnamese headers, cell kinds.

The keys are a file format other programs rely on (and the import reads back): add columns, never
rename or remove one. The Vietnamese headers are part of that format too, so they are fixed here
rather than translated through the UI catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Languages a file can be written in: "en" uses the keys as headers, "vi" the Vietnamese headers.
LANGUAGES = ("en", "vi")


@dataclass(frozen=True)
class Column:
    key: str
    #: Header when the file is written with Vietnamese headers (`headers=vi`).
    header_vi: str
    #: text | code (text that must stay text, e.g. "0893") | int | money (đồng) | coordinate
    kind: str = "text"
    #: Column width in a spreadsheet, in characters.
    width: int = 14
    #: A code checked on the way in (a format or a fixed list): it never holds a comma, a quote, a
    #: line break or a leading formula sign, so a CSV writer may copy it as it is.
    checked: bool = False

    def header(self, language: str) -> str:
        return self.header_vi if language == "vi" else self.key

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "money", "coordinate")


ESTABLISHMENT_COLUMNS: tuple[Column, ...] = (
    Column("establishment_code", "Mã cơ sở", "code", 15, checked=True),
    Column("name", "Tên cơ sở", "text", 40),
    Column("owner", "Chủ cơ sở", "text", 24),
    Column("legal_form", "Mã loại hình", "code", 18, checked=True),
    Column("legal_form_name", "Loại hình", "text", 28),
    Column("vsic_code", "Mã ngành VSIC", "code", 10, checked=True),
    Column("sector", "Ngành cấp 2", "code", 8, checked=True),
    Column("sector_name", "Tên ngành", "text", 34),
    Column("commune_code", "Mã xã", "code", 9, checked=True),
    Column("commune_name", "Xã, phường, thị trấn", "text", 22),
    Column("district_code", "Mã huyện", "code", 9, checked=True),
    Column("district_name", "Huyện, thị xã, thành phố", "text", 24),
    Column("province_code", "Mã tỉnh", "code", 8, checked=True),
    Column("address", "Địa chỉ", "text", 40),
    Column("lat", "Vĩ độ", "coordinate", 11),
    Column("lon", "Kinh độ", "coordinate", 11),
    Column("workers", "Số lao động", "int", 10),
    Column("revenue_vnd", "Doanh thu (đồng)", "money", 17),
    Column("capital_vnd", "Vốn (đồng)", "money", 17),
    Column("latest_round", "Đợt khảo sát gần nhất", "code", 10),
    Column("record_status", "Trạng thái phiếu", "code", 12, checked=True),
    Column("status", "Tình trạng hoạt động", "code", 10, checked=True),
    Column("tax_code", "Mã số thuế", "code", 15),
    Column("phone", "Điện thoại", "code", 13),
    Column("year_started", "Năm bắt đầu sản xuất", "int", 8),
    Column("gps_mismatch", "GPS ngoài địa bàn", "int", 8),
    # The units after 1 July 2025 the commune counts in (the main part of a split commune).
    Column("commune_code_2025", "Mã xã (từ 1/7/2025)", "code", 9, checked=True),
    Column("commune_name_2025", "Xã, phường (từ 1/7/2025)", "text", 22),
    Column("province_code_2025", "Mã tỉnh (từ 1/7/2025)", "code", 8, checked=True),
    Column("province_name_2025", "Tỉnh, thành phố (từ 1/7/2025)", "text", 22),
    #: The establishment's photos ("<sha256>.jpg", space-separated): the files of the photo ZIP.
    Column("photo_files", "Tệp ảnh", "code", 30, checked=True),
)
COLUMNS_BY_KEY = {column.key: column for column in ESTABLISHMENT_COLUMNS}


def headers(language: str, columns: tuple[Column, ...] = ESTABLISHMENT_COLUMNS) -> list[str]:
    return [column.header(language) for column in columns]
