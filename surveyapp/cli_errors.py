"""Every command ends a user's mistake or a state of the database in one line, never a traceback.

A person at a terminal who gives a wrong code or file, or runs a command before `setup`, gets
click's `Error: …` saying what to do and exit status 1. Errors of the program itself (KeyError,
TypeError, a bare ValueError...) keep their traceback: they are bugs to report.
"""
from __future__ import annotations

import functools
from typing import Callable, Iterator

import click
from flask import current_app
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from .db import display_url, is_busy

#: SQLSTATE / SQLite messages of a schema that is missing or older than the code.
_NO_SCHEMA = ("42P01", "42703", "no such table", "no such column")


def _migration_error() -> type[Exception]:
    """alembic's error, imported only when a command fails (alembic takes 0.1 s to import); an except
    clause's expression is evaluated only then."""
    from alembic.util import CommandError

    return CommandError


def guard_commands(group: click.Group) -> None:
    """Turn the expected errors of every command under `group` into click's one-line "Error: …" (exit 1)."""
    for command in _walk(group):
        if command.callback is not None and not is_guarded(command):
            command.callback = _one_line_errors(command.callback)


def is_guarded(command: click.Command) -> bool:
    return getattr(command.callback, "one_line_errors", False)


def _walk(command: click.Command) -> Iterator[click.Command]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _walk(sub)


def _one_line_errors(callback: Callable) -> Callable:
    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except DBAPIError as error:
            raise click.ClickException(_database_message(error)) from error
        except OSError as error:
            raise click.ClickException(_file_message(error)) from error
        except _migration_error() as error:  # e.g. a database migrated by a newer version of the app
            raise click.ClickException(f"Cannot migrate the database: {error}") from error
        except ValueError as error:
            if not _is_domain_error(error):
                raise
            raise click.ClickException(str(error)) from error

    guarded.one_line_errors = True
    return guarded


def _is_domain_error(error: ValueError) -> bool:
    """A ValueError subclass of the app's services (DemoError, ImportFileError...), whose text is for people."""
    return any(cls.__module__.startswith("surveyapp.") for cls in type(error).__mro__)


def _database_message(error: DBAPIError) -> str:
    text = str(error.orig).strip()
    detail = text.splitlines()[0] if text else type(error.orig).__name__
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in _NO_SCHEMA or any(marker in detail for marker in _NO_SCHEMA):
        return f"The database is not set up or is out of date ({detail}): run `flask --app surveyapp setup` first."
    if is_busy(error):
        return f"The database is locked by another process ({detail}); try again when it has finished."
    if isinstance(error, OperationalError) and error.statement is None:
        return f"Cannot open the database {display_url(current_app.config['DATABASE_URL'])}: {detail}"
    if isinstance(error, IntegrityError):
        return f"The database refused the change: {detail}"
    return f"The database reported an error: {detail}"


def _file_message(error: OSError) -> str:
    if error.filename:
        return f"Cannot use {error.filename}: {error.strerror or error}"
    return str(error)
