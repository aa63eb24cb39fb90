"""`flask --app surveyapp import PATH.xlsx|.csv [--round R] [--dry-run]`"""
from __future__ import annotations

import os
import time
from typing import Iterable, Iterator

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..db import session_scope
from . import services
from .reading import MAX_BYTES, MAX_ROWS, ImportFileError
from .safety import Limits
from .validation import ImportPlan

#: Messages of the command line are in English, like its other output.
CLI_LANGUAGE = "en"


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--round", "round_code", help="Give each establishment an approved record in this survey round.")
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
@with_appcontext
def import_command(path: str, round_code: str | None, dry_run: bool) -> None:
    """Import establishments from a spreadsheet (the export's columns, English or Vietnamese headers).

    Every row is checked first; a single bad row means nothing is written. Rows with an
    establishment_code update that establishment; rows without one are matched by commune, name and
    owner, or added with the next code of their district. Importing the same file again changes nothing.
    """
    started = time.perf_counter()
    max_bytes = current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES)
    if os.path.getsize(path) > max_bytes:
        raise click.ClickException(f"{path} is larger than {max_bytes / 1024 / 1024:g} MB; split it into smaller files.")
    with open(path, "rb") as handle:
        data = handle.read()
    with force_locale(CLI_LANGUAGE), session_scope() as session:
        try:
            plan = services.check_file(session, data, os.path.basename(path),
                                       province_code=current_app.config["PROVINCE_CODE"], round_code=round_code,
                                       max_rows=current_app.config.get("IMPORT_MAX_ROWS", MAX_ROWS),
                                       max_bytes=max_bytes, limits=Limits.from_config(current_app.config),
                                       progress=_bar)
        except (ImportFileError, services.ImportRoundError) as error:
            raise click.ClickException(str(error)) from None
        _echo_plan(plan)
        if not plan.ok:
            session.rollback()
            raise click.ClickException(f"{len(plan.errors)} problems found: nothing was imported.")
        if dry_run:
            session.rollback()
            click.echo("Dry run: nothing was written.")
            return
        try:
            report = services.write_plan(session, plan, data, actor_id=None, progress=_bar,
                                         write_rows=current_app.config.get("IMPORT_WRITE_ROWS"))
        except services.ImportAborted as error:
            session.rollback()
            for problem in error.errors:
                click.echo(_problem_line(problem), err=True)
            if error.written:
                raise click.ClickException(f"The import stopped after {error.written} rows, which stay written; "
                                           "import the same file again to finish it.") from None
            raise click.ClickException("The import failed: nothing was written.") from None
    counts = report.counts
    click.echo(f"Imported {plan.rows_read} rows in {time.perf_counter() - started:.1f} s: "
               f"{counts['create']} added, {counts['update']} updated, {counts['unchanged']} unchanged"
               + (f"; round {plan.survey_round.code}: {_record_counts(report.records)}" if plan.survey_round else "")
               + ".")


def _echo_plan(plan: ImportPlan) -> None:
    for warning in plan.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for problem in plan.errors:
        click.echo(_problem_line(problem), err=True)
    if not plan.ok:
        click.echo(f"{plan.source}: {plan.rows_read} rows read.")
        return
    counts = plan.counts
    click.echo(f"{plan.source}: {plan.rows_read} rows; would add {counts['create']}, update {counts['update']}, "
               f"leave {counts['unchanged']} unchanged"
               + (f"; round {plan.survey_round.code}: {_record_counts(plan.records)}" if plan.survey_round else "")
               + ".")


def _problem_line(problem) -> str:
    where = f"row {problem.row}" if problem.row else "file"
    column = f", column {problem.column}" if problem.column else ""
    value = f" [{problem.value}]" if problem.value else ""
    return f"{where}{column}: {problem.message}{value}"


def _record_counts(counts) -> str:
    return (f"{counts['create']} new records, {counts['new_version']} new versions, "
            f"{counts['unchanged']} records already matching")


def _bar(label: str, items: Iterable) -> Iterator:
    """A click progress bar over a sized collection (shown on a terminal, silent otherwise)."""
    items = list(items) if not hasattr(items, "__len__") else items
    with click.progressbar(items, label=label, length=len(items)) as bar:
        yield from bar
