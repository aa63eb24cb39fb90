"""Every URL of industrial promotion: projects, and the provincial report (page and XLSX)."""
from __future__ import annotations

import os
import tempfile

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _

from .. import clock
from ..accounts.access import READERS, allow, commune_scope, current_actor_id
from ..audit import record_event
from ..db import get_session
from ..exports.xlsx import SheetColumn, new_workbook, write_about_sheet, write_sheet
from ..reports.charts import bar_chart
from . import queries
from .report import MILLION, build_report, cell_value

bp = Blueprint("promotion", __name__, template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _years() -> tuple[int, int]:
    session = get_session()
    first, last = queries.year_span(session)
    this_year = clock.local_today().year
    try:
        year_from = int(request.args.get("from") or first or this_year)
        year_to = int(request.args.get("to") or last or this_year)
    except ValueError:
        abort(400, description=_("Years are whole numbers, e.g. from=2012&to=2022."))
    if not 1990 <= year_from <= year_to <= 2100:
        abort(400, description=_("Give a first year not after the last one, between 1990 and 2100."))
    return year_from, year_to


@bp.get("/promotion/projects")
@allow(*READERS)
def projects():
    year_from, year_to = _years()
    return render_template("promotion/projects.html", projects=queries.projects(get_session(), year_from, year_to),
                           year_from=year_from, year_to=year_to)


@bp.get("/promotion/projects/<code>")
@allow(*READERS)
def project(code: str):
    session = get_session()
    found = queries.project_by_code(session, code)
    if found is None:
        abort(404)
    classes, fairs = queries.project_activities(session, found.id)
    supports = queries.project_supports(session, found.id, scope=commune_scope())
    return render_template("promotion/project.html", project=found, supports=supports, classes=classes, fairs=fairs)


@bp.get("/reports/promotion")
@allow(*READERS)
def report():
    year_from, year_to = _years()
    session = get_session()
    built = build_report(session, current_app.config["PROVINCE_CODE"], year_from, year_to)
    if request.args.get("format") == "xlsx":
        return _xlsx(session, built)
    chart = bar_chart(_("State support by year (million VND)"),
                      [(str(year), state / MILLION) for year, _count, _total, state, _own in built.by_year])
    return render_template("promotion/report.html", report=built, chart=chart, million=MILLION)


def _xlsx(session, built):
    workbook = new_workbook()
    for table in built.tables:
        columns = [SheetColumn(str(header), kind, 40 if i == 0 else 18)
                   for i, (header, kind) in enumerate(zip(table.headers, table.kinds))]
        rows = [[cell_value(kind, value) for kind, value in zip(table.kinds, row)]
                for row in table.rows + ([table.total] if table.total else [])]
        write_sheet(workbook, str(table.title), columns, rows)
    write_about_sheet(workbook, _("About"), [(_("Report"), _("Industrial promotion")),
                                             (_("Years"), f"{built.year_from}–{built.year_to}"),
                                             (_("Made on"), clock.local_stamp())])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    workbook.save(path)
    record_event(session, "export", "promotion_report", f"{built.year_from}-{built.year_to}",
                 after={"format": "xlsx"}, actor_id=current_actor_id())
    session.commit()
    response = send_file(path, mimetype=XLSX, as_attachment=True,
                         download_name=f"khuyen-cong_{built.year_from}-{built.year_to}_{clock.local_today().isoformat()}.xlsx")
    response.call_on_close(lambda: os.path.exists(path) and os.remove(path))
    return response
