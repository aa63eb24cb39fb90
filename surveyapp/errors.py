"""Error pages in the user's language; a busy database is a 503 to retry, not a 500."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .api.errors import error_response, handle_http_error as api_error
from .db import is_busy

#: Seconds a client is asked to wait before sending again when the database was busy.
RETRY_AFTER_SECONDS = 5


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_error)


def _http_error(error: HTTPException):
    if isinstance(error, InternalServerError):
        current_app.logger.error("Unhandled error", exc_info=error.original_exception)
    if request.path.startswith("/api/"):
        return api_error(error)
    # Werkzeug's stock descriptions are English; only a description we set ourselves is shown.
    custom = error.description if error.description != type(error).description else None
    return render_template("errors/error.html", status=error.code, description=custom), error.code


def _database_error(error: OperationalError):
    """Another connection held the lock too long (an import, a long task): nothing was saved, try again."""
    if not is_busy(error):
        raise error  # a fault: Flask's 500 handling (and tests see it)
    current_app.logger.warning("Database busy on %s %s: %s", request.method, request.path, error.orig)
    if request.path.startswith("/api/"):  # the API's messages are English, like its codes
        response, _status = error_response(503, "busy", "The database is busy; nothing was saved. Send again after "
                                                        "Retry-After seconds.")
    else:
        message = _("The database is busy with other work; nothing was saved. Try again in a few seconds.")
        response = current_app.make_response(render_template("errors/error.html", status=503, description=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
