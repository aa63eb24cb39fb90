"""Every URL of the JSON API (/api/v1). Phones and scripts use a Bearer token; the app's own offline
outbox uses the session cookie plus a CSRF token from /api/v1/session."""
from __future__ import annotations

import hashlib
import re
import uuid as uuid_module

import orjson
from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from sqlalchemy.exc import IntegrityError

from ..accounts import queries as account_queries
from ..accounts.access import ALL_ROLES, allow, commune_scope, current_actor_id, may_work_in, public
from ..db import get_session
from ..establishments import queries as establishment_queries
from ..establishments.services import EstablishmentError, register_from_phone
from ..establishments.filters import (
    MAX_PAGE, EstablishmentFilter, parse_cursor, read_filter,
)
from ..extensions import csrf
from ..adminunits import queries as unit_queries
from ..geo.capture import gps_rules
from ..models import Establishment, Role, SurveyRound, UnitLevel
from ..photos.services import PhotoRefused, photo_rules, store_photo_telling
from ..questionnaire.answers import check_answers
from ..questionnaire.registry import registry
from ..questionnaire.validation import named_errors
from ..questionnaire.serialize import definition_json
from ..survey import queries as survey_queries
from ..survey.forms import RegistrationForm
from ..survey.services import RecordApproved, RecordConflict, definition_for, save_record
from . import serialize
from .errors import ApiError, handle_api_error
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token requests need none; cookie requests are checked in _csrf_for_cookie_sessions
bp.register_error_handler(ApiError, handle_api_error)
MAX_PAGE_SIZE = 500
#: Objects and arrays within one another in a request body; a record needs 5 (answers, a repeat, a row, a point).
MAX_JSON_DEPTH = 32
CAPTURE = (Role.admin, Role.enumerator)


def uses_bearer_token() -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


@bp.before_request
def _csrf_for_cookie_sessions():
    """A request authenticated by the browser's cookie could be forged by another site: it needs the token."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and not uses_bearer_token():
        csrf.protect()


def _json_with_etag(payload, option: int = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS) -> Response:
    """The payload as JSON, keys sorted, with a strong ETag; 304 when the client already has this version.

    `option`: orjson's, for a payload whose keys come sorted already (the list, `serialize.ROWS_JSON_OPTION`)."""
    body = orjson.dumps(payload, option=option)
    etag = hashlib.sha256(body).hexdigest()[:32]
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())


@bp.get("/session")
@allow(*ALL_ROLES)
def session_info():
    """Who is signed in, and a fresh CSRF token for cookie-authenticated POSTs (the offline outbox)."""
    return jsonify({"user": serialize.user_json(current_user), "csrf_token": generate_csrf()})


@bp.get("/assignments")
@allow(*ALL_ROLES)
def assignments():
    rows = account_queries.assignments_of_user(get_session(), current_user.id)
    return jsonify({"assignments": [serialize.assignment_json(a, r, c) for a, r, c in rows]})


@bp.get("/establishments")
@allow(*ALL_ROLES)
def establishments():
    session = get_session()
    page = _positive_int("page", 1)
    per_page = min(_positive_int("per_page", 100), MAX_PAGE_SIZE)
    after, before = _cursor("after"), _cursor("before")
    result = establishment_queries.establishments_page(session, _establishment_filter(session), page, per_page,
                                                       scope=commune_scope(), columns=serialize.ESTABLISHMENT_COLUMNS,
                                                       after=after, before=before, successors=True)
    return _json_with_etag({  # keys in sorted order
        "establishments": serialize.establishment_rows_json(result.rows),
        # The next page read from this code (?page=N+1&after=...) costs what page 1 costs, however deep.
        "next_after": result.rows[-1].code if result.rows and page < result.pages else None,
        "page": page, "pages": result.pages, "per_page": per_page, "total": result.total,
    }, option=serialize.ROWS_JSON_OPTION)


def _cursor(name: str) -> str | None:
    code, error = parse_cursor(request.args.get(name))
    if error:
        raise ApiError(400, "invalid_argument", f"{name} must be an establishment code", {"argument": name})
    return code


