"""All SQL of the answers report: current records, streamed in batches, in a reader's scope."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import and_
from sqlalchemy.engine import Row
from sqlmodel import Session, select

from ..models import Assignment, Establishment, SurveyRecord, SurveyRound

#: Records fetched per round trip: memory stays flat whatever the number of records.
BATCH = 1000


def current_records(session: Session, *, round_code: str | None, district_code: str | None,
                    reviewer_id: int | None) -> Iterator[Row]:
    """Current records with what the report shows of them, by establishment code then round.

    `reviewer_id`: only the communes and rounds assigned to this supervisor (None: everywhere).
    """
    statement = (
        select(SurveyRecord.uuid, SurveyRecord.answers, SurveyRecord.status, SurveyRecord.questionnaire_id,
               SurveyRecord.questionnaire_version, SurveyRound.code.label("round_code"),
               Establishment.code.label("establishment_code"), Establishment.name.label("establishment_name"))
        .join(Establishment, Establishment.id == SurveyRecord.establishment_id)
        .join(SurveyRound, SurveyRound.id == SurveyRecord.round_id)
        .where(SurveyRecord.is_current == True, SurveyRecord.questionnaire_id.is_not(None))  # noqa: E712
    )
    if round_code:
        statement = statement.where(SurveyRound.code == round_code)
    if district_code:
        statement = statement.where(Establishment.district_code == district_code)
    if reviewer_id is not None:
        statement = statement.join(Assignment, and_(
            Assignment.user_id == reviewer_id, Assignment.commune_code == Establishment.commune_code,
            Assignment.round_id == SurveyRecord.round_id))
    statement = statement.order_by(Establishment.code, SurveyRound.code).execution_options(yield_per=BATCH)
    yield from session.execute(statement)
