"""Approving and returning records. Take a session and plain values; the caller commits."""
from __future__ import annotations

from sqlmodel import Session

from ..audit import record_event
from ..models import Establishment, RecordStatus, SurveyRecord, utcnow
from ..questionnaire.answers import registry_numbers_beyond_limits
from ..questionnaire.definition import Definition
from ..survey.services import apply_record_to_establishment

MAX_COMMENT = 2000


class ReviewError(ValueError):
    pass


class NumbersBeyondRegistry(ReviewError):
    """The record holds a number its registry column cannot: it goes back to the enumerator, not in."""


def _reviewable(record: SurveyRecord) -> None:
    if not record.is_current or record.status != RecordStatus.submitted.value:
        raise ReviewError("Only the current version of a submitted record can be reviewed.")


def _set_status(session: Session, record: SurveyRecord, status: str, comment: str | None) -> None:
    record.status, record.review_comment, record.updated_at = status, comment, utcnow()
    session.add(record)
    establishment = session.get(Establishment, record.establishment_id)
    establishment.latest_record_status = status
    session.add(establishment)


def approve_record(session: Session, record: SurveyRecord, definition: Definition, actor_id: int,
                   comment: str | None = None) -> dict:
    """Approve; the record's key answers become the establishment's current values."""
    _reviewable(record)
    beyond = registry_numbers_beyond_limits(definition, record.answers or {})
    if beyond:
        raise NumbersBeyondRegistry(", ".join(beyond))
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    _set_status(session, record, RecordStatus.approved.value, comment)
    record.approved_at = utcnow()
    record_event(session, "approve", "survey_record", record.uuid, before={"status": "submitted"},
                 after={"status": "approved", "comment": comment}, actor_id=actor_id)
    return apply_record_to_establishment(session, record, definition, actor_id)


def return_record(session: Session, record: SurveyRecord, actor_id: int, comment: str) -> None:
    """Send back to the enumerator with what to fix (a comment is required)."""
    _reviewable(record)
    comment = (comment or "").strip()[:MAX_COMMENT]
    if not comment:
        raise ReviewError("comment")
    _set_status(session, record, RecordStatus.returned.value, comment)
    record_event(session, "return", "survey_record", record.uuid, before={"status": "submitted"},
                 after={"status": "returned", "comment": comment}, actor_id=actor_id)
