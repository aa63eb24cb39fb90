"""Importing establishments: check a file (the dry run), then write it in short transactions.

`check_file` reads and plans without writing anything (no write lock is taken, so a preview never
blocks enumerators). A file with one bad row writes nothing. `write_plan` applies a plan with no errors:
updates first by code, new rows last (so a generated code never takes one the file holds), WRITE_ROWS
rows per committed transaction with their round records, so that data entry goes on during a long
import (SQLite has one writer at a time); then the GPS flags of the points written, then one "import"
audit event, which the caller commits. Each transaction leaves whole establishments (row, search entry,
update event, record): if the import stops half way (killed, or a write refused), importing the same
file again finishes it, as the rows already written are then unchanged (found by code, or by commune,
name and owner, which a file may not repeat): nothing is created twice. A registration made by hand during
the import that takes a code a chunk was about to give makes that chunk write again with fresh codes.
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
from ..survey.queries import round_by_code
from ..geo.gps import recheck_gps_mismatch
from ..models import Establishment, Role, SurveyRecord, SurveyRound
from ..questionnaire.definition import Definition
from ..questionnaire.registry import registry
from ..survey.services import RecordApproved, definition_for
from . import queries, records, writing
from .columns import looks_like_header
from .reading import MAX_BYTES, MAX_ROWS, read_table
from .safety import DEFAULT_LIMITS, Limits
from .validation import ImportPlan, PlannedRow, Progress, RowError, no_progress, plan_import

#: Establishments loaded and flushed together while writing records.
WRITE_CHUNK = 500
#: Rows written per transaction. SQLite has one writer at a time: each transaction holds the write lock
#: for a fraction of a second (2,000 new rows with their search and list indexes), so a submission made
#: during a 100,000-row import waits that long, not for the whole import.
WRITE_ROWS = 2000
#: ... with a round: a record goes through the survey's and the review's services (about 5 ms each).
WRITE_ROWS_WITH_RECORDS = 200
#: Times a chunk is written again, with fresh codes, when a registration made by hand meanwhile took one
#: of the codes the chunk was about to give (the import does not stop for it).
CODE_RETRIES = 5
#: How the code's unique constraint names itself when it refuses a row (SQLite, PostgreSQL).
_CODE_TAKEN = ("establishment.code", "Key (code)=")
#: Seconds the import leaves SQLite's write lock free between its transactions: writers have no queue,
#: and a waiting one retries only every 100 ms, so with a shorter gap the import could take it again first.
WRITE_PAUSE = 0.1
#: "import" events looked through for the last import of a file (imports are few: one event each).
RECENT_IMPORTS = 200
#: Establishments per GPS recheck (its IN (...) list stays under every backend's parameter limit).
GPS_CHUNK = 10_000
#: Rows created or changed from which the table's planner statistics are refreshed after writing.
ANALYZE_AFTER = 1000
_LOCATED = ("lat", "lon", "commune_code")


class ImportRoundError(ValueError):
    """The round asked for cannot take records (unknown, or its questionnaire is missing)."""


class ImportAborted(Exception):
    """Writing failed on a row. `errors` say where and why; `written`: rows written before (they stay)."""

    def __init__(self, errors: list[RowError], written: int = 0):
        super().__init__(errors)
        self.errors, self.written = errors, written


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
    stopped = _stopped_before(session, data)
    if stopped and plan.ok:
        plan.warnings.append(str(_l(
            "An import of this same file stopped after %(n)d rows. Those rows are found again by their code, or "
            "by commune, name and owner: they count as unchanged and are not created again.", n=stopped)))
    if survey_round is not None and plan.ok:
        _plan_records(session, plan, survey_round, definition, progress)
    return plan


def _stopped_before(session: Session, data: bytes) -> int:
    """The rows the last import of this file wrote before it stopped (0: it finished, or never ran)."""
    checksum = hashlib.sha256(data).hexdigest()
    for after in queries.recent_import_events(session, RECENT_IMPORTS):
        if (after or {}).get("sha256") == checksum:
            return int(after.get("stopped_after_rows") or 0)
    return 0


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
               actor_role: str = Role.admin.value, progress: Progress = no_progress,
               write_rows: int | None = None) -> ImportReport:
    """Write a plan without errors in short transactions, each committed; the caller commits the last one
    (the "import" event). Raises ImportAborted, saying how many rows stay written.

    Imports are an admin's (the web page) or the operator's (the CLI): `actor_role` is admin unless said.
    `write_rows`: rows per transaction (the configuration's IMPORT_WRITE_ROWS), else WRITE_ROWS, or
    WRITE_ROWS_WITH_RECORDS with a round.
    """
    if not plan.ok:
        raise ImportAborted(plan.errors)
    started = time.perf_counter()
    report = ImportReport(plan)
    report.counts.update(planned.action for planned in plan.rows)
    session.commit()  # what the caller's session holds is written first, on its own
    communes = queries.units_by_code(session, {row.values["commune_code"] for row in plan.rows})
    context = _round_context(session, plan)
    row_of: dict[int, int] = {}  # establishment id → spreadsheet row, of the rows written
    ordered = _write_order(plan)
    size = write_rows or (WRITE_ROWS if context is None else WRITE_ROWS_WITH_RECORDS)
    chunks = [ordered[start:start + size] for start in range(0, len(ordered), size)]
    for chunk in progress(str(_l("Writing establishments")), chunks):
        try:
            row_of |= _write_chunk_committed(session, plan, chunk, communes, context, actor_id, actor_role, report)
        except (IntegrityError, ImportAborted) as error:
            session.rollback()
            raise _aborted(session, plan, data, report, error, len(row_of), actor_id) from error
        _let_others_write(session)
    report.records["unchanged"] = sum(1 for action in plan.record_actions.values() if action == "unchanged")
    _recheck_points(session, plan, row_of, actor_id)
    if sum(1 for planned in ordered if planned.action != "unchanged") >= ANALYZE_AFTER:
        queries.refresh_statistics(session)
    report.seconds = time.perf_counter() - started
    _record_import(session, plan, data, report, actor_id)
    return report


def _write_order(plan: ImportPlan) -> list[PlannedRow]:
    """Updates by code first, new rows last, those with the file's codes before those without (a generated
    code never takes one the file holds); with a round, the unchanged rows whose record changes too."""
    new = [planned for planned in plan.rows if planned.action == "create"]
    records_only = [planned for planned in plan.rows if planned.action == "unchanged"
                    and plan.record_actions.get(planned.row, "unchanged") != "unchanged"]
    return ([planned for planned in plan.rows if planned.changes] + records_only
            + [planned for planned in new if planned.code] + [planned for planned in new if not planned.code])


def _write_chunk_committed(session: Session, plan: ImportPlan, rows: list[PlannedRow], communes, context,
                           actor_id: int | None, actor_role: str, report: ImportReport) -> dict[int, int]:
    """`_write_chunk`, committed; written again with fresh codes when one was taken meanwhile."""
    for attempt in range(CODE_RETRIES + 1):
        records_before = report.records.copy()
        try:
            row_of = _write_chunk(session, plan, rows, communes, context, actor_id, actor_role, report)
            session.commit()
            return row_of
        except IntegrityError as error:
            session.rollback()
            report.records = records_before
            if attempt == CODE_RETRIES or not _code_taken(error, rows):
                raise
    raise AssertionError("unreachable")


def _code_taken(error: IntegrityError, rows: list[PlannedRow]) -> bool:
    """Whether a code the chunk generated was taken by another connection (not one the file gives: that
    one was free when the file was checked, and is the file's to keep)."""
    generated = any(planned.action == "create" and not planned.code for planned in rows)
    return generated and any(marker in str(error.orig) for marker in _CODE_TAKEN)


def _write_chunk(session: Session, plan: ImportPlan, rows: list[PlannedRow], communes, context, actor_id: int | None,
                 actor_role: str, report: ImportReport) -> dict[int, int]:
    """Write some rows and their records; returns establishment id → spreadsheet row of those rows."""
    row_of = {planned.establishment_id: planned.row for planned in rows if planned.establishment_id is not None}
    changed = [planned for planned in rows if planned.changes]
    writing.update_establishments(session, changed, communes, plan.source, actor_id)
    new = [planned for planned in rows if planned.action == "create"]
    if new:
        highest = queries.highest_establishment_id(session)
        row_of_code = writing.create_establishments(session, new, communes)
        ids = queries.codes_and_ids_after(session, highest)
        row_of |= {ids[code]: row for code, row in row_of_code.items()}
    writing.forget_loaded(session, [planned.establishment_id for planned in changed])
    if context is not None:
        report.records += _write_records(session, plan, context, row_of, actor_id, actor_role)
    return row_of


def _commit_and_pause(session: Session) -> None:
    session.commit()
    _let_others_write(session)


def _let_others_write(session: Session) -> None:
    """SQLite: leave the write lock free a moment, so a waiting submission takes it before the next rows."""
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(WRITE_PAUSE)


def _recheck_points(session: Session, plan: ImportPlan, row_of: dict[int, int], actor_id: int | None) -> None:
    """The "GPS outside its district/commune" flag follows the points written, a committed chunk at a time."""
    moved = [establishment_id for establishment_id, _planned in _located(plan, row_of)]
    for start in range(0, len(moved), GPS_CHUNK):
        recheck_gps_mismatch(session, plan.province_code, establishment_ids=moved[start:start + GPS_CHUNK],
                             actor_id=actor_id, chunk_size=WRITE_ROWS, after_chunk=lambda: _commit_and_pause(session))


def _aborted(session: Session, plan: ImportPlan, data: bytes, report: ImportReport, error: Exception, written: int,
             actor_id: int | None) -> ImportAborted:
    """The error to raise when a write failed: the rows of the chunks before stay (each whole), and an
    "import" event says so; importing the same file again finishes the work."""
    if isinstance(error, ImportAborted):
        errors = error.errors
    else:
        errors = [RowError(None, None, str(_l("The database refused the import (%(reason)s).",
                                              reason=type(error.orig).__name__)))]
    if written:
        errors = errors + [RowError(None, None, str(_l(
            "The %(n)d rows before it stay written; import the same file again to finish the import.", n=written)))]
        _record_import(session, plan, data, report, actor_id, written_before_stop=written)
        session.commit()
    return ImportAborted(errors, written)


def _record_import(session: Session, plan: ImportPlan, data: bytes, report: ImportReport, actor_id: int | None,
                   written_before_stop: int | None = None) -> None:
    after = {"file": plan.source, "sha256": hashlib.sha256(data).hexdigest(), "rows": plan.rows_read,
             "created": report.counts["create"], "updated": report.counts["update"],
             "unchanged": report.counts["unchanged"],
             "round": plan.survey_round.code if plan.survey_round else None, "records": dict(report.records)}
    if written_before_stop is not None:
        after["stopped_after_rows"] = written_before_stop
    record_event(session, "import", "establishment", None, actor_id=actor_id, after=after)


def _located(plan: ImportPlan, row_of: dict[int, int]):
    """(establishment id, planned row) of the rows that placed a point: new with GPS, or GPS/commune changed."""
    by_row = {planned.row: planned for planned in plan.rows}
    for establishment_id, row in row_of.items():
        planned = by_row[row]
        if (planned.action == "create" and planned.values.get("lat") is not None) or \
                any(name in planned.changes for name in _LOCATED):
            yield establishment_id, planned


def _round_context(session: Session, plan: ImportPlan) -> records.RoundImport | None:
    survey_round = plan.survey_round
    if survey_round is None:
        return None
    definition = definition_for(session, registry(), survey_round.questionnaire_id or "",
                                survey_round.questionnaire_version or "")
    return records.RoundImport(survey_round, definition, plan.source, order=records.round_order(session))


def _write_records(session: Session, plan: ImportPlan, context: records.RoundImport, row_of: dict[int, int],
                   actor_id: int | None, actor_role: str) -> Counter:
    """The round's records of the establishments written (`row_of`), but those already matching."""
    survey_round = plan.survey_round
    counts: Counter = Counter()
    ids = [establishment_id for establishment_id, row in row_of.items() if plan.record_actions.get(row) != "unchanged"]
    loaded: dict[int, Establishment] = {}
    current: dict[int, SurveyRecord] = {}
    registered: set[int] = set()
    for index, establishment_id in enumerate(ids):
        if index % WRITE_CHUNK == 0:
            session.flush()
            chunk = ids[index:index + WRITE_CHUNK]
            loaded = queries.establishments_by_id(session, chunk)
            current = queries.current_records(session, survey_round.id, chunk)
            registered = queries.establishments_with_other_rounds(session, survey_round.id, chunk)
        try:
            counts[records.write_record(session, context, loaded[establishment_id], current.get(establishment_id),
                                        establishment_id in registered, actor_id, actor_role)] += 1
        except records.RecordImportError as error:
            raise ImportAborted(_record_errors(plan, survey_round, row_of[establishment_id], error)) from error
        except RecordApproved as error:
            raise ImportAborted([RowError(row_of[establishment_id], None, str(_l(
                "Round %(round)s: the record is approved and only an administrator may change it.",
                round=survey_round.code)))]) from error
    session.flush()
    return counts
