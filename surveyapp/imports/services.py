"""Importing establishments: check a file (the dry run), then write it in the caller's transaction.

`check_file` reads and plans without writing anything (no write lock is taken, so a preview never
blocks enumerators). `write_plan` applies a plan with no errors: updates first by code, new rows last
(so a generated code never takes one the file holds), both in batches (`writing`), then the round's
records, then one "import" audit event. The caller commits, or rolls back on `ImportAborted`: all or
nothing.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..audit import record_event
from ..establishments.queries import round_by_code
from ..geo.gps import recheck_gps_mismatch
from ..models import Establishment, SurveyRecord, SurveyRound
from ..questionnaire.definition import Definition
from ..questionnaire.registry import registry
from ..survey.services import definition_for
from . import queries, records, writing
from .columns import looks_like_header
from .reading import MAX_BYTES, MAX_ROWS, read_table
from .safety import DEFAULT_LIMITS, Limits
from .validation import ImportPlan, Progress, RowError, no_progress, plan_import

#: Establishments loaded and flushed together while writing records.
WRITE_CHUNK = 500
#: Establishments per GPS recheck (its IN (...) list stays under every backend's parameter limit).
GPS_CHUNK = 10_000
#: Rows created or changed from which the table's planner statistics are refreshed after writing.
ANALYZE_AFTER = 1000
_LOCATED = ("lat", "lon", "commune_code")


class ImportRoundError(ValueError):
    """The round asked for cannot take records (unknown, or its questionnaire is missing)."""


class ImportAborted(Exception):
    """Writing failed on a row; the caller rolls back. `errors` say where and why."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class ImportReport:
    plan: ImportPlan
    counts: Counter = field(default_factory=Counter)
    records: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def check_file(session: Session, data: bytes, filename: str, *, province_code: str, round_code: str | None = None,
               max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES, limits: Limits = DEFAULT_LIMITS,
               progress: Progress = no_progress) -> ImportPlan:
    """Read and check a file; raises ImportFileError (the file) or ImportRoundError (the round)."""
    survey_round, definition = _round(session, round_code)
    table = read_table(data, filename, looks_like_header, max_rows=max_rows, max_bytes=max_bytes, limits=limits)
    plan = plan_import(session, table, province_code=province_code, source=filename,
                       xlsx=filename.lower().endswith(".xlsx"), progress=progress)
    plan.survey_round = survey_round
    if survey_round is not None and plan.ok:
        _plan_records(session, plan, survey_round, definition, progress)
    return plan


def _round(session: Session, round_code: str | None) -> tuple[SurveyRound | None, Definition | None]:
    if not round_code:
        return None, None
    survey_round = round_by_code(session, round_code)
    if survey_round is None:
        raise ImportRoundError(str(_l("Unknown survey round: %(code)s", code=round_code)))
    try:
        definition = definition_for(session, registry(), survey_round.questionnaire_id or "",
                                    survey_round.questionnaire_version or "")
    except LookupError:
        raise ImportRoundError(str(_l("The questionnaire of round %(code)s is missing from forms/.",
                                      code=round_code))) from None
    return survey_round, definition


def _plan_records(session: Session, plan: ImportPlan, survey_round: SurveyRound, definition: Definition,
                  progress: Progress) -> None:
    existing = [row for row in plan.rows if row.establishment_id is not None]
    plan.records["create"] += len(plan.rows) - len(existing)
    plan.record_actions = {row.row: "create" for row in plan.rows if row.establishment_id is None}
    context = records.RoundImport(survey_round, definition, plan.source)
    for planned in plan.rows:
        if planned.establishment_id is None:
            _plan_record(plan, context, planned, records.new_registry_row(planned.values), None, False)
    current: dict = {}
    rows: dict = {}
    registered: set[int] = set()
    for index, planned in enumerate(progress(str(_l("Checking records")), existing)):
        if index % WRITE_CHUNK == 0:  # what the records need, for the next WRITE_CHUNK establishments at once
            ids = [row.establishment_id for row in existing[index:index + WRITE_CHUNK]]
            current = queries.current_records(session, survey_round.id, ids)
            rows = queries.current_values_by_id(session, ids)
            registered = queries.establishments_with_other_rounds(session, survey_round.id, ids)
        future = records.future_registry_row(rows[planned.establishment_id], planned.changes)
        action = _plan_record(plan, context, planned, future, current.get(planned.establishment_id),
                              planned.establishment_id in registered)
        plan.records[action] += 1
        plan.record_actions[planned.row] = action


def _plan_record(plan: ImportPlan, context: records.RoundImport, planned, registry_row, current,
                 registered: bool) -> str:
    """The record action for one row; the answers that would break the questionnaire's rules become errors."""
    try:
        action, _answers = records.planned_answers(context, registry_row, current, registered)
    except records.RecordImportError as error:
        plan.errors += _record_errors(plan, context.survey_round, planned.row, error)
        return "create" if current is None else "new_version"
    return action


