"""Every print URL: a blank questionnaire to fill on paper, and one filled record with who and when."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale

from ..accounts.access import READERS, allow, commune_scope
from ..accounts.queries import user_by_id
from ..adminunits.queries import unit_by_code
from ..db import get_session
from ..establishments import queries as establishment_queries
from ..questionnaire.definition import Definition
from ..questionnaire.registry import registry
from ..questionnaire.words import question_numbers, skip_instruction
from ..survey import queries as survey_queries
from ..survey.history import display_value
from ..survey.services import definition_for

bp = Blueprint("printing", __name__, template_folder="templates")


def _language() -> str:
    return str(get_locale() or "vi")


def _page_context(definition: Definition, language: str) -> dict:
    numbers = question_numbers(definition)
    return {"definition": definition, "language": language, "numbers": numbers,
            "skip": lambda item: skip_instruction(item, definition, numbers, language)}


@bp.get("/questionnaires/<form_id>/print")
@allow(*READERS)
def blank_questionnaire(form_id: str):
    version = request.args.get("version")
    if version:
        try:
            definition = definition_for(get_session(), registry(), form_id, version)
        except LookupError:
            abort(404)
    else:
        definition = registry().get(form_id)
    if definition is None:
        abort(404)
    return render_template("printing/questionnaire.html", record=None, answers={},
                           **_page_context(definition, _language()))


@bp.get("/establishments/<code>/records/<record_uuid>/print")
@allow(*READERS)
def filled_record(code: str, record_uuid: str):
    session = get_session()
    establishment = establishment_queries.establishment_by_code(session, code)
    record = survey_queries.record_by_uuid(session, record_uuid)
    if establishment is None or record is None or record.establishment_id != establishment.id:
        abort(404)
    scope = commune_scope()
    if scope is not None and establishment.commune_code not in scope:
        abort(404)  # as on the establishment's page, which lists its records: an enumerator's communes only
    try:
        definition = definition_for(session, registry(), record.questionnaire_id or "",
                                    record.questionnaire_version or "")
    except LookupError:
        abort(404)
    language = _language()
    return render_template(
        "printing/questionnaire.html", record=record, answers=record.answers or {}, establishment=establishment,
        survey_round=survey_queries.round_by_id(session, record.round_id),
        commune=unit_by_code(session, establishment.commune_code),
        enumerator=user_by_id(session, record.enumerator_id) if record.enumerator_id else None,
        shown=lambda question, value: display_value(definition, question, value, language),
        **_page_context(definition, language))
