"""`flask --app surveyapp export --format csv|xlsx|geojson|gpkg --out PATH [filters] [--headers vi]`"""
from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..db import session_scope
from ..establishments.filters import FILTER_ARGUMENTS, read_filter
from . import services
from .columns import LANGUAGES

#: Messages of the command line are in English, like its other output.
CLI_LANGUAGE = "en"


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(list(services.FORMATS)), required=True, help="File format.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write.")
@click.option("--district", help="District code, e.g. 947.")
@click.option("--commune", help="Commune code, e.g. 31498.")
@click.option("--sector", help="VSIC division, e.g. C10.")
@click.option("--legal-form", "legal_form", help="enterprise, cooperative, cooperative_group, household_business, household.")
@click.option("--round", "round_code", help="Survey round code, e.g. 2019: establishments with a record in it.")
@click.option("--status", help="active, closed or merged.")
@click.option("--q", help="Search text (name, owner, address; diacritics ignored).")
@click.option("--gps-mismatch", "gps_mismatch", type=click.Choice(["0", "1"]), help="1: GPS outside the declared unit.")
@click.option("--filter", "extra", multiple=True, metavar="NAME=VALUE",
              help="Any other argument of the list's filter, e.g. --filter supported=1 (repeatable).")
@click.option("--headers", "language", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="en: the English keys as headers; vi: Vietnamese headers and names.")
@with_appcontext
def export_command(fmt: str, out: str, language: str, round_code: str | None, extra: tuple[str, ...],
                   **filters) -> None:
    """Export the establishments matching the filters (the same arguments as the list page)."""
    started = time.perf_counter()
    province_code = current_app.config["PROVINCE_CODE"]
    arguments = {name: value for name, value in {**filters, "round": round_code}.items() if value}
    for item in extra:
        name, equals, value = item.partition("=")
        if not equals or name not in FILTER_ARGUMENTS or name == "page":
            raise click.UsageError(f"--filter {item}: use NAME=VALUE with NAME one of {', '.join(FILTER_ARGUMENTS)}")
        arguments[name] = value
    with force_locale(CLI_LANGUAGE), session_scope() as session:
        parsed = read_filter(session, arguments, province_code)
        if parsed.errors:
            raise click.UsageError("\n".join(f"--{name.replace('_', '-')}: {message}"
                                             for name, message in parsed.errors.items()))
        export = services.ExportRequest(fmt, parsed.filter, None, language)
        try:
            services.count_rows(session, export)
        except services.ExportError as error:
            raise click.ClickException(str(error)) from error
        if fmt == "gpkg" and os.path.exists(out):
            os.unlink(out)  # a GeoPackage is a database: replace it rather than add to it
        try:
            rows = services.write_file(session, export, out, province_code)
        except OSError as error:
            raise click.ClickException(f"Cannot write {out}: {error}") from error
        services.record_export(session, export, rows, None, destination=os.path.abspath(out))
    click.echo(f"Exported {rows} establishments to {out} in {time.perf_counter() - started:.1f} s.")