def _establishment_filter(session) -> EstablishmentFilter:
    """The list's filter arguments (district, commune, sector, q, ...); a bad one is a 400 naming it."""
    parsed = read_filter(session, request.args, current_app.config["PROVINCE_CODE"], paged=False)
    if parsed.errors:
        raise ApiError(400, "invalid_filter", "Some filter arguments are not valid", {"errors": parsed.errors})
    return parsed.filter


def _positive_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(400, "invalid_argument", f"{name} must be a whole number from 1 to {MAX_PAGE}",
                       {"argument": name})
    return int(raw)


def _round_or_error(session, code: str | None):
    rounds = survey_queries.open_rounds(session)
    chosen = next((r for r in rounds if r.code == code), None) if code else (rounds[0] if rounds else None)
    if chosen is None:
        raise ApiError(404, "round_not_open", "No open survey round with this code", {"round": code})
    return chosen


REGISTRATION_FIELDS = ("name", "owner", "legal_form", "vsic_code", "address", "phone")


@bp.post("/establishments")
@allow(*CAPTURE)
def register_establishment():
    """Register an establishment found offline; the client's UUID makes a resend harmless (200, the same one).
    A likely duplicate of the commune is registered all the same and flagged for review."""
    payload = _registration_payload()
    session = get_session()
    survey_round = _round_or_error(session, payload.get("round"))
    commune = unit_queries.unit_by_code(session, payload["commune_code"])
    if commune is None or commune.level != UnitLevel.commune:
        raise _registration_refused({"commune_code": str(_l("Unknown commune: %(code)s", code=payload["commune_code"]))})
    if not may_work_in(commune.code, survey_round.id, [Role.enumerator]):
        raise ApiError(403, "commune_not_assigned", "This commune is not assigned to you",
                       {"commune_code": commune.code})
    fields = _registration_fields(payload)
    try:
        outcome = register_from_phone(session, client_uuid=payload["uuid"], commune_code=commune.code,
                                      actor_id=current_actor_id(), **fields)
        session.commit()
    except EstablishmentError as error:
        session.rollback()
        raise _registration_refused({error.field: str(error)}) from None
    except IntegrityError:  # the same UUID (or the same next code) committed by a parallel request a moment ago
        session.rollback()
        outcome = register_from_phone(session, client_uuid=payload["uuid"], commune_code=commune.code,
                                      actor_id=current_actor_id(), **fields)
        session.commit()
    found = outcome.establishment
    if (found.name, found.commune_code) != (fields["name"].strip(), commune.code):
        raise ApiError(409, "uuid_conflict", "This UUID already names another establishment",
                       {"uuid": payload["uuid"], "code": found.code})
    successor = unit_queries.successors_by_code(session, {found.commune_code}).get(found.commune_code)
    response = jsonify(serialize.establishment_json(found, successor) | {
        "created": outcome.created,
        "likely_duplicates": [{"code": e.code, "name": e.name} for e in outcome.likely_duplicates]})
    response.status_code = 201 if outcome.created else 200
    return response


def _registration_payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object")
    try:
        payload["uuid"] = str(uuid_module.UUID(str(payload.get("uuid"))))
    except ValueError:
        raise ApiError(400, "invalid_request", "The request is missing or has malformed fields",
                       {"fields": {"uuid": "a UUID made by the client is required"}}) from None
    payload["commune_code"] = str(payload.get("commune_code") or "")
    return payload


def _registration_fields(payload: dict) -> dict:
    """The online registration form's checks, on the JSON fields: 422 naming each bad one."""
    data = MultiDict({name: str(payload[name]) for name in REGISTRATION_FIELDS if payload.get(name) is not None})
    form = RegistrationForm(formdata=data, meta={"csrf": False})
    if not form.validate():
        raise _registration_refused({name: " ".join(map(str, errors)) for name, errors in form.errors.items()})
    return {name: (form[name].data or None) if name in ("owner", "address", "phone") else form[name].data
            for name in REGISTRATION_FIELDS}


