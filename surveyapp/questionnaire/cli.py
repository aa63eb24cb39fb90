"""`flask --app surveyapp forms check`"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from ..db import session_scope
from .registry import registry

forms_cli = AppGroup("forms", help="Questionnaire definitions in forms/.")


@forms_cli.command("check")
def check_command() -> None:
    """Load every questionnaire in forms/ and report every problem with its file and line.

    Problems are errors (exit code 1); a number question without a lower bound is a warning.
    Earlier versions in forms/previous/ are loaded and compared with their stored copy too.
    """
    from . import rules

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


@forms_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--round", "round_code", default=None, help="Survey round whose new records use the version.")
def import_command(path: Path, round_code: str | None) -> None:
    """Check an XLSForm .xlsx (KoboToolbox, ODK) or a questionnaire .md and publish it as a version.

    Every problem is printed with its sheet, row and column, and nothing is stored (exit code 1).
    """
    from flask import current_app

    from ..imports.safety import Limits
    from ..survey.queries import round_by_code
    from ..survey.services import definition_for
    from .messages import problem_line
    from .publishing import PublishError, attach_version, check_upload, publish

    forms = registry()
    with session_scope() as session:
        survey_round = round_by_code(session, round_code) if round_code else None
        if round_code and survey_round is None:
            raise click.ClickException(f"no survey round {round_code!r}")
        checked = check_upload(session, forms, path.name, path.read_bytes(),
                               Limits.from_config(current_app.config))
        if not checked.ok:
            for problem in checked.problems:
                click.echo(click.style(f"{path.name}: {problem_line(problem, 'en')}", fg="red"), err=True)
            raise SystemExit(1)
        definition = checked.definition
        stored = publish(session, forms, definition.source_text, path.name, actor_id=None)
        click.echo(f"{'Already published' if checked.already_published else 'Published'}: {stored.form_id} "
                   f"version {stored.version}, {len(definition.questions())} questions")
        if survey_round is not None:
            try:
                attached = attach_version(session, definition_for(session, forms, stored.form_id, stored.version),
                                          survey_round, actor_id=None)
            except PublishError as error:
                raise click.ClickException(str(error)) from error
            click.echo(f"Round {survey_round.code} {'now uses' if attached else 'already uses'} "
                       f"{stored.form_id} version {stored.version}")
