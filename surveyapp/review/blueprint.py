"""Every URL of the supervisor's review."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import allow, current_actor_id, may_work_in
from ..db import get_session
from ..models import Establishment, RecordStatus, Role, SurveyRound
from ..questionnaire.registry import registry
from ..survey import queries as survey_queries
from ..survey.history import diff_answers, display_value
from ..survey.services import definition_for
from . import queries
from .services import NumbersBeyondRegistry, ReviewError, approve_record, return_record

bp = Blueprint("review", __name__, template_folder="templates")
REVIEWERS = (Role.admin, Role.supervisor)
QUEUES = {"submitted": RecordStatus.submitted.value, "returned": RecordStatus.returned.value,
          "approved": RecordStatus.approved.value}


@bp.get("/review")
@allow(*REVIEWERS)
def queue():
    status = QUEUES.get(request.args.get("status", "submitted"))
    if status is None:
        abort(400, description=_("Unknown queue."))
    reviewer = None if current_user.has_role(Role.admin) else current_user.id
    entries = queries.review_queue(get_session(), status, reviewer)
    return render_template("review/queue.html", entries=entries, status=status)


def _record_or_404(record_uuid: str):
    session = get_session()
    record = survey_queries.record_by_uuid(session, record_uuid)
    if record is None:
        abort(404)
    establishment = session.get(Establishment, record.establishment_id)
    if not may_work_in(establishment.commune_code, record.round_id, [Role.supervisor]):
        abort(404)  # not one of the reviewer's communes: do not even confirm it exists
    return session, record, establishment


@bp.get("/review/records/<record_uuid>")
@allow(*REVIEWERS)
def show(record_uuid: str):
    session, record, establishment = _record_or_404(record_uuid)
    definition = definition_for(session, registry(), record.questionnaire_id, record.questionnaire_version)
    language = str(get_locale())
    questions = [q for q in definition.walk() if q.kind not in ("group", "repeat", "note") and not q.repeat]
    # Only what was answered: questions skipped by the form's logic would only be noise here.
    answers = [(q, display_value(definition, q, record.answers.get(q.name), language))
               for q in questions if record.answers.get(q.name) not in (None, "", [])]
    repeats = [(q, record.answers.get(q.name) or []) for q in definition.walk() if q.kind == "repeat"]
    previous = survey_queries.record_by_uuid(session, record.supersedes) if record.supersedes else None
    changes = diff_answers(definition, previous.answers, record.answers, language) if previous else []
    return render_template("review/record.html", record=record, establishment=establishment, answers=answers,
                           repeats=repeats, definition=definition, language=language, display_value=display_value,
                           survey_round=session.get(SurveyRound, record.round_id), changes=changes,
                           previous=previous, unanswered=len(questions) - len(answers))


@bp.post("/review/records/<record_uuid>/approve")
@allow(*REVIEWERS)
def approve(record_uuid: str):
    session, record, establishment = _record_or_404(record_uuid)
    definition = definition_for(session, registry(), record.questionnaire_id, record.questionnaire_version)
    try:
        approve_record(session, record, definition, current_actor_id(), request.form.get("comment"))
    except NumbersBeyondRegistry as beyond:
        flash(_("Too large for the registry: %(names)s. Return the record to be corrected.", names=str(beyond)), "error")
        return redirect(url_for("review.show", record_uuid=record_uuid))
    except ReviewError:
        flash(_("This record is no longer waiting for review."), "error")
        return redirect(url_for("review.show", record_uuid=record_uuid))
    session.commit()
    flash(_("Approved: %(name)s. Its current values are updated.", name=establishment.name), "success")
    return redirect(url_for("review.queue"))


@bp.post("/review/records/<record_uuid>/return")
@allow(*REVIEWERS)
def send_back(record_uuid: str):
    session, record, establishment = _record_or_404(record_uuid)
    try:
        return_record(session, record, current_actor_id(), request.form.get("comment", ""))
    except ReviewError as error:
        message = _("Write what the enumerator should fix.") if str(error) == "comment" else \
            _("This record is no longer waiting for review.")
        flash(message, "error")
        return redirect(url_for("review.show", record_uuid=record_uuid))
    session.commit()
    flash(_("Returned to the enumerator: %(name)s.", name=establishment.name), "success")
    return redirect(url_for("review.queue"))
