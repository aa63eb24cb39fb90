"""`flask --app surveyapp users ...`"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import session_scope
from ..models import Role
from .services import AccountError, create_user

users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--full-name", default=None)
@click.option("--password", default=None, help="Default: a random one, printed once.")
def create_command(username: str, role: str, full_name: str | None, password: str | None) -> None:
    """Create an account."""
    try:
        with session_scope() as session:
            user, password = create_user(session, username, role, password, full_name)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role} {user.username!r}; password (shown once): {password}")
