"""Exporting establishments: the one implementation behind the web download and `flask export`.

Takes a session and plain values (the filter, the enumerator's communes, the acting user's id);
`record_export` adds the audit event and leaves the commit to the caller.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterator

from sqlmodel import Session

from .. import clock
from ..audit import record_event
from ..establishments.filters import EstablishmentFilter
from ..establishments.queries import count_establishments
from ..text import fold
from . import formats, queries, xlsx
from .rows import establishment_csv_lines, establishment_rows

#: format → (media type, file extension).
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
}
#: Formats written as a stream of chunks; the others need a whole file (a zip, an SQLite database).
STREAMED = ("csv", "geojson")
#: Data rows a worksheet can hold (Excel's limit is 1,048,576 rows including the header).
XLSX_MAX_ROWS = xlsx.MAX_ROWS
#: Labels of the XLSX "About" sheet in each file language (file content, like the headers).
ABOUT_LABELS = {
    "en": {"title": "Establishments of the rural industry census", "time": "Exported at", "filter": "Filter",
           "none": "none (all establishments)", "scope": "Limited to the communes assigned to",
           "by": "Exported by", "cli": "command line", "headers": "Headers"},
    "vi": {"title": "Danh sách cơ sở công nghiệp nông thôn", "time": "Thời điểm xuất", "filter": "Bộ lọc",
           "none": "không (tất cả cơ sở)", "scope": "Chỉ các xã được phân công cho", "by": "Người xuất",
           "cli": "dòng lệnh", "headers": "Tiêu đề cột"},
}


class ExportError(ValueError):
    """An export that cannot be made as asked (e.g. too many rows for a worksheet)."""


@dataclass(frozen=True)
class ExportRequest:
    format: str
    filter: EstablishmentFilter
    #: Communes the user may see (None: all).
    scope: set[str] | None = None
    #: "en" (the English keys as headers) or "vi".
    language: str = "en"
    #: Who asks, for the XLSX "About" sheet (None: the command line).
    username: str | None = None


def count_rows(session: Session, request: ExportRequest) -> int:
    total = count_establishments(session, request.filter, request.scope)
    if request.format == "xlsx" and total > XLSX_MAX_ROWS:
        raise ExportError(f"{total} rows do not fit in one worksheet (at most {XLSX_MAX_ROWS}); "
                          "filter further or export CSV, GeoJSON or GeoPackage.")
    return total


def record_export(session: Session, request: ExportRequest, rows: int, actor_id: int | None,
                  ip_address: str | None = None, destination: str | None = None) -> None:
    after = {"format": request.format, "filter": request.filter.as_query_args(), "rows": rows,
             "headers": request.language, "scoped": request.scope is not None}
    if destination:
        after["file"] = destination
    record_event(session, "export", "establishment", None, after=after, actor_id=actor_id, ip_address=ip_address)


def chunks(session: Session, request: ExportRequest) -> Iterator[bytes]:
    """The file as byte chunks, for the streamed formats (CSV, GeoJSON)."""
    return _streamed(session, request)[0]


def _streamed(session: Session, request: ExportRequest) -> tuple[Iterator[bytes], "_Counted"]:
    """The chunks of a streamed format, and the counter of rows that went into them."""
    if request.format == "csv":
        batches = _Counted(establishment_csv_lines(session, request.filter, request.scope, request.language),
                           weight=lambda batch: batch[0])
        return formats.csv_line_chunks(batches, request.language), batches
    if request.format == "geojson":
        rows = _Counted(establishment_rows(session, request.filter, request.scope, request.language))
        return formats.geojson_chunks(rows, request.language), rows
    raise ValueError(f"{request.format} is not a streamed format")


def write_file(session: Session, request: ExportRequest, path: str, province_code: str,
               now: dt.datetime | None = None, timezone: str | None = None) -> int:
    """Write the export to `path` in any format; returns the number of rows written."""
    if request.format in STREAMED:
        stream, counted = _streamed(session, request)
        with open(path, "wb") as handle:
            for chunk in stream:
                handle.write(chunk)
        return counted.count
    rows = _Counted(establishment_rows(session, request.filter, request.scope, request.language))
    if request.format == "xlsx":
        about = about_facts(session, request, now or clock.utc_now(), timezone)
        return formats.write_xlsx(path, rows, about, request.language)
    if request.format == "gpkg":
        layers = {"district_boundaries": queries.boundaries(session, "district", province_code),
                  "commune_boundaries": queries.boundaries(session, "commune", province_code)}
        return formats.write_gpkg(path, rows, request.language, boundary_layers=layers)
    raise ValueError(f"unknown export format {request.format}")


class _Counted:
    """An iterator that counts what passes through it (rows, or the rows of batches with weight=len)."""

    def __init__(self, items, weight=lambda item: 1):
        self.items, self.count, self.weight = iter(items), 0, weight

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.items)
        self.count += self.weight(item)
        return item


def about_facts(session: Session, request: ExportRequest, now: dt.datetime,
                timezone: str | None = None) -> list[tuple[str, Any]]:
    """What the XLSX "About" sheet says: title, time (app's zone, with its offset), filter (with unit
    names), who, headers."""
    labels = ABOUT_LABELS[request.language]
    arguments = request.filter.as_query_args()
    names = queries.unit_names(session, {arguments[k] for k in ("district", "commune") if k in arguments})
    facts: list[tuple[str, Any]] = [
        (labels["title"], ""),
        (labels["time"], clock.local_stamp(now, timezone)),
        (labels["by"], request.username or labels["cli"]),
        (labels["headers"], request.language),
        (labels["filter"], "" if arguments else labels["none"]),
    ]
    for name, value in arguments.items():
        described = f"{value} – {names[value]}" if value in names else value
        facts.append((f"  {name}", described))
    if request.scope is not None:
        facts.append((labels["scope"], f"{request.username or ''}: {', '.join(sorted(request.scope)) or '–'}"))
    return facts


def export_file_name(wanted: EstablishmentFilter, fmt: str, today: dt.date) -> str:
    """establishments_district-947_sector-C10_2026-11-26.csv: what, which filter, when (ASCII only)."""
    parts = []
    for name, value in wanted.as_query_args().items():
        slug = re.sub(r"[^A-Za-z0-9]+", "-", value if value.isascii() else fold(value))[:30].strip("-")
        parts.append(f"{name.replace('_', '-')}-{slug}" if slug else name.replace("_", "-"))
    extension = FORMATS[fmt][1]
    return "_".join(["establishments", *(parts or ["all"]), today.isoformat()]) + f".{extension}"
