"""`flask --app surveyapp users ...`"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import session_scope
from ..models import Role

users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--full-name", default=None)
@click.option("--password", default=None, help="Default: a random one, printed once.")
@click.option("--communes", default="", help="Commune codes to assign, comma-separated (needs --round).")
@click.option("--round", "round_code", default=None, help="Survey round code of the assignments, e.g. 2019.")
def create_command(username: str, role: str, full_name: str | None, password: str | None, communes: str,
                   round_code: str | None) -> None:
    """Create an account, optionally with its communes for a survey round."""
    from ..survey.queries import round_by_code
    from .services import AccountError, assign_communes, create_user

    codes = [code.strip() for code in communes.split(",") if code.strip()]
    if codes and not round_code:
        raise click.UsageError("--communes needs --round.")
    try:
        with session_scope() as session:
            survey_round = round_by_code(session, round_code) if round_code else None
            if round_code and survey_round is None:
                raise AccountError(f"Unknown survey round: {round_code}")
            user, password = create_user(session, username, role, password, full_name)
            if codes:
                assign_communes(session, user, survey_round, codes, actor_id=None)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    assigned = f", {len(codes)} communes in round {round_code}" if codes else ""
    click.echo(f"Created {user.role} {user.username!r}{assigned}; password (shown once): {password}")
