"""`--round R`: every establishment of the file ends up with an approved record in round R.

The record holds the imported values as the answers of the questions that carry an
`establishment_field` (name, owner, workers, revenue in triệu đồng...), typed and skip-logic-checked
by the questionnaire's own `check_answers`. Rules, so that importing twice changes nothing:
- no current record in R → a new record, approved;
- a current record whose key answers differ from the registry values → a new approved version (the
  earlier one stays in the history; a draft is edited in place, as the survey does);
- a current record whose key answers already match → left as it is, whatever its status.
The key answers must keep the questionnaire's rules (a capital above its ceiling, a year after the
round...): `save_record` saves them as a draft, which checks types only, so they are judged here with
`rule_violations`, at planning (the preview names the row) and again when writing.

Approved, because the import writes these values into the registry directly, and only approved
records may carry a registry's values ("the registry shows the latest approved answers"); the admin
who confirms the preview is the reviewer. The record goes through the same `save_record` and
`approve_record` services as a web submission and review, so versions and audit events are alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import get_locale
from sqlmodel import Session

from ..survey.queries import all_rounds
from ..models import Establishment, RecordStatus, SurveyRecord, SurveyRound, utcnow
from ..questionnaire.answers import check_answers, rule_violations
from ..questionnaire.definition import Definition
from ..review.services import approve_record
from ..survey.services import prefill_from, save_record


class RecordImportError(Exception):
    """The questionnaire refused the answers made from a row: {question name: message}."""

    def __init__(self, errors: dict[str, str], field_of: dict[str, str]):
        super().__init__(errors)
        self.errors, self.field_of = errors, field_of


@dataclass
class RoundImport:
    """What every record of one import shares, worked out once instead of for each establishment."""

    survey_round: SurveyRound
    definition: Definition
    #: The file the values come from (named in the review comment).
    source: str = ""
    #: question name → establishment attribute, for the questions a registry value fills.
    keys: dict[str, str] = field(default_factory=dict)
    #: Round code → position in time.
    order: dict[str, int] = field(default_factory=dict)
    #: Language of the rules' messages: the one the import's other messages are given in.
    language: str = field(default_factory=lambda: str(get_locale() or "vi"))

    def __post_init__(self) -> None:
        self.keys = self.keys or key_questions(self.definition)


def key_questions(definition: Definition) -> dict[str, str]:
    """question name → establishment attribute, for the questions a registry value fills."""
    return {question.name: question.establishment_field for question in definition.walk()
            if question.establishment_field and question.establishment_field != "visit_type"}


def planned_answers(context: RoundImport, establishment, current: SurveyRecord | None,
                    registered: bool) -> tuple[str, dict[str, Any]]:
    """("create" | "new_version" | "unchanged", raw answers to save) for one establishment.

    `establishment` is the registry row as it will be after the import (an object or a namespace);
    `registered`: it has a record in another round (its visit is an update), as `prefill_answers` asks.
    """
    keys = context.keys
    prefilled = prefill_from(context.definition, establishment, registered)
    if current is None:
        return "create", _keeping_rules(context, prefilled)
    raw = {**current.answers, **{name: prefilled.get(name) for name in keys}}
    typed = check_answers(context.definition, raw, submit=False).answers
    if all(_same(typed.get(name), current.answers.get(name)) for name in keys):
        return "unchanged", raw
    return "new_version", _keeping_rules(context, raw)


def _keeping_rules(context: RoundImport, raw: dict[str, Any]) -> dict[str, Any]:
    """The answers, or RecordImportError naming the key answers (those the file fills) that break a rule."""
    broken = {violation.key: violation.message
              for violation in rule_violations(context.definition, raw, language=context.language)
              if violation.key in context.keys}
    if broken:
        raise RecordImportError(broken, context.keys)
    return raw


def new_registry_row(values: dict[str, Any]) -> SimpleNamespace:
    """A file row that creates an establishment, as the registry row it will become (for planning)."""
    attributes = ("name", "owner", "legal_form", "tax_code", "phone", "year_started", "vsic_code", "address",
                  "workers", "lat", "lon", "revenue_vnd", "capital_vnd")
    return SimpleNamespace(**{name: values.get(name) for name in attributes})


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, dict) and isinstance(b, dict):  # geopoint: the position matters, not the accuracy
        return _same(a.get("lat"), b.get("lat")) and _same(a.get("lon"), b.get("lon"))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-7)
    return a == b


def future_registry_row(current_row, changes: dict[str, tuple[Any, Any]]) -> SimpleNamespace:
    """The registry values an establishment will have after the import (for planning, nothing written)."""
    values = {name: getattr(current_row, name) for name in current_row._fields}
    values.update({name: new for name, (_old, new) in changes.items()})
    return SimpleNamespace(**values)


def write_record(session: Session, context: RoundImport, establishment: Establishment, current: SurveyRecord | None,
                 registered: bool, actor_id: int | None, actor_role: str) -> str:
    """Bring the establishment's record in the round in line with its registry values; returns the action.

    `current` (its current record in the round) and `registered` are read for many establishments at once.
    Raises RecordApproved when the current record is approved and the actor is not an admin.
    """
    survey_round, definition = context.survey_round, context.definition
    action, raw = planned_answers(context, establishment, current, registered)
    if action == "unchanged":
        return action
    latest = (establishment.latest_round_code, establishment.latest_record_status)
    result = save_record(session, establishment=establishment, survey_round=survey_round, definition=definition,
                         raw_answers=raw, submit=False, actor_id=actor_id, actor_role=actor_role,
                         base_uuid=current.uuid if current else None)
    if not result.ok:
        raise RecordImportError(result.errors, context.keys)
    record = result.record
    record.status, record.submitted_at = RecordStatus.submitted.value, utcnow()
    approve_record(session, record, definition, actor_id, comment=f"Imported from {context.source}")
    order = context.order
    if latest[0] and order.get(latest[0], -1) > order.get(survey_round.code, -1):
        # A record for an earlier round does not make that round the establishment's latest.
        establishment.latest_round_code, establishment.latest_record_status = latest
        session.add(establishment)
    return action


def round_order(session: Session) -> dict[str, int]:
    """Round code → position in time (start date, then code)."""
    return {survey_round.code: index for index, survey_round in enumerate(all_rounds(session))}