def _registration_refused(errors: dict[str, str]) -> ApiError:
    """422 naming each bad field; `questions` gives each its label and message in the request's language, for
    the outbox, which never shows a field name."""
    form = RegistrationForm(formdata=None, meta={"csrf": False})
    labels = {name: str(form[name].label.text) for name in REGISTRATION_FIELDS} | {"commune_code": str(_l("Commune"))}
    return ApiError(422, "invalid_establishment", "Some fields are not valid", {
        "errors": errors,
        "questions": [{"field": field, "label": labels.get(field, ""), "message": message}
                      for field, message in errors.items()]})


@bp.post("/establishments/<code>/photos")
@allow(*CAPTURE)
def post_photo(code: str):
    """Store a photo of an establishment (the body: the image, or a multipart field "photo"); its file name
    is then the answer to the image question. The same bytes again: 200 and the same name, nothing stored."""
    session = get_session()
    survey_round = _round_or_error(session, request.args.get("round"))
    establishment = establishment_queries.establishment_by_code(session, code)
    if establishment is None or not may_work_in(establishment.commune_code, survey_round.id, [Role.enumerator]):
        raise ApiError(404, "unknown_establishment", "No establishment with this code in your communes",
                       {"establishment_code": code})
    upload = request.files.get("photo")
    data = upload.read() if upload is not None else request.get_data(cache=False)
    try:
        photo, created = store_photo_telling(
            session, establishment=establishment, question=request.args.get("question"),
            filename=upload.filename if upload is not None else None, data=data,
            rules=photo_rules(current_app.config, current_app.instance_path), actor_id=current_actor_id())
    except PhotoRefused as error:
        raise ApiError(422, "photo_refused", str(error), {"question": request.args.get("question")}) from None
    session.commit()
    response = jsonify(serialize.photo_json(photo) | {"created": created})
    response.status_code = 201 if created else 200
    return response


@bp.get("/questionnaire")
@allow(*ALL_ROLES)
def questionnaire():
    session = get_session()
    survey_round = _round_or_error(session, request.args.get("round"))
    definition = definition_for(session, registry(), survey_round.questionnaire_id, survey_round.questionnaire_version)
    return _json_with_etag({"round": serialize.round_json(survey_round), "questionnaire": definition_json(definition)})


@bp.get("/records/<record_uuid>")
@allow(*ALL_ROLES)
def get_record(record_uuid: str):
    session = get_session()
    record = survey_queries.record_by_uuid(session, record_uuid)
    establishment = session.get(Establishment, record.establishment_id) if record else None
    scope = commune_scope()
    if record is None or (scope is not None and establishment.commune_code not in scope):
        raise ApiError(404, "record_not_found", "No such record", {"uuid": record_uuid})
    return jsonify(serialize.record_json(record, establishment, session.get(SurveyRound, record.round_id)))


