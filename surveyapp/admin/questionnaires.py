"""/admin/questionnaires: questionnaires and their versions; upload an XLSForm (.xlsx) or a .md, see its
problems or a preview at phone width, map questions to the registry, publish, attach to a round,
download a version as .xlsx.

An upload that passes every check waits as a private file named by its SHA-256 (its canonical
Markdown) until it is published: the preview and the mapping screen read it from there.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..accounts.access import allow, current_actor_id
from ..db import get_session
from ..geo.capture import capture_frame, gps_rules, map_tiles
from ..imports.safety import Limits
from ..models import Role
from ..private_files import private_folder, write_private
from ..questionnaire.builder import form_data
from ..questionnaire.definition import ESTABLISHMENT_FIELDS, DefinitionError, load_definition
from ..questionnaire.messages import problem_line
from ..questionnaire.publishing import (
    PublishError, attach_version, check_candidate, check_upload, known_versions, publish, with_mappings,
)
from ..questionnaire.registry import registry
from ..questionnaire.validation import browser_questions, browser_texts
from ..questionnaire.xlsform import candidate_from_markdown, workbook_bytes
from ..security import content_security_policy, csp_nonce, map_tile_hosts
from ..survey import queries as survey_queries
from ..survey.services import definition_for
from .blueprint import bp

_SHA = re.compile(r"^[0-9a-f]{64}$")
#: The phone width the preview is drawn at (CSS pixels: most Android phones in use).
PREVIEW_WIDTH = 360


def _language() -> str:
    return str(get_locale() or "vi")


def _upload_folder() -> Path:
    return private_folder(Path(current_app.config.get("QUESTIONNAIRE_UPLOAD_FOLDER")
                               or os.path.join(current_app.instance_path, "uploads", "questionnaires")))


def _candidate_text(sha: str) -> str:
    path = _upload_folder() / f"{sha}.md"
    if not _SHA.match(sha) or not path.is_file():
        abort(404)
    return path.read_text(encoding="utf-8")


def _keep_candidate(markdown: str) -> str:
    sha = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
    write_private(_upload_folder() / f"{sha}.md", markdown.encode("utf-8"))
    return sha


def _list_page(problems=None, filename: str = "", status: int = 200):
    session = get_session()
    versions = known_versions(session, registry(), _language())
    return render_template("admin/questionnaires.html", versions=versions, rounds=survey_queries.all_rounds(session),
                           problems=problems, filename=filename), status


@bp.get("/questionnaires")
@allow(Role.admin)
def questionnaires():
    return _list_page()


@bp.post("/questionnaires")
@allow(Role.admin)
def upload_questionnaire():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose an XLSForm .xlsx or a questionnaire .md file."), "error")
        return redirect(url_for("admin.questionnaires"))
    checked = check_upload(get_session(), registry(), upload.filename, upload.read(),
                           Limits.from_config(current_app.config))
    if not checked.ok:
        return _list_page([problem_line(p) for p in checked.problems], upload.filename, 422)
    sha = _keep_candidate(checked.definition.source_text)
    return redirect(url_for("admin.questionnaire_candidate", sha=sha, name=upload.filename))


@bp.get("/questionnaires/candidates/<sha>")
@allow(Role.admin)
def questionnaire_candidate(sha: str):
    markdown = _candidate_text(sha)
    checked = check_candidate(get_session(), registry(), candidate_from_markdown(markdown),
                              request.args.get("name") or "upload")
    if not checked.ok:  # published meanwhile with other questions, or forms/ changed
        return _list_page([problem_line(p) for p in checked.problems], request.args.get("name", ""), 422)
    definition = checked.definition
    mappable = [q for q in definition.walk() if q.kind not in ("group", "repeat", "note", "calculate") and not q.repeat]
    return render_template("admin/questionnaire_candidate.html", sha=sha, definition=definition, mappable=mappable,
                           fields=sorted(ESTABLISHMENT_FIELDS), already_published=checked.already_published,
                           preview_width=PREVIEW_WIDTH, name=request.args.get("name", ""))


@bp.get("/questionnaires/candidates/<sha>/preview")
@allow(Role.admin)
def questionnaire_candidate_preview(sha: str):
    try:
        definition = load_definition(_candidate_text(sha), "upload")
    except DefinitionError:
        abort(404)
    return _preview(definition)


@bp.get("/questionnaires/<form_id>/<version>/preview")
@allow(Role.admin)
def questionnaire_preview(form_id: str, version: str):
    return _preview(_definition_or_404(form_id, version))


def _preview(definition):
    """The questionnaire as an enumerator's phone shows it: the survey page's own templates and scripts."""
    from ..survey.blueprint import _form_class, _row_templates

    language = _language()
    form = _form_class(definition, language)(formdata=None, data=form_data(definition, {}, language))
    html = render_template(
        "admin/questionnaire_preview.html", definition=definition, form=form, language=language, province=None,
        row_templates=_row_templates(form, definition),
        gps_frame={**capture_frame(get_session(), None, None, gps_rules(current_app.config)),
                   "tiles": map_tiles(current_app.config)},
        question_index=json.dumps(browser_questions(definition, language)),
        validation_texts=json.dumps(browser_texts(language)))
    response = Response(html, mimetype="text/html")
    # Shown inside /admin/questionnaires: framing by this site only (every other page refuses it).
    response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), map_tile_hosts(),
                                                                          frame_ancestors="'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/questionnaires/candidates/<sha>/publish")
@allow(Role.admin)
def publish_questionnaire(sha: str):
    session = get_session()
    markdown = _candidate_text(sha)
    mappings = {key.removeprefix("map-"): value for key, value in request.form.items() if key.startswith("map-")}
    name = request.form.get("name") or "upload"
    try:
        if mappings != _mappings_of(markdown, mappings):  # rewritten only when changed: a .md keeps its notes
            markdown = with_mappings(markdown, mappings)
        stored = publish(session, registry(), markdown, name, actor_id=current_actor_id())
    except (PublishError, DefinitionError) as error:
        session.rollback()
        checked = check_candidate(session, registry(), candidate_from_markdown(markdown), name)
        lines = [problem_line(p) for p in checked.problems] or [str(error)]
        return _list_page(lines, name, 422)
    session.commit()
    flash(_("Published %(form)s version %(version)s.", form=stored.form_id, version=stored.version), "success")
    return redirect(url_for("admin.questionnaires"))


def _mappings_of(markdown: str, asked: dict[str, str]) -> dict[str, str]:
    """The establishment_field the Markdown gives each question named in `asked` ("" for none)."""
    try:
        definition = load_definition(markdown, "upload")
    except DefinitionError:
        return {}
    return {name: (definition.by_name[name].establishment_field or "") if name in definition.by_name else None
            for name in asked}


@bp.post("/questionnaires/attach")
@allow(Role.admin)
def attach_questionnaire():
    session = get_session()
    survey_round = survey_queries.round_by_code(session, request.form.get("round", ""))
    form_id, _sep, version = request.form.get("questionnaire", "").partition("@")
    if survey_round is None:
        abort(404)
    definition = _definition_or_404(form_id, version)
    try:
        attached = attach_version(session, definition, survey_round, actor_id=current_actor_id())
    except PublishError:
        session.rollback()
        flash(_("Round %(round)s has records of another questionnaire; it keeps its questionnaire.",
                round=survey_round.code), "error")
        return redirect(url_for("admin.questionnaires"))
    session.commit()
    if attached:
        flash(_("Round %(round)s now uses %(form)s version %(version)s for new records; drafts keep theirs.",
                round=survey_round.code, form=form_id, version=version), "success")
    return redirect(url_for("admin.questionnaires"))


def _definition_or_404(form_id: str, version: str):
    try:
        return definition_for(get_session(), registry(), form_id, version)
    except LookupError:
        abort(404)


@bp.get("/questionnaires/<form_id>/<version>.xlsx")
@allow(Role.admin)
def download_questionnaire(form_id: str, version: str):
    definition = _definition_or_404(form_id, version)
    return Response(workbook_bytes(definition.source_text),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{form_id}.v{version}.xlsx"'})


@bp.get("/questionnaires/<form_id>/<version>.xml")
@allow(Role.admin)
def download_xform(form_id: str, version: str):
    """The version as an ODK XForm (what ODK Collect is sent: pyxform's conversion of the same text)."""
    from ..questionnaire.xform import XFormError, xform_xml

    definition = _definition_or_404(form_id, version)
    try:
        xml = xform_xml(definition)
    except XFormError as error:
        abort(409, description=str(error))
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{form_id}.v{version}.xml"'})
