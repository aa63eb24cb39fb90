"""`flask --app surveyapp forms check`"""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from ..db import session_scope
from . import rules
from .registry import registry

forms_cli = AppGroup("forms", help="Questionnaire definitions in forms/.")


@forms_cli.command("check")
def check_command() -> None:
    """Load every questionnaire in forms/ and report every problem with its file and line.

    Problems are errors (exit code 1); a number question without a lower bound is a warning.
    Earlier versions in forms/previous/ are loaded and compared with their stored copy too.
    """
    forms = registry()
    problems = [line for error in forms.errors() for line in error.lines()]
    for definition in forms.definitions():
        warnings = rules.warnings(definition)
        for line in warnings:
            click.echo(click.style(f"Warning: {line}", fg="yellow"), err=True)
        noted = f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else ""
        click.echo(f"{definition.source_name}: {definition.form_id} version {definition.version}, "
                   f"{len(definition.questions())} questions: OK{noted}")
        problems += _stored_version_mismatch(definition)
    for definition in forms.previous_definitions():
        click.echo(f"{definition.source_name}: {definition.form_id} version {definition.version} "
                   "(earlier version): OK")
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
