"""SQL of questionnaire versions: the stored ones, and how many records use them (rounds: survey/queries.py)."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import QuestionnaireVersion, SurveyRecord


def stored_versions(session: Session) -> list[QuestionnaireVersion]:
    statement = select(QuestionnaireVersion).order_by(QuestionnaireVersion.form_id, QuestionnaireVersion.created_at)
    return list(session.exec(statement))


def stored_version(session: Session, form_id: str, version: str) -> QuestionnaireVersion | None:
    statement = select(QuestionnaireVersion).where(QuestionnaireVersion.form_id == form_id,
                                                   QuestionnaireVersion.version == version)
    return session.exec(statement).first()


def record_counts(session: Session) -> dict[tuple[str, str], int]:
    """(form_id, version) → how many record versions were filled with it."""
    statement = (select(SurveyRecord.questionnaire_id, SurveyRecord.questionnaire_version, func.count())
                 .group_by(SurveyRecord.questionnaire_id, SurveyRecord.questionnaire_version))
    return {(form_id, version): count for form_id, version, count in session.exec(statement)}


def other_forms_in_round(session: Session, round_id: int, form_id: str) -> int:
    """Records of the round filled with another questionnaire than `form_id`."""
    statement = select(func.count()).select_from(SurveyRecord).where(
        SurveyRecord.round_id == round_id, SurveyRecord.questionnaire_id != form_id)
    return session.exec(statement).one()
