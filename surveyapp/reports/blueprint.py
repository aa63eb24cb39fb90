"""Every URL of reports: /reports (tables and charts) and /reports/<table>.xlsx, for the list's filter."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock, reference
from ..accounts.access import READERS, allow, commune_scope
from ..db import get_session
from ..establishments.filters import read_filter
from ..exports.xlsx import SheetColumn, new_workbook, write_about_sheet, write_sheet
from . import tables
from .charts import bar_chart

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
