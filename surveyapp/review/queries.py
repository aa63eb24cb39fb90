"""All SQL of the review queue."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, select

from ..models import AdminUnit, Assignment, Establishment, SurveyRecord, SurveyRound, User


@dataclass
class QueueEntry:
    record: SurveyRecord
    establishment: Establishment
    survey_round: SurveyRound
    commune: AdminUnit
    enumerator: User | None


def review_queue(session: Session, status: str, reviewer_id: int | None, limit: int = 500) -> list[QueueEntry]:
    """Current records in a status (oldest first): of the communes and rounds assigned to the reviewer,
    or everywhere when reviewer_id is None (admins)."""
    statement = (
        select(SurveyRecord, Establishment, SurveyRound, AdminUnit, User)
        .join(Establishment, Establishment.id == SurveyRecord.establishment_id)
        .join(SurveyRound, SurveyRound.id == SurveyRecord.round_id)
        .join(AdminUnit, AdminUnit.code == Establishment.commune_code)
        .outerjoin(User, User.id == SurveyRecord.enumerator_id)
        .where(SurveyRecord.status == status, SurveyRecord.is_current == True)  # noqa: E712
    )
    if reviewer_id is not None:
        statement = statement.join(Assignment, and_(
            Assignment.user_id == reviewer_id, Assignment.commune_code == Establishment.commune_code,
            Assignment.round_id == SurveyRecord.round_id))
    statement = statement.order_by(SurveyRecord.submitted_at, SurveyRecord.id).limit(limit)
    return [QueueEntry(*row) for row in session.exec(statement).all()]
