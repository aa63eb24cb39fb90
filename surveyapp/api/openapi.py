"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: dict[str, Any], etag: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if etag:
        response["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "Send back in If-None-Match"}}
    return response


_AUTH_ERRORS = {"401": _error("No valid token or session"), "403": _error("Your role may not do this")}
_NOT_MODIFIED = {"304": {"description": "Unchanged since the ETag sent in If-None-Match"}}


def openapi_document() -> dict[str, Any]:
    record_ref = {"$ref": "#/components/schemas/Record"}
    registered_ref = {"$ref": "#/components/schemas/Registered"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "surveyapp API", "version": "1",
                 "description": "Census of rural industrial establishments. Authenticate with "
                                "`Authorization: Bearer <token>` (tokens: /account/tokens)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/assignments": {"get": {"summary": "My communes per survey round", "responses": {
                "200": _ok("Assignments", {"type": "object", "properties": {"assignments": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Assignment"}}}}), **_AUTH_ERRORS}}},
            "/establishments": {"get": {
                "summary": "Establishments of my communes, paged, filtered like the web list",
                "parameters": [_query("page", "integer", "1 to 1000000; a page past the last is empty, with the total"),
                               _query("per_page", "integer", "At most 500"),
                               _query("after", "string", "Code the previous page ended with (its next_after): "
                                      "the page is read from there, as fast as page 1 however deep"),
                               _query("before", "string", "Code the next page began with: the page before it"),
                               _query("district", "string", "GSO district code"),
                               _query("commune", "string", "GSO commune code"),
                               _query("commune_2025", "string", "GSO commune code after 1 July 2025"),
                               _query("units", "string", "legacy (before 1 July 2025) or 2025: the units a "
                                      "reader sees; default the round's"),
                               _query("sector", "string", "VSIC division, e.g. C10"),
                               _query("legal_form", "string"), _query("status", "string"),
                               _query("round", "string", "Has a record in this round"),
                               _query("q", "string", "Words of the name, owner or address; diacritics ignored"),
                               _query("gps_mismatch", "string", "1 or 0"), _query("supported", "string", "1 or 0"),
                               _query("project", "string"), _query("certificate_level", "string"),
                               _query("ocop_min_stars", "string", "1 to 5"),
                               {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": _ok("A page", {"$ref": "#/components/schemas/EstablishmentPage"}, etag=True),
                              **_NOT_MODIFIED, "400": _error("Bad page or per_page (invalid_argument) or filter (invalid_filter)"), **_AUTH_ERRORS}},
                "post": {
                "summary": "Register an establishment found in the field (offline); resending the same UUID is harmless",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RegistrationIn"}}}},
                "responses": {
                    "201": _ok("Registered; likely_duplicates lists the commune's establishments it may duplicate "
                               "(registered all the same, flagged for review on /duplicates)", registered_ref),
                    "200": _ok("Already registered (same UUID)", registered_ref),
                    "400": _error("Malformed request (code invalid_json or invalid_request)"),
                    "403": _error("commune_not_assigned, or your role may not register"),
                    "409": _error("uuid_conflict: this UUID already names another establishment"),
                    "422": _error("invalid_establishment: details.errors maps each field to its message"),
                    "401": _error("No valid token or session")}}},
            "/establishments/{code}/photos": {"post": {
                "summary": "Store a photo of an establishment, before the record whose image answer names it. "
                           "Send the image as the body (Content-Type image/jpeg) or as the multipart field "
                           "`photo`. Shrink it first to PHOTO_MAX_PX (1600 px) on its long side; a larger or "
                           "non-JPEG image is shrunk and re-encoded here. The answer to the image question is "
                           "the returned file_name (\"<sha256>.jpg\"). Idempotent: the same bytes again store "
                           "nothing and return the same file_name",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                               _query("round", "string", "An open round (default: the first); your communes in it"),
                               _query("question", "string", "The image question, kept for reference")],
                "requestBody": {"required": True, "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "photo": {"type": "string", "format": "binary"}}}}}},
                "responses": {
                    "201": _ok("Stored", {"$ref": "#/components/schemas/Photo"}),
                    "200": _ok("Already stored (same content): nothing written", {"$ref": "#/components/schemas/Photo"}),
                    "404": _error("Unknown establishment (or not in your communes), or round not open"),
                    "422": _error("photo_refused: not an image, or over PHOTO_MAX_BYTES; the message is for the "
                                  "user, in the request's language"),
                    **_AUTH_ERRORS}}},
            "/questionnaire": {"get": {
                "summary": "The questionnaire definition of an open round (default: the first open round)",
                "parameters": [_query("round", "string"),
                               {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": _ok("Round and questionnaire", {"type": "object"}, etag=True), **_NOT_MODIFIED,
                              "404": _error("No such open round"), **_AUTH_ERRORS}}},
            "/records": {"post": {
                "summary": "Submit one record version; resending the same UUID is harmless",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RecordIn"}}}},
                "responses": {
                    "201": _ok("Created", record_ref), "200": _ok("Already received (same UUID, same content)", record_ref),
                    "400": _error("Malformed request (code invalid_json or invalid_request)"),
                    "404": _error("Unknown establishment (or not in your communes), or round not open"),
                    "409": _error("uuid_conflict: same UUID, other content; stale_version: `supersedes` is not the "
                                  "current version"),
                    "422": _error("invalid_answers: details.errors maps each field to its message; details.questions "
                                   "lists {field, label, message} in document order, in the request's language"),
                    **_AUTH_ERRORS}}},
            "/records/{uuid}": {"get": {
                "summary": "One record version",
                "parameters": [{"name": "uuid", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _ok("The record", record_ref), "404": _error("No such record"), **_AUTH_ERRORS}}},
            "/session": {"get": {"summary": "Who I am, and a CSRF token for cookie-authenticated POSTs",
                                 "responses": {"200": _ok("Session", {"type": "object"}), **_AUTH_ERRORS}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
    }


def _query(name: str, kind: str, description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


def _schemas() -> dict[str, Any]:
    text, nullable_text = {"type": "string"}, {"type": ["string", "null"]}
    timestamp = {"type": ["string", "null"], "format": "date-time",
                 "description": "ISO 8601 in the app's time zone, with its offset: 2026-12-06T05:20:00+07:00"}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": text, "message": text, "details": {"type": "object"}}}}},
        "Photo": {"type": "object", "properties": {
            "file_name": {"type": "string", "description": "The answer to the image question: \"<sha256>.jpg\""},
            "sha256": text, "size_bytes": {"type": "integer"}, "width": {"type": "integer"},
            "height": {"type": "integer"}, "question": nullable_text, "created": {"type": "boolean"}}},
        "Assignment": {"type": "object", "properties": {
            "round": text, "round_open": {"type": "boolean"},
            "admin_units": {"type": "string", "enum": ["legacy", "2025"],
                            "description": "Units the round is organised by: the commune is one of them"},
            "commune_code": text, "commune_name": text,
            "district_code": {"type": ["string", "null"], "description": "None for a commune after 1 July 2025"}}},
        "Establishment": {"type": "object", "properties": {
            "code": text, "name": text, "owner": nullable_text, "legal_form": text, "vsic_code": text, "sector": text,
            "address": nullable_text, "commune_code": text, "district_code": text,
            "commune_code_2025": {"type": ["string", "null"], "description": "Commune after 1 July 2025 it counts in"},
            "commune_name_2025": nullable_text, "province_code_2025": nullable_text,
            "province_name_2025": nullable_text, "lat": {"type": ["number", "null"]},
            "lon": {"type": ["number", "null"]}, "workers": {"type": ["integer", "null"]},
            "revenue_vnd": {"type": ["integer", "null"]}, "version": {"type": "integer"}, "updated_at": timestamp}},
        "EstablishmentPage": {"type": "object", "properties": {
            "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
            "pages": {"type": "integer"}, "next_after": {"type": ["string", "null"]},
            "establishments": {"type": "array", "items": {"$ref": "#/components/schemas/Establishment"}}}},
        "RegistrationIn": {"type": "object", "required": ["uuid", "commune_code", "name", "legal_form", "vsic_code"],
                           "properties": {
            "uuid": {"type": "string", "format": "uuid", "description": "Made by the client, once per establishment"},
            "round": {"type": "string", "description": "Default: the open round (the commune must be assigned in it)"},
            "commune_code": text, "name": text, "owner": nullable_text, "legal_form": text,
            "vsic_code": {"type": "string", "description": "4 or 5 digits"}, "address": nullable_text,
            "phone": nullable_text}},
        "Registered": {"allOf": [{"$ref": "#/components/schemas/Establishment"}, {"type": "object", "properties": {
            "created": {"type": "boolean"}, "likely_duplicates": {"type": "array", "items": {
                "type": "object", "properties": {"code": text, "name": text}}}}}]},
        "RecordIn": {"type": "object", "required": ["uuid", "establishment_code", "answers"], "properties": {
            "uuid": {"type": "string", "format": "uuid", "description": "Made by the client, once per version"},
            "establishment_code": text, "round": {"type": "string", "description": "Default: the open round"},
            "answers": {"type": "object", "description": "Keyed by question name; repeats as arrays of objects"},
            "status": {"enum": ["draft", "submitted"], "default": "submitted"},
            "supersedes": {"type": ["string", "null"], "format": "uuid",
                           "description": "UUID of the version this one edits"}}},
        "Record": {"type": "object", "properties": {
            "uuid": text, "establishment_code": text, "round": text, "status": text,
            "version_number": {"type": "integer"}, "is_current": {"type": "boolean"}, "supersedes": nullable_text,
            "answers": {"type": "object"}, "created": {"type": "boolean"}, "created_at": timestamp,
            "submitted_at": timestamp, "approved_at": timestamp}},
    }
