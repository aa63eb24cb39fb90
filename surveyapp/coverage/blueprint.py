"""Every URL of coverage: per commune and enumerator, as a page or a CSV file."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from .. import clock
from ..accounts.access import allow
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..survey.queries import all_rounds
from ..models import Role
from ..progress import figures
from . import rows as coverage_rows

bp = Blueprint("coverage", __name__, template_folder="templates")


@bp.get("/coverage")
@allow(Role.admin, Role.supervisor, Role.analyst)
def coverage():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    rounds = all_rounds(session)
    if not rounds:
        return render_template("coverage/coverage.html", rounds=[], survey_round=None, rows=[], people=[],
                               districts=[], district=None)
    survey_round = next((r for r in rounds if r.code == request.args.get("round")), None)
    if request.args.get("round") and survey_round is None:
        abort(400, description=_("Unknown survey round: %(code)s", code=request.args.get("round")))
    survey_round = survey_round or next((r for r in reversed(rounds) if r.is_open), rounds[-1])
    districts = unit_queries.districts_of_province(session, province_code)
    district = request.args.get("district") or None
    if district and district not in {d.code for d in districts}:
        abort(400, description=_("Unknown district: %(code)s", code=district))
    rows = coverage_rows.commune_rows(session, province_code, survey_round.id, district, survey_round.admin_units)
    if request.args.get("format") == "csv":
        return _csv(rows, survey_round.code, district)
    return render_template(
        "coverage/coverage.html", rounds=rounds, survey_round=survey_round, rows=rows,
        total=figures.total([row.counts for row in rows]),
        people=coverage_rows.enumerator_rows(session, province_code, survey_round.id, district),
        districts=districts, district=district, statuses=figures.STATUSES, names=figures.NAMES, order=figures.ORDER, definitions=figures.DEFINITIONS)


def _csv(rows: list[coverage_rows.CommuneRow], round_code: str, district: str | None) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.DictWriter(buffer, fieldnames=coverage_rows.CSV_FIELDS)
    writer.writeheader()
    writer.writerows(row.as_csv() for row in rows)
    name = f"coverage_{round_code}{'_' + district if district else ''}_{clock.local_today().isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
