"""Importing establishments: check a file (the dry run), then write it in the caller's transaction.

`check_file` reads and plans without writing anything (no write lock is taken, so a preview never
blocks enumerators). `write_plan` applies a plan with no errors: updates first by code, new rows last
(so a generated code never takes one the file holds), then the round's records, then one "import"
audit event. The caller commits, or rolls back on `ImportAborted`: all or nothing.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..adminunits.queries import unit_by_code
from ..audit import record_event
from ..establishments.queries import round_by_code
from ..establishments.services import EstablishmentError, register_establishment
from ..geo.gps import recheck_gps_mismatch
from ..models import Establishment, SurveyRound, utcnow
from ..questionnaire.definition import Definition
from ..questionnaire.registry import registry
from ..reference import sector_of_vsic
from ..survey.services import definition_for
from ..text import establishment_search_text
from . import queries, records
from .columns import looks_like_header
from .reading import MAX_BYTES, MAX_ROWS, read_table
from .validation import ImportPlan, PlannedRow, Progress, RowError, no_progress, plan_import

#: Establishments loaded and flushed together while writing.
WRITE_CHUNK = 500
_SEARCHED = ("name", "owner", "address")
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
               max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES, progress: Progress = no_progress) -> ImportPlan:
    """Read and check a file; raises ImportFileError (the file) or ImportRoundError (the round)."""
    survey_round, definition = _round(session, round_code)
    table = read_table(data, filename, looks_like_header, max_rows=max_rows, max_bytes=max_bytes)
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
    current: dict = {}
    rows: dict = {}
    for index, planned in enumerate(progress(str(_l("Checking records")), existing)):
        if index % WRITE_CHUNK == 0:
            ids = [row.establishment_id for row in existing[index:index + WRITE_CHUNK]]
            current = queries.current_records(session, survey_round.id, ids)
            rows = queries.current_values_by_id(session, ids)
        future = records.future_registry_row(rows[planned.establishment_id], planned.changes)
        action, _answers = records.planned_answers(session, definition, survey_round, future,
                                                   current.get(planned.establishment_id))
        plan.records[action] += 1
        plan.record_actions[planned.row] = action


def write_plan(session: Session, plan: ImportPlan, data: bytes, *, actor_id: int | None,
               progress: Progress = no_progress) -> ImportReport:
    """Write a plan without errors into the session (the caller commits); raises ImportAborted."""
    if not plan.ok:
        raise ImportAborted(plan.errors)
    started = time.perf_counter()
    report = ImportReport(plan)
    ordered = sorted(plan.rows, key=lambda row: (row.establishment_id is None and row.code is None, row.row))
    row_of: dict[int, int] = {}  # establishment id → spreadsheet row
    # Held for the whole write: the session keeps only weak references, so without this every
    # register_establishment() would load its commune again (and autoflush before doing so).
    communes = queries.units_by_code(session, {row.values["commune_code"] for row in plan.rows})
    try:
        loaded: dict[int, Establishment] = {}
        for index, planned in enumerate(progress(str(_l("Writing establishments")), ordered)):
            if index % WRITE_CHUNK == 0:  # load the next updates together; flush what is done
                session.flush()
                ahead = ordered[index:index + WRITE_CHUNK]
                loaded = queries.establishments_by_id(session, [row.establishment_id for row in ahead if row.changes])
            report.counts[planned.action] += 1
            row_of[_write_row(session, planned, loaded, plan.source, actor_id)] = planned.row
        session.flush()
        moved = [establishment_id for establishment_id, planned in _located(plan, row_of)]
        if moved:  # the "GPS outside its district/commune" flag follows the new points
            recheck_gps_mismatch(session, plan.province_code, establishment_ids=moved, actor_id=actor_id)
        if plan.survey_round is not None:
            report.records = _write_records(session, plan, row_of, actor_id, progress)
    except IntegrityError as error:
        raise ImportAborted([RowError(None, None, str(_l("The database refused the import (%(reason)s).",
                                                         reason=type(error.orig).__name__)))]) from error
    del communes  # held until here on purpose
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


def _write_row(session: Session, planned: PlannedRow, loaded: dict[int, Establishment], source: str,
               actor_id: int | None) -> int:
    if planned.establishment_id is None:
        return _create(session, planned, actor_id).id
    if planned.changes:
        _update(session, loaded[planned.establishment_id], planned.changes, source, actor_id)
    return planned.establishment_id


def _create(session: Session, planned: PlannedRow, actor_id: int | None) -> Establishment:
    values = planned.values
    details: dict[str, Any] = {name: values[name] for name in
                               ("tax_code", "phone", "year_started", "workers", "revenue_vnd", "capital_vnd")
                               if values.get(name) is not None}
    if values.get("status"):
        details["status"] = values["status"]
    try:
        return register_establishment(
            session, name=values["name"], commune_code=values["commune_code"], vsic_code=values["vsic_code"],
            legal_form=values["legal_form"], owner=values.get("owner"), address=values.get("address"),
            lat=values.get("lat"), lon=values.get("lon"), actor_id=actor_id, code=planned.code, **details)
    except EstablishmentError as error:
        raise ImportAborted([RowError(planned.row, error.field, str(error))]) from error


def _update(session: Session, establishment: Establishment, changes: dict[str, tuple[Any, Any]], source: str,
            actor_id: int | None) -> None:
    for name, (_old, new) in changes.items():
        setattr(establishment, name, new)
    if "commune_code" in changes:
        commune = unit_by_code(session, establishment.commune_code)
        establishment.district_code, establishment.province_code = commune.parent_code, commune.province_code
    if "vsic_code" in changes:
        establishment.sector = sector_of_vsic(establishment.vsic_code)
    if any(name in changes for name in _SEARCHED):
        establishment.search_text = establishment_search_text(establishment.name, establishment.owner,
                                                              establishment.address)
    establishment.version += 1
    establishment.updated_at = utcnow()
    session.add(establishment)
    record_event(session, "update", "establishment", establishment.code, actor_id=actor_id,
                 before={name: old for name, (old, _new) in changes.items()},
                 after={name: new for name, (_old, new) in changes.items()} | {"import": source})


def _write_records(session: Session, plan: ImportPlan, row_of: dict[int, int], actor_id: int | None,
                   progress: Progress) -> Counter:
    survey_round = plan.survey_round
    definition = definition_for(session, registry(), survey_round.questionnaire_id or "",
                                survey_round.questionnaire_version or "")
    order = records.round_order(session)
    counts: Counter = Counter()
    counts["unchanged"] = sum(1 for row in row_of.values() if plan.record_actions.get(row) == "unchanged")
    ids = [establishment_id for establishment_id, row in row_of.items() if plan.record_actions.get(row) != "unchanged"]
    loaded: dict[int, Establishment] = {}
    for index, establishment_id in enumerate(progress(str(_l("Writing records")), ids)):
        if index % WRITE_CHUNK == 0:
            session.flush()
            loaded = queries.establishments_by_id(session, ids[index:index + WRITE_CHUNK])
        try:
            counts[records.write_record(session, definition, survey_round, loaded[establishment_id], actor_id,
                                        plan.source, order)] += 1
        except records.RecordImportError as error:
            raise ImportAborted([
                RowError(row_of[establishment_id], plan.columns.label(error.field_of.get(name, name), False),
                         str(_l("Round %(round)s: %(message)s", round=survey_round.code, message=message)))
                for name, message in error.errors.items()]) from error
    session.flush()
    return counts
