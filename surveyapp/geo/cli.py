"""`flask --app surveyapp boundaries ...`: import boundary files, check GPS points, list what is stored."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..adminunits.cli import check_unit_code
from ..db import session_scope
from ..models import UnitLevel
from . import queries
from .gps import recheck_gps_mismatch
from .reading import BoundaryFileError, Limits
from .services import LEVELS, ImportReport, import_boundaries

boundaries_cli = AppGroup("boundaries", help="District and commune boundaries for maps and GPS checks.")
PROBLEMS = {
    "no_geometry": "no geometry", "not_polygon": "not a polygon", "no_match": "no unit has this code or name",
    "ambiguous": "the name fits several units", "duplicate": "another feature already outlines this unit",
}


@boundaries_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.Choice(LEVELS), required=True, help="What the features outline.")
@click.option("--code-field", default=None, help="Attribute with GSO codes (default: detected).")
@click.option("--name-field", default=None, help="Attribute with unit names (default: detected).")
@click.option("--layer", default=None, help="Layer to read (GeoPackage or zip with several).")
@click.option("--tolerance", type=float, default=None,
              help="Simplification in metres (default 50 for districts, 20 for communes).")
@click.option("--dry-run", is_flag=True, help="Print the matches, change nothing.")
@click.option("--province", "province_code", default=None, help="GSO code (default: PROVINCE_CODE).")
def import_command(path: Path, level: str, code_field, name_field, layer, tolerance, dry_run, province_code) -> None:
    """Import boundaries from GeoJSON, GeoPackage or Shapefile (.shp or zipped), in any CRS.

    Every boundary of the level is replaced in one transaction, then GPS points are checked again.
    Nothing changes when the file cannot be read or none of its features matches a unit.
    """
    started = time.perf_counter()
    province_code = province_code or current_app.config["PROVINCE_CODE"]
    try:
        with session_scope() as session:  # the boundaries and the GPS flags they imply commit together
            report = import_boundaries(session, path, level=level, province_code=province_code,
                                       code_field=code_field, name_field=name_field, layer=layer,
                                       tolerance_m=tolerance, dry_run=dry_run,
                                       limits=Limits.from_config(current_app.config))
            print_report(report)
            if report.applied:
                gps = recheck_gps_mismatch(session, province_code,
                                           tolerance_m=current_app.config["GPS_TOLERANCE_M"])
    except BoundaryFileError as error:
        raise click.ClickException(f"{error} Nothing was imported.") from error
    if dry_run:
        click.echo(f"Dry run: {len(report.imported)} of {len(report.unit_names)} units would get a boundary; "
                   "nothing was changed.")
        return
    if not report.applied:
        raise click.ClickException("No feature matches a unit of this level: nothing was imported. "
                                   "Check --level, or name the attributes with --code-field / --name-field.")
    click.echo(f"Imported {len(report.imported)} of {len(report.unit_names)} {level} boundaries "
               f"({report.stored_bytes / 1024:.0f} KB simplified from {report.original_bytes / 1024:.0f} KB; "
               f"{report.replaced} replaced) in {time.perf_counter() - started:.1f} s.")
    _echo_gps(gps)


def print_report(report: ImportReport) -> None:
    click.echo(f"{report.file_name}" + (f" (layer {report.layer})" if report.layer else "")
               + f": {len(report.matches)} features, CRS {report.source_crs}; codes from "
               f"{report.code_field or '-'}, names from {report.name_field or '-'}; {report.repaired} repaired.")
    click.echo(f"{'#':>4}  {'code':<8} {'name in the file':<32} {'unit':<36} {'by':<5} note")
    for match in report.matches:
        unit = f"{match.unit_code} {report.unit_names.get(match.unit_code, '')}" if match.unit_code else "-"
        note = PROBLEMS.get(match.problem, "") if match.problem else ""
        if match.candidates:
            note += ": " + ", ".join(match.candidates)
        if match.centroid_inside is False:
            note = "unit centroid outside this shape: check"
        line = (f"{match.index + 1:>4}  {match.source_code or '-':<8} {(match.source_name or '-')[:32]:<32} "
                f"{unit[:36]:<36} {match.method or '-':<5} {note}")
        click.echo(click.style(line, fg=None if match.matched else "yellow"))
    click.echo(f"Matched {len(report.matched)} of {len(report.matches)} features; "
               f"{len(report.unmatched)} not matched.")
    missing = report.units_without_boundary
    if missing:
        click.echo("Units without a boundary in this file: " + ", ".join(f"{c} {n}" for c, n in missing))


def _check_gps(province_code: str) -> None:
    with session_scope() as session:
        check_unit_code(session, province_code, UnitLevel.province, "--province")
        summary = recheck_gps_mismatch(session, province_code, tolerance_m=current_app.config["GPS_TOLERANCE_M"],
                                       after_chunk=session.commit)
    _echo_gps(summary)


def _echo_gps(summary) -> None:
    click.echo(f"GPS points checked: {summary.checked}, outside their declared unit: {summary.outside}, "
               f"unchecked: {summary.unchecked} ({summary.changed} flags changed, {summary.seconds:.1f} s).")


@boundaries_cli.command("check-gps")
@click.option("--province", "province_code", default=None, help="GSO code (default: PROVINCE_CODE).")
def check_gps_command(province_code: str | None) -> None:
    """Recompute which establishments' GPS points lie outside their declared commune or district."""
    _check_gps(province_code or current_app.config["PROVINCE_CODE"])


@boundaries_cli.command("list")
@click.option("--province", "province_code", default=None, help="GSO code (default: PROVINCE_CODE).")
def list_command(province_code: str | None) -> None:
    """How many units of each level have a boundary, from which files."""
    province_code = province_code or current_app.config["PROVINCE_CODE"]
    with session_scope() as session:
        check_unit_code(session, province_code, UnitLevel.province, "--province")
        for row in queries.boundary_summary(session, province_code):
            click.echo(f"{row.level:<9} {row.with_boundary:>4} of {row.units:>4} units"
                       + (f"  from {', '.join(row.source_files)}, imported {row.imported_at:%Y-%m-%d %H:%M}"
                          if row.with_boundary else ""))
