"""`flask --app surveyapp promotion import PATH --kind projects|support|certificates|ocop [--dry-run]`"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from flask_babel import force_locale

from ..db import session_scope
from ..imports.cli import CLI_LANGUAGE
from ..imports.reading import ImportFileError
from .importing import KINDS, check_promotion_file, write_promotion_import

promotion_cli = AppGroup("promotion", help="Industrial promotion data.")


@promotion_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(list(KINDS)), help="What the file holds.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
def import_command(path: Path, kind: str, dry_run: bool) -> None:
    """Import promotion projects, support given, certificates or OCOP ratings (all or nothing)."""
    with force_locale(CLI_LANGUAGE):
        try:
            plan = check_promotion_file(path.read_bytes(), path.name, kind)
        except ImportFileError as error:
            raise click.ClickException(str(error)) from error
        if not plan.errors and not dry_run:
            with session_scope() as session:
                write_promotion_import(session, plan, actor_id=None)
                if plan.errors:
                    session.rollback()
    for number, column, message in plan.errors:
        click.echo(f"row {number}, {column}: {message}", err=True)
    if plan.errors:
        raise click.ClickException(f"{len(plan.errors)} problems: nothing was written.")
    verb = "would be checked" if dry_run else f"{plan.written} written, {plan.unchanged} unchanged"
    click.echo(f"{len(plan.rows)} rows of {kind}: {verb}.")
