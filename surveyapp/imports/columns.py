"""Which column of a file holds what, found by its header: the export's English keys or its
Vietnamese headers, matched without regard to case, diacritics, spaces, dashes or underscores."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from ..exports.xlsx import get_column_letter

from ..exports.columns import ESTABLISHMENT_COLUMNS
from ..text import fold

#: Columns written to the establishment.
IMPORTED = ("establishment_code", "name", "owner", "legal_form", "vsic_code", "commune_code", "address", "lat",
            "lon", "workers", "revenue_vnd", "capital_vnd", "status", "tax_code", "phone", "year_started")
#: Columns checked against the commune (a district or province that disagrees is an error).
CHECKED = ("district_code", "province_code")
#: Columns the export derives from others: read and ignored. `legal_form_name` stands in for
#: `legal_form` when a file has only the label.
DERIVED = ("legal_form_name", "sector", "sector_name", "commune_name", "district_name", "latest_round",
           "record_status", "gps_mismatch", "photo_files")
REQUIRED = ("name", "commune_code", "vsic_code", "legal_form")
#: Other spellings people use for a few headers.
ALIASES = {"code": "establishment_code", "latitude": "lat", "longitude": "lon",
           "vi do": "lat", "kinh do": "lon", "so lao dong": "workers", "lao dong": "workers"}


def header_key(text: Any) -> str:
    """"Mã cơ sở", "MA CO SO", "ma_co_so" → "ma co so"."""
    if text is None:
        return ""
    folded = fold(str(text)).replace("*", "")
    return re.sub(r"[\s_\-]+", " ", folded).strip()


def _known_headers() -> dict[str, str]:
    known = {}
    for column in ESTABLISHMENT_COLUMNS:
        known[header_key(column.key)] = column.key
        known[header_key(column.header_vi)] = column.key
    known.update(ALIASES)
    return known


KNOWN_HEADERS = _known_headers()


def looks_like_header(values: list[Any]) -> bool:
    """At least two cells name known columns."""
    return sum(1 for value in values if header_key(value) in KNOWN_HEADERS) >= 2


@dataclass
class ColumnMap:
    #: field → 0-based index in a row.
    index: dict[str, int] = field(default_factory=dict)
    #: field → the header as written in the file (for messages).
    header: dict[str, str] = field(default_factory=dict)
    #: Headers that name nothing we know: ignored, reported as a warning.
    unknown: list[str] = field(default_factory=list)
    #: File-level problems (missing or repeated columns).
    errors: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.index

    def label(self, name: str, xlsx: bool) -> str:
        """How a message names the column: "C (commune_code)" in a workbook, the header in a CSV."""
        header = self.header.get(name, name)
        if xlsx and name in self.index:
            return f"{get_column_letter(self.index[name] + 1)} ({header})"
        return header


def match_columns(headers: list[Any]) -> ColumnMap:
    mapping = ColumnMap()
    for position, text in enumerate(headers):
        key = header_key(text)
        if not key:
            continue
        name = KNOWN_HEADERS.get(key)
        if name is None:
            mapping.unknown.append(str(text).strip())
        elif name in mapping.index:
            mapping.errors.append(str(_l("Two columns are headed %(header)s; keep one.", header=str(text).strip())))
        else:
            mapping.index[name] = position
            mapping.header[name] = str(text).strip()
    if not mapping.has("legal_form") and mapping.has("legal_form_name"):
        mapping.index["legal_form"] = mapping.index["legal_form_name"]
        mapping.header["legal_form"] = mapping.header["legal_form_name"]
    missing = [name for name in REQUIRED if not mapping.has(name)]
    if missing:
        mapping.errors.append(str(_l("Required columns are missing: %(names)s.", names=", ".join(missing))))
    return mapping
