"""Every URL of data quality: the index, and stored answers that break the current rules (page, CSV).

GPS consistency has its own page in geo (`/data-quality/gps`); the index links both."""
from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..accounts.access import allow
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..survey.queries import all_rounds
from ..exports.formats import neutralise
from ..models import Role
from ..questionnaire.registry import registry
from ..web import page_number
from ..survey.history import display_value
from . import services

bp = Blueprint("dataquality", __name__, template_folder="templates")
READERS = (Role.admin, Role.supervisor, Role.analyst)
#: A CSV larger than this is written to a temporary file instead of memory.
CSV_IN_MEMORY_BYTES = 8 * 1024 * 1024


@bp.get("/data-quality")
@allow(*READERS)
def index():
    return render_template("dataquality/index.html")


@bp.get("/data-quality/answers")
@allow(*READERS)
def answers():
    session = get_session()
    wanted, choices = _filter_or_400(session)
    page = page_number(request.args.get("page"))
    language = str(get_locale())
    report = services.answer_report(session, registry(), wanted, reviewer_id=_reviewer_id(), language=language,
                                    page=page, page_size=current_app.config["PAGE_SIZE"])
    return render_template("dataquality/answers.html", report=report, wanted=wanted, language=language,
                           shown=_shown, args=_query_args(wanted), **choices)


@bp.get("/data-quality/answers.csv")
@allow(*READERS)
def answers_csv():
    session = get_session()
    wanted, _choices = _filter_or_400(session)
    rows = services.csv_rows(session, registry(), wanted, reviewer_id=_reviewer_id(), language=str(get_locale()))
    spool = tempfile.SpooledTemporaryFile(max_size=CSV_IN_MEMORY_BYTES)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    text.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.DictWriter(text, fieldnames=services.CSV_FIELDS)
    writer.writeheader()
    writer.writerows({name: _cell(value) for name, value in row.items()} for row in rows)
    text.flush()
    text.detach()
    spool.seek(0)
    parts = ["answers", wanted.round_code, wanted.district_code, clock.local_today().isoformat()]
    name = "_".join(part for part in parts if part) + ".csv"
    return send_file(spool, mimetype="text/csv", as_attachment=True, download_name=name, max_age=0)


def _cell(value: Any) -> Any:
    """Numbers stay numbers (-5 too); text a spreadsheet would evaluate is neutralised."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else neutralise(value)


def _reviewer_id() -> int | None:
    """A supervisor sees the communes and rounds assigned to them; admins and analysts everything."""
    return current_user.id if current_user.has_role(Role.supervisor) else None


def _filter_or_400(session) -> tuple[services.AnswerFilter, dict]:
    rounds = all_rounds(session)
    districts = unit_queries.districts_of_province(session, current_app.config["PROVINCE_CODE"])
    questions = {f"{d.form_id}:{q.name}": (d, q) for d in registry().definitions() for q in d.questions()}
    round_code = request.args.get("round") or None
    if round_code and round_code not in {r.code for r in rounds}:
        abort(400, description=_("Unknown survey round: %(code)s", code=round_code))
    district_code = request.args.get("district") or None
    if district_code and district_code not in {d.code for d in districts}:
        abort(400, description=_("Unknown district: %(code)s", code=district_code))
    question = request.args.get("question") or None
    if question and question not in questions:
        abort(400, description=_("Unknown question: %(name)s", name=question))
    wanted = services.AnswerFilter(round_code, district_code, question)
    return wanted, {"rounds": rounds, "districts": districts, "questions": questions}


def _query_args(wanted: services.AnswerFilter) -> dict:
    return {"round": wanted.round_code, "district": wanted.district_code, "question": wanted.question}


def _shown(broken: services.BrokenAnswer, language: str) -> str:
    """The stored value in the reader's number format; as stored when it is not of the question's type."""
    try:
        return display_value(broken.definition, broken.question, broken.value, language)
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError):
        return services.stored_text(broken.value)
