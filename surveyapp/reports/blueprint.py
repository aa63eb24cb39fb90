"""Every URL of reports: /reports (tables and charts) and /reports/<table>.xlsx, for the list's filter."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, make_response, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock, reference
from ..accounts.access import READERS, allow, commune_scope
from ..db import get_session
from ..establishments.filters import read_filter
from ..exports.xlsx import SheetColumn, new_workbook, write_about_sheet, write_sheet
from ..survey.queries import all_rounds
from . import effect, panel, tables
from .charts import bar_chart, stacked_bar_chart

bp = Blueprint("reports", __name__, template_folder="templates")
_XLSX_KIND = {"text": "text", "code": "code", "int": "int", "million": "decimal", "percent": "percent"}


def _context(status_on_error: int | None = None):
    session = get_session()
    parsed = read_filter(session, request.args, current_app.config["PROVINCE_CODE"], paged=False)
    if parsed.errors and status_on_error:
        details = "; ".join(f"{name}: {message}" for name, message in parsed.errors.items())
        abort(status_on_error, description=_("The filter is not valid (%(details)s).", details=details))
    context = tables.ReportContext(session, current_app.config["PROVINCE_CODE"], parsed.filter, commune_scope(),
                                   str(get_locale() or "vi"))
    return context, parsed.errors


@bp.get("/reports")
@allow(*READERS)
def index():
    context, errors = _context()
    built = {key: tables.build(context, key) for key in tables.TABLES}
    districts = built["districts"]
    legal_forms = built["legal_forms"]
    charts = [
        bar_chart(_("Establishments by commune (from 1/7/2025)") if context.filter.units_2025
                  else _("Establishments by district"), [(row[1], row[2]) for row in districts.rows]),
        bar_chart(_("Share of establishments by legal form (%)"), [(row[0], row[2]) for row in legal_forms.rows],
                  value_format="percent"),
    ]
    return render_template("reports/index.html", tables=built, charts=charts, filter=context.filter, errors=errors,
                           scoped=context.scope is not None), (400 if errors else 200)


@bp.get("/reports/<any(districts, district_sector_establishments, district_sector_workers, legal_forms, "
        "round_coverage):table>.xlsx")
@allow(*READERS)
def download(table: str):
    context, _errors = _context(status_on_error=400)
    report = tables.build(context, table)
    workbook = new_workbook()
    columns = [SheetColumn(column.header, _XLSX_KIND[column.kind], column.width) for column in report.columns]
    rows = [_xlsx_row(report, row) for row in report.rows + ([report.total] if report.total else [])]
    write_sheet(workbook, report.title, columns, rows)
    write_about_sheet(workbook, _("About"), _about(context, report))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    today = clock.local_today().isoformat()
    suffix = "".join(f"_{name.replace('_', '-')}-{value}" for name, value in context.filter.as_query_args().items()
                     if value.isascii() and value.replace("-", "").isalnum())
    response = send_file(buffer, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         as_attachment=True, download_name=f"report_{table}{suffix}_{today}.xlsx", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


#: Colours of the panel categories (the chart and the figures above it).
CATEGORY_COLOURS = {"continuing": "#198754", "new": "#0d6efd", "closed": "#dc3545", "not_revisited": "#adb5bd"}


@bp.get("/reports/panel")
@allow(*READERS)
def panel_page():
    context, page, (from_code, to_code) = _comparison("reports/panel.html", definitions=panel.DEFINITIONS,
                                                      labels=panel.CATEGORY_LABELS, colours=CATEGORY_COLOURS)
    session = context.session
    report = panel.panel_report(session, context.province_code, from_code, to_code, context.filter, context.scope)
    parts = [(key, str(label), CATEGORY_COLOURS[key]) for key, label in panel.CATEGORY_LABELS.items()]
    chart = stacked_bar_chart(_("Establishments of either round by commune (from 1/7/2025)") if context.filter.units_2025
                              else _("Establishments of either round by district"), parts,
                              [(unit.unit_name, {key: cell.establishments for key, cell in unit.cells.items()})
                               for unit in report.units])

    def list_link(row: panel.PanelRow, category: str) -> str:
        """The list of the establishments behind one figure."""
        arguments = {**context.filter.as_query_args(), "panel": category, "panel_from": from_code,
                     "panel_to": to_code}
        if row.unit_code:
            arguments[panel.unit_argument(context.filter)] = row.unit_code
        if row.sector:
            arguments["sector"] = row.sector
        return url_for("establishments.list_establishments", **arguments)

    return render_template("reports/panel.html", report=report, chart=chart, list_link=list_link,
                           area_header=context.area_header(),
                           problem=None, **page), (400 if page["errors"] else 200)


@bp.get("/reports/promotion/effect")
@allow(*READERS)
def effect_page():
    context, page, (from_code, to_code) = _comparison("reports/effect.html", definitions=effect.DEFINITIONS,
                                                      caveat=effect.CAVEAT)
    session = context.session
    years = effect.support_years(session, from_code, to_code)
    if years is None:
        return render_template("reports/effect.html", report=None, problem=_("The rounds need their dates."),
                               **page), 200
    report = effect.effect_report(session, context.province_code, from_code, to_code, years, context.filter,
                                  context.scope)
    colours = ["#198754", "#adb5bd"]
    chart = bar_chart(_("Growth between the rounds (%)"), [
        (_("Workers: supported"), report.workers.supported_growth_pct or 0),
        (_("Workers: comparable"), report.workers.comparable_growth_pct or 0),
        (_("Revenue: supported"), report.revenue.supported_growth_pct or 0),
        (_("Revenue: comparable"), report.revenue.comparable_growth_pct or 0)], width=480, value_format="percent",
        colours=colours)
    supported_link = url_for("establishments.list_establishments", **{
        **context.filter.as_query_args(), "panel": "continuing", "panel_from": from_code, "panel_to": to_code,
        "supported": "1"})
    return render_template("reports/effect.html", report=report, chart=chart, problem=None,
                           supported_link=supported_link, **page), (400 if page["errors"] else 200)


def _comparison(template: str, **shown):
    """What the pages comparing two rounds start from: the request's context, the page's values and the
    rounds' codes (from, to). When no two rounds can be compared, the page is answered here (`abort`)."""
    context, errors = _context()
    page = {"filter": context.filter, "errors": errors, "rounds": all_rounds(context.session),
            "scoped": context.scope is not None, **shown}
    try:
        compared = panel.panel_rounds(context.session, request.args.get("from"), request.args.get("to"))
    except panel.PanelRoundsError as error:
        status = 200 if len(page["rounds"]) < 2 else 400
        abort(make_response(render_template(template, report=None, problem=str(error), **page), status))
    return context, page, compared


def _xlsx_row(report: tables.ReportTable, row: list) -> list:
    """Money in triệu đồng, as numbers (the sheet keeps the decimals, the format shows one)."""
    return [value / 1_000_000 if column.kind == "million" and isinstance(value, (int, float)) else value
            for column, value in zip(report.columns, row)]


def _about(context: tables.ReportContext, report: tables.ReportTable) -> list[tuple[str, object]]:
    arguments = context.filter.as_query_args()
    facts: list[tuple[str, object]] = [
        (_("Report"), report.title),
        (_("Made at"), clock.local_stamp()),
        (_("Made by"), current_user.username),
        (_("Filter"), ", ".join(f"{name}={value}" for name, value in arguments.items()) or _("none")),
        (_("Rows"), len(report.rows)),
    ]
    if context.scope is not None:
        facts.append((_("Limited to your communes"), ", ".join(sorted(context.scope)) or "–"))
    if report.note:
        facts.append((_("Note"), report.note))
    facts += [(str(name), str(definition)) for name, definition in report.definitions]
    if report.key.startswith("district_sector"):
        divisions = reference.vsic_divisions()
        facts += [(column.header, divisions[column.header].name(context.language))
                  for column in report.columns if column.header in divisions]
    return facts
