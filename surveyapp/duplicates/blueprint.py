"""Every URL of duplicate review: candidate pairs, side-by-side comparison, merge, undo."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import queries as account_queries
from ..accounts.access import allow, current_actor_id
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..i18n import format_number
from ..establishments.queries import establishment_by_code
from ..models import Role
from ..questionnaire.registry import registry
from ..survey.services import version_history
from . import queries
from .explain import contribution_text, signed
from .linkage import DEFAULT_THRESHOLD, Contribution
from .matching import Evidence
from .services import MergeError, current_model, find_pairs, mark_not_duplicate, merge, revert_merge

bp = Blueprint("duplicates", __name__, template_folder="templates", url_prefix="/duplicates")
REVIEWERS = (Role.admin, Role.supervisor)
#: Below this score the pairs are mostly noise (and too many to list).
MIN_THRESHOLD = 0.5


def _my_communes() -> set[str] | None:
    """Supervisors decide on their communes only; admins everywhere."""
    if current_user.has_role(Role.admin):
        return None
    return account_queries.assigned_communes(get_session(), current_user.id)


@bp.get("")
@allow(*REVIEWERS)
def candidates():
    session = get_session()
    districts = unit_queries.districts_of_province(session, current_app.config["PROVINCE_CODE"])
    district = request.args.get("district") or (districts[0].code if districts else None)
    if district not in {d.code for d in districts}:
        abort(400, description=_("Unknown district: %(code)s", code=district))
    typed = request.args.get("threshold")
    threshold = DEFAULT_THRESHOLD if typed is None else parse_threshold(typed)
    page = {"districts": districts, "district": district, "threshold": threshold, "typed": typed}
    if threshold is None:  # say why beside the box, with what was typed still in it
        error = _("The lowest score is a number from %(low)s to %(high)s, e.g. %(example)s.",
                  low=format_number(MIN_THRESHOLD, 1), high=format_number(1), example=format_number(DEFAULT_THRESHOLD, 2))
        return render_template("duplicates/candidates.html", pairs=[], total=0, threshold_error=error, **page), 400
    pairs = find_pairs(session, district, threshold, _my_communes(), model=current_model(current_app.instance_path))
    return render_template("duplicates/candidates.html", pairs=pairs[:500], total=len(pairs), **page)


@bp.app_template_filter("reason_text")
def reason_text(evidence: Evidence | Contribution) -> str:
    """One reason of a pair in the page's language, its numbers the language's way."""
    if isinstance(evidence, Contribution):
        return contribution_text(evidence)
    if evidence.kind == "name":
        similarity = format_number(evidence.value, 2)
        if evidence.same_commune:
            return _("similar name (%(similarity)s) in the same commune", similarity=similarity)
        return _("similar name (%(similarity)s)", similarity=similarity)
    if evidence.kind == "gps":
        return _("GPS points %(metres)s m apart", metres=format_number(evidence.value))
    return {"tax_code": _("same tax code"), "phone": _("same phone")}[evidence.kind]


@bp.app_template_filter("signed_weight")
def signed_weight(weight: float) -> str:
    return signed(weight)


def parse_threshold(typed: str) -> float | None:
    """0,85 or 0.85 (one decimal mark, either) between MIN_THRESHOLD and 1; None when it is not."""
    text = typed.strip()
    if not re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return None
    value = float(text.replace(",", "."))
    return value if MIN_THRESHOLD <= value <= 1 else None


def _pair_or_404(code_a: str | None, code_b: str | None):
    session = get_session()
    first, second = establishment_by_code(session, code_a or ""), establishment_by_code(session, code_b or "")
    scope = _my_communes()
    if first is None or second is None or first.id == second.id or (
            scope is not None and not {first.commune_code, second.commune_code} <= scope):
        abort(404)
    return session, first, second


@bp.get("/compare")
@allow(*REVIEWERS)
def compare():
    session, first, second = _pair_or_404(request.args.get("a"), request.args.get("b"))
    language = str(get_locale())
    names = unit_queries.names_by_code(session, {first.commune_code, second.commune_code})
    return render_template("duplicates/compare.html", pair=(first, second), names=names,
                           histories=[version_history(session, registry(), e.id, language) for e in (first, second)])


@bp.post("/merge")
@allow(*REVIEWERS)
def merge_pair():
    session, first, second = _pair_or_404(request.form.get("a"), request.form.get("b"))
    survivor, merged = (first, second) if request.form.get("keep") == first.code else (second, first)
    if request.form.get("keep") not in (first.code, second.code):
        abort(400, description=_("Choose which establishment to keep."))
    try:
        merge(session, survivor.code, merged.code, current_actor_id())
    except MergeError:
        flash(_("One of the two is already merged."), "error")
        return redirect(url_for("duplicates.compare", a=first.code, b=second.code))
    session.commit()
    flash(_("%(old)s merged into %(new)s.", old=merged.code, new=survivor.code), "success")
    return redirect(url_for("duplicates.candidates", district=survivor.district_code))


@bp.post("/not-duplicate")
@allow(*REVIEWERS)
def not_duplicate():
    session, first, second = _pair_or_404(request.form.get("a"), request.form.get("b"))
    mark_not_duplicate(session, first.code, second.code, current_actor_id())
    session.commit()
    flash(_("Remembered: %(a)s and %(b)s are different establishments.", a=first.code, b=second.code), "success")
    return redirect(url_for("duplicates.candidates", district=first.district_code))


@bp.get("/merges")
@allow(*REVIEWERS)
def merges():
    return render_template("duplicates/merges.html", merges=queries.merges(get_session()))


@bp.post("/merges/<int:merge_id>/revert")
@allow(Role.admin)
def revert(merge_id: int):
    session = get_session()
    merge_row = queries.merge_by_id(session, merge_id)
    if merge_row is None:
        abort(404)
    try:
        revert_merge(session, merge_row, current_actor_id())
    except MergeError:
        flash(_("This merge was already undone."), "error")
        return redirect(url_for("duplicates.merges"))
    session.commit()
    flash(_("Merge undone."), "success")
    return redirect(url_for("duplicates.merges"))
