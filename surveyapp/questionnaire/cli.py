"""`flask --app surveyapp forms check`"""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from ..db import session_scope
from .registry import registry

forms_cli = AppGroup("forms", help="Questionnaire definitions in forms/.")


@forms_cli.command("check")
def check_command() -> None:
    """Load every questionnaire in forms/ and report every problem with its file and line."""
    forms = registry()
    problems = [line for error in forms.errors() for line in error.lines()]
    for definition in forms.definitions():
        count = len(definition.questions())
        click.echo(f"forms/{definition.source_name.removeprefix('forms/')}: {definition.form_id} version "
                   f"{definition.version}, {count} questions: OK")
        problems += _stored_version_mismatch(definition)
    for line in problems:
        click.echo(click.style(line, fg="red"), err=True)
    if problems:
        raise SystemExit(1)
    if not forms.definitions():
        click.echo(f"No questionnaire found in {forms.folder}")


def _stored_version_mismatch(definition) -> list[str]:
    """A version already used by records must not change: say so before anyone saves with it."""
    from ..survey.queries import stored_questionnaire

    try:
        with session_scope() as session:
            stored = stored_questionnaire(session, definition.form_id, definition.version)
    except SQLAlchemyError:
        return []  # no database yet: nothing stored to compare with
    if stored is not None and stored.sha256 != definition.sha256:
        return [f"{definition.source_name}: version {definition.version} is already used by records with "
                "different content; give the changed questionnaire a new version"]
    return []
