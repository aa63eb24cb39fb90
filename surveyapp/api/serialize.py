"""Rows as the API's JSON. Pure functions: no database, no request."""
from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from .. import clock
from ..models import Establishment


def _iso(value) -> str | None:
    """Dates as YYYY-MM-DD; times always aware, in the app's zone with its offset (2026-12-06T05:20:00+07:00),
    whichever database they came from (SQLite gives naive UTC, PostgreSQL aware values)."""
    if isinstance(value, dt.datetime):
        return clock.iso_local(value)
    return value.isoformat() if value is not None else None


def user_json(user) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role}


def round_json(survey_round) -> dict[str, Any]:
    return {"code": survey_round.code, "title": survey_round.title, "is_open": survey_round.is_open,
            "admin_units": survey_round.admin_units,
            "questionnaire_id": survey_round.questionnaire_id,
            "questionnaire_version": survey_round.questionnaire_version,
            "start_date": _iso(survey_round.start_date), "end_date": _iso(survey_round.end_date)}


def assignment_json(assignment, survey_round, commune) -> dict[str, Any]:
    """A work area: a legacy commune with its district, or (a round organised by the 2025 units) a
    commune after 1 July 2025, which has no district."""
    is_2025 = survey_round.admin_units == "2025"
    return {"round": survey_round.code, "round_open": survey_round.is_open, "admin_units": survey_round.admin_units,
            "commune_code": commune.code, "commune_name": commune.name,
            "district_code": None if is_2025 else commune.parent_code}


ESTABLISHMENT_FIELDS = ("code", "name", "owner", "legal_form", "tax_code", "phone", "year_started", "vsic_code",
                        "sector", "address", "commune_code", "district_code", "province_code", "lat", "lon", "status",
                        "workers", "revenue_vnd", "capital_vnd", "latest_round_code", "latest_record_status",
                        "version")
#: The columns a list of establishments reads for its JSON (rows instead of objects).
ESTABLISHMENT_COLUMNS = tuple(getattr(Establishment, field) for field in (*ESTABLISHMENT_FIELDS, "updated_at"))


def establishment_json(establishment, successor=None) -> dict[str, Any]:
    """An establishment (object or row with ESTABLISHMENT_COLUMNS) as the API's JSON, with the commune
    and province its commune counts in after 1 July 2025 (`successor`, from `successors_by_code`)."""
    return {field: getattr(establishment, field) for field in ESTABLISHMENT_FIELDS} | {
        "updated_at": _iso(establishment.updated_at)} | units_2025_json(successor)


#: What a payload holding `establishment_rows_json` is dumped with: its dicts' keys come sorted already, its
#: times are written to the second.
ROWS_JSON_OPTION = orjson.OPT_OMIT_MICROSECONDS


def establishment_rows_json(rows) -> list[dict[str, Any]]:
    """Rows of ESTABLISHMENT_COLUMNS followed by `establishments.queries.SUCCESSOR_COLUMNS` as what
    `establishment_json` makes of an object, for a whole page at a time: each dict's keys in sorted order
    (see `row_json`), `updated_at` an aware datetime in the app's zone, which orjson (ROWS_JSON_OPTION)
    writes as `clock.iso_local` does, ten times faster. An offset with seconds (local mean time, before
    1912), which orjson would round to the minute, is written here."""
    zone, last = clock.app_zone(), len(ESTABLISHMENT_FIELDS)
    listed = []
    for row in rows:
        updated = row[last]
        if updated is not None:  # zone.fromutc(a UTC time as the zone's) is the whole of astimezone's work
            updated = zone.fromutc(updated.replace(tzinfo=zone)) if updated.tzinfo is None else updated.astimezone(zone)
            if updated.utcoffset().seconds % 60:
                updated = updated.isoformat(timespec="seconds")
        listed.append(row_json(row, updated, row[last + 1:] if row[last + 1] is not None else _NO_SUCCESSOR))
    return listed


def row_json(row, updated, successor) -> dict[str, Any]:
    """One row (ESTABLISHMENT_FIELDS' values first) with its `updated_at` and four successor values,
    as a dict whose keys are already in sorted order: a whole list is dumped without orjson sorting
    1,350 keys a page (a third of its time). `tests/test_list_request_path.py` checks it against
    ROW_KEYS."""
    return {
        "address": row[9], "capital_vnd": row[18], "code": row[0], "commune_code": row[10],
        "commune_code_2025": successor[0], "commune_name_2025": successor[1], "district_code": row[11],
        "lat": row[13], "latest_record_status": row[20], "latest_round_code": row[19], "legal_form": row[3],
        "lon": row[14], "name": row[1], "owner": row[2], "phone": row[5], "province_code": row[12],
        "province_code_2025": successor[2], "province_name_2025": successor[3], "revenue_vnd": row[17],
        "sector": row[8], "status": row[15], "tax_code": row[4], "updated_at": updated, "version": row[21],
        "vsic_code": row[7], "workers": row[16], "year_started": row[6],
    }


ROW_KEYS = (*ESTABLISHMENT_FIELDS, "updated_at", "commune_code_2025", "commune_name_2025", "province_code_2025",
            "province_name_2025")
_NO_SUCCESSOR = (None, None, None, None)


def units_2025_json(successor) -> dict[str, Any]:
    """The four *_2025 fields (None when the commune has no known successor)."""
    return {"commune_code_2025": successor.commune_code if successor else None,
            "commune_name_2025": successor.commune_name if successor else None,
            "province_code_2025": successor.province_code if successor else None,
            "province_name_2025": successor.province_name if successor else None}


def record_json(record, establishment, survey_round) -> dict[str, Any]:
    return {
        "uuid": record.uuid, "establishment_code": establishment.code, "round": survey_round.code,
        "status": record.status, "version_number": record.version_number, "is_current": record.is_current,
        "supersedes": record.supersedes, "questionnaire_id": record.questionnaire_id,
        "questionnaire_version": record.questionnaire_version, "answers": record.answers,
        "review_comment": record.review_comment, "created_at": _iso(record.created_at),
        "submitted_at": _iso(record.submitted_at), "approved_at": _iso(record.approved_at),
    }


def photo_json(photo) -> dict[str, Any]:
    return {"file_name": photo.file_name, "sha256": photo.sha256, "size_bytes": photo.size_bytes,
            "width": photo.width, "height": photo.height, "question": photo.question}
