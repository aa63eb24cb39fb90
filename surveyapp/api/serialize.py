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
    `establishment_json` makes of an object, for a whole page at a time.

    Each dict is written with its keys in sorted order, so that orjson writes the sorted body without
    sorting 1,350 keys a page (a third of its time); `updated_at` is an aware datetime in the app's zone,
    which orjson (ROWS_JSON_OPTION) writes as `clock.iso_local` does, ten times faster. An offset with
    seconds (local mean time, before 1912), which orjson would round to the minute, is written here.
    `tests/test_list_request_path.py` checks the keys against ROW_KEYS."""
    zone = clock.app_zone()
    listed = []
    for (code, name, owner, legal_form, tax_code, phone, year_started, vsic_code, sector, address, commune_code,
         district_code, province_code, lat, lon, status, workers, revenue_vnd, capital_vnd, latest_round_code,
         latest_record_status, version, updated_at,
         commune_code_2025, commune_name_2025, province_code_2025, province_name_2025) in rows:
        if updated_at is not None:  # zone.fromutc(a UTC time as the zone's) is the whole of astimezone's work
            updated_at = (zone.fromutc(updated_at.replace(tzinfo=zone)) if updated_at.tzinfo is None
                          else updated_at.astimezone(zone))
            if updated_at.utcoffset().seconds % 60:
                updated_at = updated_at.isoformat(timespec="seconds")
        if commune_code_2025 is None:  # no known successor
            commune_name_2025 = province_code_2025 = province_name_2025 = None
        listed.append({
            "address": address, "capital_vnd": capital_vnd, "code": code, "commune_code": commune_code,
            "commune_code_2025": commune_code_2025, "commune_name_2025": commune_name_2025,
            "district_code": district_code, "lat": lat, "latest_record_status": latest_record_status,
            "latest_round_code": latest_round_code, "legal_form": legal_form, "lon": lon, "name": name,
            "owner": owner, "phone": phone, "province_code": province_code,
            "province_code_2025": province_code_2025, "province_name_2025": province_name_2025,
            "revenue_vnd": revenue_vnd, "sector": sector, "status": status, "tax_code": tax_code,
            "updated_at": updated_at, "version": version, "vsic_code": vsic_code, "workers": workers,
            "year_started": year_started,
        })
    return listed


ROW_KEYS = (*ESTABLISHMENT_FIELDS, "updated_at", "commune_code_2025", "commune_name_2025", "province_code_2025",
            "province_name_2025")


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