@bp.post("/records")
@allow(*CAPTURE)
def post_record():
    """Create one record version. The client's UUID makes a resend harmless (200, nothing created)."""
    payload = _record_payload()
    session = get_session()
    survey_round = _round_or_error(session, payload["round"])
    establishment = establishment_queries.establishment_by_code(session, payload["establishment_code"])
    if establishment is None or not may_work_in(establishment.commune_code, survey_round.id, [Role.enumerator]):
        raise ApiError(404, "unknown_establishment", "No establishment with this code in your communes",
                       {"establishment_code": payload["establishment_code"]})
    definition = definition_for(session, registry(), survey_round.questionnaire_id, survey_round.questionnaire_version)
    existing, current = survey_queries.record_and_current(session, payload["uuid"], establishment.id, survey_round.id)
    if existing is not None:
        return _resend(session, existing, establishment, survey_round, definition, payload)
    try:
        result = save_record(session, establishment=establishment, survey_round=survey_round, definition=definition,
                             raw_answers=payload["answers"], submit=payload["submit"], actor_id=current_actor_id(),
                             actor_role=current_user.role, base_uuid=payload["supersedes"], record_uuid=payload["uuid"],
                             language=_language(), gps=gps_rules(current_app.config), current=current)
        if not result.ok:
            raise ApiError(422, "invalid_answers", "Some answers are not valid", {
                "errors": result.errors, "questions": named_errors(definition, result.errors, _language())})
        session.commit()
    except RecordApproved:
        session.rollback()
        raise ApiError(403, "record_approved", "An approved record can no longer be changed") from None
    except RecordConflict as conflict:
        session.rollback()
        if str(conflict) == payload["uuid"]:  # our own resend, committed by a parallel request a moment ago
            return _resend(session, survey_queries.record_by_uuid(session, payload["uuid"]), establishment,
                           survey_round, definition, payload)
        raise ApiError(409, "stale_version", "The record changed since this version was based on it",
                       {"current_uuid": str(conflict), "supersedes": payload["supersedes"]}) from None
    except IntegrityError:
        # Another request with the same UUID (or for the same record) committed first.
        session.rollback()
        existing = survey_queries.record_by_uuid(session, payload["uuid"])
        if existing is None:
            raise ApiError(409, "stale_version", "Another version of this record was saved at the same time") from None
        return _resend(session, existing, establishment, survey_round, definition, payload)
    response = jsonify(serialize.record_json(result.record, establishment, survey_round) | {"created": True})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_record", record_uuid=result.record.uuid)
    return response


def _language() -> str:
    return str(get_locale() or "vi")


def _json_body():
    """The request's JSON; a body nested deeper than MAX_JSON_DEPTH is a 400, not a RecursionError."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None
        too_deep = True
    else:
        too_deep = _nested_deeper_than(payload, MAX_JSON_DEPTH)
    if too_deep:
        raise ApiError(400, "invalid_json", f"The body nests objects and arrays deeper than {MAX_JSON_DEPTH} levels",
                       {"max_depth": MAX_JSON_DEPTH})
    return payload


def _nested_deeper_than(value, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:  # a loop, not recursion: the value may be as deep as the parser allowed
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _record_payload() -> dict:
    payload = _json_body()
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object")
    problems = {}
    try:
        record_uuid = str(uuid_module.UUID(str(payload.get("uuid"))))
    except ValueError:
        record_uuid = None
        problems["uuid"] = "a UUID made by the client is required"
    if not isinstance(payload.get("establishment_code"), str) or not payload["establishment_code"]:
        problems["establishment_code"] = "required"
    if not isinstance(payload.get("answers"), dict):
        problems["answers"] = "an object of answers keyed by question name is required"
    supersedes = payload.get("supersedes")
    if supersedes is not None:
        try:
            supersedes = str(uuid_module.UUID(str(supersedes)))
        except ValueError:
            problems["supersedes"] = "must be the UUID of the version this one replaces"
    status = payload.get("status", "submitted")
    if status not in ("draft", "submitted"):
        problems["status"] = "draft or submitted"
    if problems:
        raise ApiError(400, "invalid_request", "The request is missing or has malformed fields", {"fields": problems})
    return {"uuid": record_uuid, "establishment_code": payload["establishment_code"], "answers": payload["answers"],
            "supersedes": supersedes, "submit": status == "submitted", "round": payload.get("round")}


def _resend(session, existing, establishment, survey_round, definition, payload: dict):
    """The same UUID again: identical content → 200 and nothing new; anything else → 409."""
    outcome = check_answers(definition, payload["answers"], submit=payload["submit"], language=_language())
    identical = (existing.establishment_id == establishment.id and existing.round_id == survey_round.id
                 and existing.answers == outcome.answers and existing.supersedes == payload["supersedes"]
                 and (existing.submitted_at is not None) == payload["submit"])
    if not identical:
        raise ApiError(409, "uuid_conflict", "This UUID already names a record with other content",
                       {"uuid": existing.uuid})
    response = jsonify(serialize.record_json(existing, establishment, survey_round) | {"created": False})
    response.status_code = 200
    return response
