"""Error pages in the user's language."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .api.errors import handle_http_error as api_error


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException):
    if isinstance(error, InternalServerError):
        current_app.logger.error("Unhandled error", exc_info=error.original_exception)
    if request.path.startswith("/api/"):
        return api_error(error)
    # Werkzeug's stock descriptions are English; only a description we set ourselves is shown.
    custom = error.description if error.description != type(error).description else None
    return render_template("errors/error.html", status=error.code, description=custom), error.code
