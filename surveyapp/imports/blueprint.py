"""Every URL of imports (administrators only): upload → preview with every problem → confirm."""
from __future__ import annotations

import csv
import io
import os

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.access import allow, current_actor_id
from ..db import get_session
from ..survey.queries import all_rounds
from ..exports.formats import neutralise
from ..extensions import csrf
from ..models import Role
from . import services, uploads
from .forms import ConfirmForm, UploadForm
from .reading import MAX_BYTES, MAX_ROWS, ImportFileError, megabytes
from .safety import Limits

bp = Blueprint("imports", __name__, template_folder="templates")
#: Problems listed on the page; all of them are in the downloadable list.
ERRORS_SHOWN = 1000
CHANGES_SHOWN = 100


def _limits() -> tuple[int, int]:
    return (current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES), current_app.config.get("IMPORT_MAX_ROWS", MAX_ROWS))


def _folder() -> str:
    return current_app.config.get("IMPORT_UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads", "imports")


def _round_choices() -> list[tuple[str, str]]:
    return [("", _("No survey round"))] + [(r.code, f"{r.code} – {r.title}") for r in all_rounds(get_session())]


@bp.route("/imports", methods=["GET", "POST"])
@allow(Role.admin)
@csrf.exempt  # the form checks its token and keeps the chosen round when it fails
def upload():
    max_bytes, max_rows = _limits()
    try:
        form = UploadForm()
    except RequestEntityTooLarge:
        form, too_large = UploadForm(formdata=None), True
    else:
        too_large = False
    form.round.choices = _round_choices()
    page = {"form": form, "max_mb": megabytes(max_bytes), "max_rows": max_rows}
    if too_large:
        return render_template("imports/upload.html", file_error=_too_large(max_bytes), **page), 413
    if request.method == "GET" or not form.validate_on_submit():
        expired = bool(form.meta.csrf and form.csrf_token.errors)
        status = 400 if expired else 422 if form.errors else 200
        return render_template("imports/upload.html", expired=expired, **page), status
    data = form.file.data.read(max_bytes + 1)
    if len(data) > max_bytes:
        return render_template("imports/upload.html", file_error=_too_large(max_bytes), **page), 413
    filename = os.path.basename(form.file.data.filename or "upload")[:200]
    stored = uploads.store(_folder(), data, filename, form.round.data or None, current_user.username)
    try:
        return _preview(stored)
    except BaseException:  # whatever stopped the check (memory, a bug): the file is not kept
        uploads.discard(_folder(), stored.token)
        raise


def _too_large(max_bytes: int) -> str:
    return _("The file is larger than %(mb)s MB; split it into smaller files.", mb=megabytes(max_bytes))


def _check(stored: uploads.Upload):
    """(plan, None) or (None, a message about the file or the round)."""
    max_bytes, max_rows = _limits()
    try:
        return services.check_file(get_session(), stored.data, stored.filename,
                                   province_code=current_app.config["PROVINCE_CODE"], round_code=stored.round_code,
                                   max_rows=max_rows, max_bytes=max_bytes,
                                   limits=Limits.from_config(current_app.config)), None
    except (ImportFileError, services.ImportRoundError) as error:
        return None, str(error)


def _preview(stored: uploads.Upload, expired: bool = False, failure: list | None = None, status: int | None = None):
    plan, file_error = _check(stored)
    get_session().rollback()  # the check wrote nothing; end its read transaction
    if plan is None:  # an unreadable file will never be confirmed
        uploads.discard(_folder(), stored.token)
    confirm = ConfirmForm(formdata=None)
    changed = [row for row in plan.rows if row.changes][:CHANGES_SHOWN] if plan else []
    body = render_template("imports/preview.html", upload=stored, plan=plan, file_error=file_error,
                           confirm=confirm, expired=expired, failure=failure or [], changed=changed,
                           errors_shown=ERRORS_SHOWN)
    if status is None:
        status = 422 if (file_error or (plan and not plan.ok)) else 200
    return body, status


@bp.post("/imports/<token>/confirm")
@allow(Role.admin)
@csrf.exempt  # the form checks its token; on failure the preview is shown again
def confirm(token: str):
    stored = uploads.load(_folder(), token)
    if stored is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _preview(stored, expired=True, status=400)
    session = get_session()
    plan, file_error = _check(stored)
    if plan is None or not plan.ok:
        session.rollback()
        return _preview(stored, status=422)
    try:
        report = services.write_plan(session, plan, stored.data, actor_id=current_actor_id(),
                                     write_rows=current_app.config.get("IMPORT_WRITE_ROWS"))
    except services.ImportAborted as error:
        session.rollback()
        return _preview(stored, failure=error.errors, status=422)
    session.commit()
    uploads.discard(_folder(), token)
    counts = report.counts
    flash(_("Imported %(file)s: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.",
            file=stored.filename, created=counts["create"], updated=counts["update"],
            unchanged=counts["unchanged"]), "success")
    return redirect(url_for("imports.upload"))


@bp.get("/imports/<token>/problems.csv")
@allow(Role.admin)
def problems(token: str):
    """Every problem of an uploaded file, as a CSV to work through in a spreadsheet."""
    stored = uploads.load(_folder(), token)
    if stored is None:
        abort(404)
    plan, file_error = _check(stored)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "problem"])
    if file_error:
        writer.writerow(["", "", "", file_error])
    for problem in plan.errors if plan else []:
        writer.writerow([problem.row or "", neutralise(problem.column or ""), neutralise(problem.value or ""),
                         neutralise(problem.message)])
    name = f"problems_{os.path.splitext(stored.filename)[0][:60]}.csv".encode("ascii", "ignore").decode() or "problems.csv"
    return Response(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name.replace(chr(34), "")}"'})
