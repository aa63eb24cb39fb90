"""`flask --app surveyapp admin-units ...`"""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from ..db import session_scope
from ..models import UnitLevel
from .queries import unit_by_code

admin_units_cli = AppGroup("admin-units", help="Administrative units (province, district, commune).")


@admin_units_cli.command("load")
@click.option("--province", "province_code", default=None, help="Only this province (GSO code, e.g. 94).")
def load_command(province_code: str | None) -> None:
    """Load Vietnam's units as before 1 July 2025, those after it, and the crosswalk between communes."""
    from .services import load_admin_units

    started = time.perf_counter()
    try:
        with session_scope() as session:
            summary = load_admin_units(session, province_code)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    levels = summary["levels"]
    click.echo(
        f"Admin units: {levels.get('province', 0)} provinces, {levels.get('district', 0)} districts, "
        f"{levels.get('commune', 0)} communes ({summary['inserted']} new, {summary['updated']} refreshed); "
        f"{summary['units_2025']} units after 1 July 2025, {summary['crosswalk_rows']} crosswalk rows "
        f"in {time.perf_counter() - started:.1f} s."
    )


def check_unit_code(session, code: str, level: UnitLevel, option: str) -> None:
    """Refuse an option naming no unit of `level`, rather than answer with an empty result."""
    unit = unit_by_code(session, code)
    if unit is None or unit.level != level:
        raise click.BadParameter(f"Unknown {level.value}: {code}", param_hint=option)
