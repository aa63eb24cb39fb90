"""Every URL of the establishment registry."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import reference
from ..accounts.access import READERS, allow, commune_scope
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..duplicates.services import undecided_flags
from ..models import Establishment, UnitLevel
from ..photos import queries as photo_queries
from ..promotion import queries as promotion_queries
from ..questionnaire.registry import registry
from ..reports.panel import CATEGORY_LABELS
from ..survey.queries import all_rounds, open_rounds
from ..survey.services import version_history
from ..web import redirect_past_last_page
from . import queries
from .filters import read_filter

bp = Blueprint("establishments", __name__, template_folder="templates")


@bp.get("/establishments")
@allow(*READERS)
def list_establishments():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    parsed = read_filter(session, request.args, province_code)
    page = queries.establishments_page(session, parsed.filter, parsed.page, current_app.config["PAGE_SIZE"],
                                       scope=commune_scope(), after=parsed.after, before=parsed.before)
    moved = None if parsed.errors else redirect_past_last_page(
        "establishments.list_establishments", parsed.filter.as_query_args(), page.page, page.pages, page.total)
    if moved:
        return moved
    unit_codes = {row.commune_code for row in page.rows} | {row.district_code for row in page.rows}
    context = {
        "filter": parsed.filter,
        "errors": parsed.errors,
        "result": page,
        "unit_names": unit_queries.names_by_code(session, unit_codes),
        "units_2025": unit_queries.successors_by_code(session, {row.commune_code for row in page.rows}),
        "choices": filter_choices(session, province_code),
        "panel_labels": CATEGORY_LABELS,
    }
    return render_template("establishments/list.html", **context), (400 if parsed.errors else 200)


def filter_choices(session, province_code: str) -> dict[str, list[tuple[str, str, str | None]]]:
    """(value, label, district of a commune) for each filter's drop-down."""
    language = str(get_locale())
    return {
        "district": [(code, name, None) for code, name, _parent in
                     unit_queries.unit_choices(session, province_code, UnitLevel.district)],
        "commune": unit_queries.unit_choices(session, province_code, UnitLevel.commune),
        "commune_2025": [(code, name, None) for code, name in unit_queries.commune_2025_choices(session, province_code)],
        "sector": [(code, f"{code} – {d.name(language)}", None) for code, d in reference.vsic_divisions().items()],
        "legal_form": [(form.value, str(text), None) for form, text in reference.LEGAL_FORM_LABELS.items()],
        "round": [(r.code, r.code, None) for r in all_rounds(session)],
        "certificate_level": [(level, str(text), None) for level, text in reference.CERTIFICATE_LEVELS.items()],
        "ocop_min_stars": [(str(n), f"≥ {n} ★", None) for n in range(1, 6)],
    }


@bp.get("/establishments/<code>")
@allow(*READERS)
def show_establishment(code: str):
    session = get_session()
    establishment = queries.establishment_by_code(session, code)
    scope = commune_scope()
    if establishment is None or (scope is not None and establishment.commune_code not in scope):
        abort(404)  # outside an enumerator's communes: as if it did not exist
    if establishment.merged_into_id is not None:  # a merged duplicate's code leads to the survivor
        survivor = session.get(Establishment, establishment.merged_into_id)
        flash(_("%(old)s was merged into %(new)s.", old=establishment.code, new=survivor.code), "info")
        return redirect(url_for("establishments.show_establishment", code=survivor.code), 301)
    commune = unit_queries.unit_by_code(session, establishment.commune_code)
    units = unit_queries.names_by_code(session, {establishment.district_code, establishment.province_code})
    return render_template(
        "establishments/detail.html",
        establishment=establishment,
        commune=commune,
        crosswalk=unit_queries.crosswalk_of(session, establishment.commune_code) if commune and commune.successor_split else [],
        district_name=units.get(establishment.district_code),
        province_name=units.get(establishment.province_code),
        history=version_history(session, registry(), establishment.id, str(get_locale())),
        supports=promotion_queries.establishment_supports(session, establishment.id),
        certificates=promotion_queries.establishment_certificates(session, establishment.id),
        ocop=promotion_queries.establishment_ocop(session, establishment.id),
        photos=photo_queries.photos_of_establishment(session, establishment.id),
        open_rounds=open_rounds(session),
        duplicate_flags=[] if establishment.status == "merged" else undecided_flags(session, establishment),
    )
