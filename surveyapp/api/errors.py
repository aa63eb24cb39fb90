"""Every API error is a JSON body {"error": {"code", "message", "details"}} with its HTTP status."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException

#: HTTP errors raised by Flask itself (404 route, 405 method...) as stable codes.
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid", 429: "too_many_requests", 500: "server_error", 503: "busy"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status


def handle_api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.details)


def handle_http_error(error: HTTPException):
    status = error.code or 500
    message = error.description if error.description != type(error).description else error.name
    return error_response(status, _HTTP_CODES.get(status, "error"), message)
