"""Command-line entry points: `flask --app surveyapp <command>`. Each calls the same services as the web."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask import Flask, current_app

from .accounts.cli import users_cli
from .adminunits.cli import admin_units_cli
from .cli_errors import guard_commands
from .db import migrate, session_scope
from .demo.cli import demo_command
from .duplicates.cli import duplicates_command
from .promotion.cli import promotion_cli
from .exports.cli import export_command
from .imports.cli import import_command
from .geo.cli import boundaries_cli
from .questionnaire.cli import forms_cli
from .reports.cli import report_cli


def init_app(app: Flask) -> None:
    for command in (setup_command, admin_units_cli, demo_command, users_cli, forms_cli, boundaries_cli,
                    export_command, import_command, promotion_cli, duplicates_command, report_cli):
        app.cli.add_command(command)
    guard_commands(app.cli)  # init-db too: db.init_app registered it first


@click.command("setup")
@with_appcontext
@click.option("--demo-establishments", default=3209, show_default=True, type=int,
              help="Size of the synthetic census loaded into an empty registry (0: none).")
def setup_command(demo_establishments: int) -> None:
    """Prepare an installation: migrate, load admin units and demo data when empty, create an admin.

    Safe to run again: it only adds what is missing and never removes anything.
    """
    # What only this command uses, imported when it runs (not by create_app()).
    from .accounts.services import any_user_with_role, create_user
    from .adminunits.queries import units_2025_loaded
    from .adminunits.services import load_admin_units, load_units_2025
    from .demo.accounts import create_demo_accounts
    from .demo.generator import establishments_exist, generate_demo_census
    from .demo.panel import generate_panel_demo
    from .demo.promotion import generate_promotion_demo
    from .models import AdminUnit, Role
    from .questionnaire.registry import registry
    from .survey.versions import settle_questionnaire_versions

    started = time.perf_counter()
    migrate()
    click.echo("Database schema is current.")
    province_code = current_app.config["PROVINCE_CODE"]
    with session_scope() as session:
        if session.get(AdminUnit, province_code) is None:
            summary = load_admin_units(session)
            click.echo(f"Loaded {sum(summary['levels'].values())} administrative units (before 1 July 2025) and "
                       f"{summary.get('units_2025', 0)} after it.")
        elif not units_2025_loaded(session):  # an installation from before the 2025 units
            summary = load_units_2025(session)
            click.echo(f"Loaded {summary['units_2025']} administrative units after 1 July 2025.")
    with session_scope() as session:
        _load_bundled_boundaries(session, province_code)
    accounts: list[tuple[str, str, str]] = []
    with session_scope() as session:
        if demo_establishments > 0 and not establishments_exist(session):
            summary = generate_demo_census(session, province_code, demo_establishments, seed=1)
            generate_promotion_demo(session, seed=1)
            generate_panel_demo(session, seed=1)
            click.echo(f"Loaded a synthetic demo census of {summary['establishments']} establishments.")
            accounts = create_demo_accounts(session, province_code)
    with session_scope() as session:
        _echo_version_changes(settle_questionnaire_versions(session, registry()))
    with session_scope() as session:
        if not any_user_with_role(session, Role.admin):
            user, password = create_user(session, "admin", Role.admin, full_name="Administrator")
            accounts.insert(0, (user.username, user.role, password))
    if accounts:
        lines = "\n".join(f"  {role:<11} {username:<10} {password}" for username, role, password in accounts)
        click.echo(click.style(f"Accounts created (role, username, password):\n{lines}\n"
                               "These passwords are shown only once: write them down now.", fg="yellow", bold=True))
    click.echo(f"Ready in {time.perf_counter() - started:.1f} s.")


def _load_bundled_boundaries(session, province_code: str) -> None:
    """The outlines shipped in maps/provinces/<code>/ for a level that has none yet (GPS rechecked)."""
    from .geo.bundled import load_bundled_boundaries
    from .geo.gps import recheck_gps_mismatch

    maps_folder = Path(current_app.config.get("MAPS_DIR") or Path(current_app.root_path).parent / "maps")
    reports = load_bundled_boundaries(session, maps_folder, province_code)
    for report in reports:
        click.echo(f"Loaded {len(report.imported)} {report.level} boundaries shipped with the app "
                   f"({report.file_name}).")
    if reports:
        recheck_gps_mismatch(session, province_code, tolerance_m=current_app.config["GPS_TOLERANCE_M"])


def _echo_version_changes(changes) -> None:
    for code, form_id, old, new in changes.moved:
        click.echo(f"Round {code} now uses {form_id} version {new} (was {old}): new records and edits follow its "
                   f"rules; records already made keep version {old}.")
    for form_id, version in changes.missing:
        click.echo(click.style(f"Records use {form_id} version {version}, which is neither stored nor in forms/ "
                               "or forms/previous/: they cannot be displayed.", fg="red"), err=True)
