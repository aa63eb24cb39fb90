"""Every URL of the enumerator's path: commune → establishment → questionnaire → draft or submit."""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..accounts.access import allow, commune_scope, current_actor_id, may_work_in
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..establishments import queries as establishment_queries
from ..duplicates.services import likely_matches
from ..establishments.services import EstablishmentError, register_establishment
from ..extensions import csrf
from ..geo.capture import capture_frame, gps_rules, map_tiles
from ..models import Role, SurveyRound
from ..photos.services import PhotoRefused, photo_rules, store_photo
from ..questionnaire.builder import attach_errors, build_form_class, form_data, photo_fields, raw_answers
from ..questionnaire.definition import Definition
from ..questionnaire.registry import registry
from ..questionnaire.validation import browser_questions, browser_texts, named
from ..review.queries import review_queue
from . import queries
from .history import answers_to_read
from .forms import RegistrationForm
from .services import (
    RecordApproved, RecordConflict, definition_for_record, is_final_for, prefill_answers, save_record,
)

bp = Blueprint("survey", __name__, template_folder="templates")
ENUMERATORS = (Role.admin, Role.enumerator)


def _language() -> str:
    return str(get_locale() or "vi")


def _chosen_round(session) -> SurveyRound | None:
    rounds = queries.open_rounds(session)
    wanted = request.args.get("round")
    return next((r for r in rounds if r.code == wanted), rounds[0] if rounds else None)


def _commune_or_404(session, code: str, survey_round: SurveyRound | None):
    """The commune, if the user may work in it for the round (enumerators: their assignments only)."""
    unit = unit_queries.unit_by_code(session, code)
    if unit is None or unit.level != "commune" or survey_round is None \
            or not may_work_in(code, survey_round.id, [Role.enumerator]):
        abort(404)
    return unit


@bp.get("/survey")
@allow(*ENUMERATORS)
def choose_commune():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    survey_round = _chosen_round(session)
    commune = request.args.get("commune")
    if commune:
        return redirect(url_for("survey.commune", code=commune, round=request.args.get("round")))
    communes = unit_queries.communes_of_province(session, province_code)
    scope = commune_scope(survey_round.id if survey_round else None)
    if scope is not None:
        communes = [c for c in communes if c.code in scope]
    districts = [d for d in unit_queries.districts_of_province(session, province_code)
                 if any(c.parent_code == d.code for c in communes)]
    returned = review_queue(session, "returned", None if scope is None else current_actor_id())
    return render_template("survey/choose.html", rounds=queries.open_rounds(session), chosen_round=survey_round,
                           districts=districts, communes=communes, returned=returned)


@bp.get("/survey/communes/<code>")
@allow(*ENUMERATORS)
def commune(code: str):
    session = get_session()
    survey_round = _chosen_round(session)
    unit = _commune_or_404(session, code, survey_round)
    query = (request.args.get("q") or "").strip()[:200]
    entries = queries.establishments_of_commune(session, code, survey_round.id if survey_round else None, query)
    return render_template("survey/commune.html", commune=unit, district=unit_queries.unit_by_code(session, unit.parent_code),
                           survey_round=survey_round, entries=entries, query=query)


@bp.route("/survey/communes/<code>/register", methods=["GET", "POST"])
@allow(*ENUMERATORS)
@csrf.exempt  # the form checks its token and keeps what was typed when it fails
def register(code: str):
    session = get_session()
    unit = _commune_or_404(session, code, _chosen_round(session))
    form = RegistrationForm()
    matches = []
    if form.validate_on_submit():
        matches = [] if request.form.get("confirm_new") else likely_matches(
            session, code, form.name.data, form.phone.data or None)
    if form.validate_on_submit() and not matches:
        try:
            establishment = register_establishment(
                session, name=form.name.data, owner=form.owner.data or None, legal_form=form.legal_form.data,
                vsic_code=form.vsic_code.data.strip(), address=form.address.data or None,
                phone=form.phone.data or None, commune_code=code, actor_id=current_actor_id())
        except EstablishmentError as error:
            getattr(form, error.field, form.name).errors.append(str(error))
        else:
            session.commit()
            flash(_("Registered %(name)s as %(code)s.", name=establishment.name, code=establishment.code), "success")
            return redirect(url_for("survey.record", code=establishment.code, round=request.args.get("round")))
    expired = bool(form.meta.csrf and form.csrf_token.errors)
    status = 400 if expired else 422 if form.errors else 200
    existing = {e.code: e for e in establishment_queries.establishments_by_codes(session, [c for _, c in matches])}
    return render_template("survey/register.html", form=form, commune=unit, expired=expired,
                           matches=[(pair, existing[c]) for pair, c in matches if c in existing]), status


def _form_class(definition: Definition, language: str) -> type[FlaskForm]:
    cache = current_app.extensions.setdefault("surveyapp.form_classes", {})
    key = (definition.form_id, definition.version, definition.sha256, language)
    if key not in cache:
        cache[key] = build_form_class(definition, language)
    return cache[key]


def _row_templates(form: FlaskForm, definition: Definition) -> dict:
    """A blank row per repeat, named with __index__, that the page's script clones."""
    templates = {}
    for item in definition.walk():
        if item.kind == "repeat":
            row_class = form[item.name].unbound_field.args[0]
            templates[item.name] = row_class(prefix=f"{item.name}-__index__-", formdata=None)
    return templates


