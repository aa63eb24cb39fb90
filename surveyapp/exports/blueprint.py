"""Every URL of exports: /exports/establishments.<csv|xlsx|geojson|gpkg>?<the list's filter arguments>."""
from __future__ import annotations

import os
import tempfile

from flask import Blueprint, Response, abort, current_app, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..accounts.access import READERS, allow, commune_scope, current_actor_id
from ..db import get_session
from ..establishments.filters import read_filter
from ..photos.export import write_photo_zip
from ..photos.services import photo_rules
from . import services
from .columns import LANGUAGES

bp = Blueprint("exports", __name__)


@bp.get("/exports/establishments.<any(csv, xlsx, geojson, gpkg):fmt>")
@allow(*READERS)
def establishments(fmt: str):
    """Exactly the establishments the list shows for the same arguments (enumerators: their communes)."""
    session = get_session()
    export = services.ExportRequest(fmt, _filter_or_400(session), commune_scope(), _language_or_400(),
                                    current_user.username)
    try:
        rows = services.count_rows(session, export)
    except services.ExportError:
        abort(400, description=_("Too many rows for one worksheet: filter further or export CSV."))
    services.record_export(session, export, rows, current_actor_id(), request.remote_addr)
    session.commit()
    name = services.export_file_name(export.filter, fmt, clock.local_today())
    mimetype = services.FORMATS[fmt][0]
    if fmt in services.STREAMED:
        stream_session = current_app.extensions["surveyapp.sessionmaker"]()
        # content_type, not mimetype: Werkzeug adds a charset to a text mimetype even when it names one
        response = Response(_closing(services.chunks(stream_session, export), stream_session), content_type=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = _send_temporary_file(session, export, name, mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports/photos.zip")
@allow(*READERS)
def photos():
    """The photos of the establishments the same filter exports (the CSV's photo_files column names them)."""
    session = get_session()
    wanted, scope = _filter_or_400(session), commune_scope()
    handle = tempfile.TemporaryFile(prefix="surveyapp-photos-")
    try:
        count = write_photo_zip(session, wanted, scope,
                                photo_rules(current_app.config, current_app.instance_path).folder, handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    services.record_export(session, services.ExportRequest("photos.zip", wanted, scope), count, current_actor_id(),
                           request.remote_addr)
    session.commit()
    name = services.export_file_name(wanted, "csv", clock.local_today()).replace("establishments_", "photos_", 1)
    response = send_file(handle, mimetype="application/zip", as_attachment=True,
                         download_name=name.removesuffix(".csv") + ".zip", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def _closing(chunks, session):
    """Stream the chunks, then close the export's own session (the request's is gone by then).

    No request context is kept for the stream (no stream_with_context): the rows need only their
    session, and a context popped late by an abandoned download would unbalance the context stack.
    """
    try:
        yield from chunks
    finally:
        session.close()


def _filter_or_400(session):
    parsed = read_filter(session, request.args, current_app.config["PROVINCE_CODE"], paged=False)
    if parsed.errors:
        details = "; ".join(f"{name}: {message}" for name, message in parsed.errors.items())
        abort(400, description=_("The filter is not valid (%(details)s).", details=details))
    return parsed.filter


def _language_or_400() -> str:
    language = request.args.get("headers") or "en"
    if language not in LANGUAGES:
        abort(400, description=_("headers must be en or vi."))
    return language


def _send_temporary_file(session, export: services.ExportRequest, name: str, mimetype: str):
    """Formats that need a whole file (XLSX, GeoPackage): written to a temporary file, sent, deleted."""
    handle, path = tempfile.mkstemp(prefix="surveyapp-export-", suffix=f".{services.FORMATS[export.format][1]}")
    os.close(handle)
    try:
        if export.format == "gpkg":
            os.unlink(path)  # GDAL creates the GeoPackage itself
        services.write_file(session, export, path, current_app.config["PROVINCE_CODE"])
        handle = open(path, "rb")
    except BaseException:
        _remove(path)
        raise
    response = send_file(handle, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    try:
        os.unlink(path)  # POSIX: the open handle keeps the data, and nothing is left behind whatever happens
    except OSError:  # Windows cannot remove an open file: remove it when the response is closed
        response.call_on_close(lambda: _remove(path))
    return response


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