def _record_errors(plan: ImportPlan, survey_round: SurveyRound, row: int,
                   error: records.RecordImportError) -> list[RowError]:
    return [RowError(row, plan.columns.label(error.field_of.get(name, name), plan.source.lower().endswith(".xlsx")),
                     str(_l("Round %(round)s: %(message)s", round=survey_round.code, message=message)))
            for name, message in error.errors.items()]


def write_plan(session: Session, plan: ImportPlan, data: bytes, *, actor_id: int | None,
               progress: Progress = no_progress) -> ImportReport:
    """Write a plan without errors into the session (the caller commits); raises ImportAborted."""
    if not plan.ok:
        raise ImportAborted(plan.errors)
    started = time.perf_counter()
    report = ImportReport(plan)
    report.counts.update(planned.action for planned in plan.rows)
    row_of = {planned.establishment_id: planned.row for planned in plan.rows if planned.establishment_id is not None}
    communes = queries.units_by_code(session, {row.values["commune_code"] for row in plan.rows})
    try:
        session.flush()  # what the session holds goes first; the statements below bypass it
        changed = [planned for planned in plan.rows if planned.changes]
        writing.update_establishments(session, changed, communes, plan.source, actor_id, progress)
        new = [planned for planned in plan.rows if planned.action == "create"]
        highest = queries.highest_establishment_id(session)
        row_of_code = writing.create_establishments(session, new, communes, progress)
        if row_of_code:
            ids = queries.codes_and_ids_after(session, highest)
            row_of |= {ids[code]: row for code, row in row_of_code.items()}
        writing.forget_loaded(session, [planned.establishment_id for planned in changed])
        if len(changed) + len(new) >= ANALYZE_AFTER:
            queries.refresh_statistics(session)
        moved = [establishment_id for establishment_id, planned in _located(plan, row_of)]
        for start in range(0, len(moved), GPS_CHUNK):  # the "GPS outside its district/commune" flag follows the points
            recheck_gps_mismatch(session, plan.province_code, establishment_ids=moved[start:start + GPS_CHUNK],
                                 actor_id=actor_id)
        if plan.survey_round is not None:
            report.records = _write_records(session, plan, row_of, actor_id, progress)
    except IntegrityError as error:
        raise ImportAborted([RowError(None, None, str(_l("The database refused the import (%(reason)s).",
                                                         reason=type(error.orig).__name__)))]) from error
    report.seconds = time.perf_counter() - started
    record_event(session, "import", "establishment", None, actor_id=actor_id, after={
        "file": plan.source, "sha256": hashlib.sha256(data).hexdigest(), "rows": plan.rows_read,
        "created": report.counts["create"], "updated": report.counts["update"],
        "unchanged": report.counts["unchanged"],
        "round": plan.survey_round.code if plan.survey_round else None, "records": dict(report.records)})
    return report


def _located(plan: ImportPlan, row_of: dict[int, int]):
    """(establishment id, planned row) of the rows that placed a point: new with GPS, or GPS/commune changed."""
    by_row = {planned.row: planned for planned in plan.rows}
    for establishment_id, row in row_of.items():
        planned = by_row[row]
        if (planned.action == "create" and planned.values.get("lat") is not None) or \
                any(name in planned.changes for name in _LOCATED):
            yield establishment_id, planned


def _write_records(session: Session, plan: ImportPlan, row_of: dict[int, int], actor_id: int | None,
                   progress: Progress) -> Counter:
    survey_round = plan.survey_round
    definition = definition_for(session, registry(), survey_round.questionnaire_id or "",
                                survey_round.questionnaire_version or "")
    context = records.RoundImport(survey_round, definition, plan.source, order=records.round_order(session))
    counts: Counter = Counter()
    counts["unchanged"] = sum(1 for row in row_of.values() if plan.record_actions.get(row) == "unchanged")
    ids = [establishment_id for establishment_id, row in row_of.items() if plan.record_actions.get(row) != "unchanged"]
    loaded: dict[int, Establishment] = {}
    current: dict[int, SurveyRecord] = {}
    registered: set[int] = set()
    for index, establishment_id in enumerate(progress(str(_l("Writing records")), ids)):
        if index % WRITE_CHUNK == 0:
            session.flush()
            chunk = ids[index:index + WRITE_CHUNK]
            loaded = queries.establishments_by_id(session, chunk)
            current = queries.current_records(session, survey_round.id, chunk)
            registered = queries.establishments_with_other_rounds(session, survey_round.id, chunk)
        try:
            counts[records.write_record(session, context, loaded[establishment_id], current.get(establishment_id),
                                        establishment_id in registered, actor_id)] += 1
        except records.RecordImportError as error:
            raise ImportAborted(_record_errors(plan, survey_round, row_of[establishment_id], error)) from error
    session.flush()
    return counts