@bp.route("/survey/establishments/<code>/record", methods=["GET", "POST"])
@allow(*ENUMERATORS)
@csrf.exempt  # the form checks its token and keeps what was typed when it fails
def record(code: str):
    session = get_session()
    establishment = establishment_queries.establishment_by_code(session, code)
    survey_round = _chosen_round(session)
    if establishment is None:
        abort(404)
    if survey_round is None:
        flash(_("No survey round is open."), "error")
        return redirect(url_for("establishments.show_establishment", code=code))
    _commune_or_404(session, establishment.commune_code, survey_round)
    current = queries.current_record(session, establishment.id, survey_round.id)
    try:
        definition = definition_for_record(session, registry(), survey_round, current)
    except LookupError:
        abort(500, description=_("The questionnaire of this round is missing from forms/."))
    language = _language()
    form_class = _form_class(definition, language)
    locked = is_final_for(current, current_user.role)
    summary: list[tuple[str, str]] = []
    status = 200
    if request.method == "GET":
        answers = current.answers if current else prefill_answers(session, definition, establishment, survey_round)
        form = form_class(formdata=None, data=form_data(definition, answers, language))
        base_uuid = current.uuid if current else ""
    else:
        form = form_class()
        base_uuid = request.form.get("base_uuid", "")
        outcome = _post(session, form, establishment, survey_round, definition, base_uuid, language)
        if not isinstance(outcome, tuple):
            return outcome
        summary, status = outcome
    province = unit_queries.unit_by_code(session, establishment.province_code)
    commune = unit_queries.unit_by_code(session, establishment.commune_code)
    rules = gps_rules(current_app.config)
    return render_template(
        "survey/record.html", form=form, definition=definition, establishment=establishment,
        survey_round=survey_round, current=current, base_uuid=base_uuid, summary=summary, language=language,
        locked=locked, row_templates=_row_templates(form, definition), province=province, commune=commune,
        read_only=answers_to_read(definition, current.answers, language) if locked else None,
        gps_frame={**capture_frame(session, province, commune, rules), "tiles": map_tiles(current_app.config)},
        question_index=json.dumps(browser_questions(definition, language)),
        validation_texts=json.dumps(browser_texts(language)),
    ), status


def _post(session, form, establishment, survey_round, definition, base_uuid: str, language: str):
    """Handle a posted questionnaire: a redirect when saved, else (messages for the top, HTTP status)."""
    action = request.form.get("action", "draft")
    if action.startswith(("add:", "remove:")):
        _change_rows(form, action)
        return [], 200
    if not form.validate():  # CSRF only: the questionnaire's rules are checked by save_record
        return [("", _("The form expired or was sent twice; your answers are below, please send again."))], 400
    refused = _store_photos(session, form, definition, establishment)
    if refused:
        placed = attach_errors(form, refused)
        return [(field_id, named(definition, key, message, language))
                for (field_id, message), key in zip(placed, refused)], 422
    try:
        result = save_record(
            session, establishment=establishment, survey_round=survey_round, definition=definition,
            raw_answers=raw_answers(form, definition), submit=action == "submit", actor_id=current_actor_id(),
            actor_role=current_user.role, base_uuid=base_uuid or None, language=language,
            gps=gps_rules(current_app.config))
    except RecordApproved:
        session.rollback()
        abort(403, description=_("This record is approved and can no longer be changed."))
    except RecordConflict:
        session.rollback()
        return [("", _("This record was changed elsewhere since you opened it. Your answers are below; "
                       "open the record again to see the newer version before saving."))], 409
    if not result.ok:
        session.rollback()
        placed = attach_errors(form, result.errors)  # one (field id, message) per error, in the same order
        return [(field_id, named(definition, key, message, language))
                for (field_id, message), key in zip(placed, result.errors)], 422
    session.commit()
    if action == "submit":
        flash(_("Record submitted."), "success")
        return redirect(url_for("establishments.show_establishment", code=establishment.code))
    flash(_("Draft saved."), "success")
    return redirect(url_for("survey.record", code=establishment.code, round=survey_round.code))


def _store_photos(session, form, definition, establishment) -> dict[str, str]:
    """Keep the photos sent with the form (shrunk on the phone, or here when it had no JavaScript) and
    put their file names in the answers; {error key: message} for those refused. Stored photos are
    committed at once: a questionnaire sent back for a correction keeps them without a new upload."""
    rules = photo_rules(current_app.config, current_app.instance_path)
    refused = {}
    for key, field in photo_fields(form, definition):
        if field.upload is None:
            continue
        try:
            photo = store_photo(session, establishment=establishment, question=key.split("-")[-1],
                                filename=field.upload.filename, data=field.upload.read(), rules=rules,
                                actor_id=current_actor_id())
        except PhotoRefused as error:
            refused[key] = str(error)
            continue
        field.data = photo.file_name
    session.commit()
    return refused


def _change_rows(form: FlaskForm, action: str) -> None:
    """Add or remove a repeat row without JavaScript (the page's script does this in place)."""
    parts = action.split(":")
    field = form._fields.get(parts[1]) if len(parts) > 1 else None
    if field is None or not hasattr(field, "append_entry"):
        return
    if parts[0] == "add" and len(field.entries) < field.max_entries:
        field.append_entry()
    elif parts[0] == "remove" and len(parts) == 3 and parts[2].isdigit() and int(parts[2]) < len(field.entries):
        del field.entries[int(parts[2])]
