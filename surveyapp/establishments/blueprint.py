"""Every URL of the establishment registry."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..adminunits import queries as unit_queries
from ..db import get_session
from . import queries
from .filters import parse_establishment_filter, validate_filter_codes

bp = Blueprint("establishments", __name__, template_folder="templates")


@bp.get("/establishments")
def list_establishments():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    parsed = validate_filter_codes(session, parse_establishment_filter(request.args), province_code)
    page = queries.establishments_page(session, parsed.filter, parsed.page, current_app.config["PAGE_SIZE"])
    unit_codes = {row.commune_code for row in page.rows} | {row.district_code for row in page.rows}
    context = {
        "filter": parsed.filter,
        "errors": parsed.errors,
        "result": page,
        "unit_names": unit_queries.names_by_code(session, unit_codes),
        "districts": unit_queries.districts_of_province(session, province_code),
        "communes": unit_queries.communes_of_province(session, province_code),
        "rounds": queries.all_rounds(session),
    }
    return render_template("establishments/list.html", **context), (400 if parsed.errors else 200)


@bp.get("/establishments/<code>")
def show_establishment(code: str):
    session = get_session()
    establishment = queries.establishment_by_code(session, code)
    if establishment is None:
        abort(404)
    commune = unit_queries.unit_by_code(session, establishment.commune_code)
    units = unit_queries.names_by_code(session, {establishment.district_code, establishment.province_code})
    return render_template(
        "establishments/detail.html",
        establishment=establishment,
        commune=commune,
        district_name=units.get(establishment.district_code),
        province_name=units.get(establishment.province_code),
        records=queries.records_of_establishment(session, establishment.id),
    )
