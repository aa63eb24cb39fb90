"""`flask --app surveyapp report panel --from 2018 --to 2019 --out panel.csv|panel.xlsx [--filter NAME=VALUE]`"""
from __future__ import annotations

import csv
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..db import session_scope
from ..establishments.filters import FILTER_ARGUMENTS, read_filter
from ..exports.formats import neutralise
from ..exports.xlsx import SheetColumn, new_workbook, write_sheet
from . import panel

#: Messages of the command line are in English, like its other output.
CLI_LANGUAGE = "en"
_XLSX_KINDS = ("code", "text", "code", "code", "int", "int", "int", "int", "int")


@click.group("report")
def report_cli() -> None:
    """Reports as files."""


@report_cli.command("panel")
@click.option("--from", "from_code", help="Earlier survey round (default: the second latest).")
@click.option("--to", "to_code", help="Later survey round (default: the latest).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write: .csv or .xlsx.")
@click.option("--filter", "extra", multiple=True, metavar="NAME=VALUE",
              help="An argument of the list's filter, e.g. --filter district=947 (repeatable).")
@with_appcontext
def panel_command(from_code: str | None, to_code: str | None, out: str, extra: tuple[str, ...]) -> None:
    """The panel between two rounds: one line per district, sector and category (money in đồng)."""
    extension = os.path.splitext(out)[1].lower()
    if extension not in (".csv", ".xlsx"):
        raise click.UsageError("--out must end in .csv or .xlsx")
    arguments = {}
    for item in extra:
        name, equals, value = item.partition("=")
        if not equals or name not in FILTER_ARGUMENTS:
            raise click.UsageError(f"--filter {item}: use NAME=VALUE with NAME one of {', '.join(FILTER_ARGUMENTS)}")
        arguments[name] = value
    province_code = current_app.config["PROVINCE_CODE"]
    with force_locale(CLI_LANGUAGE), session_scope() as session:
        parsed = read_filter(session, arguments, province_code, paged=False)
        if parsed.errors:
            raise click.UsageError("\n".join(f"--filter {name}: {message}" for name, message in parsed.errors.items()))
        try:
            from_code, to_code = panel.panel_rounds(session, from_code, to_code)
        except panel.PanelRoundsError as error:
            raise click.UsageError(str(error)) from error
        report = panel.panel_report(session, province_code, from_code, to_code, parsed.filter, None)
        rows = panel.csv_rows(report)
    try:
        _write_csv(out, rows) if extension == ".csv" else _write_xlsx(out, rows, from_code, to_code)
    except OSError as error:
        raise click.ClickException(f"Cannot write {out}: {error}") from error
    totals = {category: cell.establishments for category, cell in report.total.cells.items()}
    click.echo(f"Panel {from_code} → {to_code}: " + ", ".join(f"{name} {count}" for name, count in totals.items())
               + f"; {len(rows)} lines written to {out}.")


def _write_csv(path: str, rows: list[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file)
        writer.writerow(panel.CSV_COLUMNS)
        writer.writerows(tuple(neutralise(value) for value in row) for row in rows)


def _write_xlsx(path: str, rows: list[tuple], from_code: str, to_code: str) -> None:
    workbook = new_workbook()
    columns = [SheetColumn(name, kind, 14) for name, kind in zip(panel.CSV_COLUMNS, _XLSX_KINDS)]
    write_sheet(workbook, f"panel {from_code}-{to_code}", columns, [list(row) for row in rows])
    workbook.save(path)
