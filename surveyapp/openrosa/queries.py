"""All SQL of the OpenRosa server: app passwords, the rounds and establishments a phone may fill."""
from __future__ import annotations

from sqlmodel import Session, delete, select

from ..models import AdminUnit, AppPassword, Assignment, Establishment, SurveyRound


def app_password_of_user(session: Session, user_id: int) -> AppPassword | None:
    return session.exec(select(AppPassword).where(AppPassword.user_id == user_id)).first()


def delete_app_password_of_user(session: Session, user_id: int) -> None:
    session.exec(delete(AppPassword).where(AppPassword.user_id == user_id))


def open_rounds_of_user(session: Session, user_id: int | None) -> list[SurveyRound]:
    """Open rounds with a questionnaire: those the user is assigned to, or all of them (user_id None)."""
    statement = select(SurveyRound).where(SurveyRound.is_open == True,  # noqa: E712
                                          SurveyRound.questionnaire_id != None)  # noqa: E711
    if user_id is not None:
        assigned = select(Assignment.round_id).where(Assignment.user_id == user_id)
        statement = statement.where(SurveyRound.id.in_(assigned))
    return list(session.exec(statement.order_by(SurveyRound.code)))


def establishments_to_choose(session: Session, round_id: int, user_id: int | None) -> list[tuple]:
    """(code, name, commune code, commune name) of the establishments in the user's communes for the round
    (every commune when user_id is None), merged ones left out."""
    statement = (select(Establishment.code, Establishment.name, Establishment.commune_code, AdminUnit.name)
                 .join(AdminUnit, AdminUnit.code == Establishment.commune_code)
                 .where(Establishment.merged_into_id == None))  # noqa: E711
    if user_id is not None:
        communes = select(Assignment.commune_code).where(Assignment.user_id == user_id,
                                                         Assignment.round_id == round_id)
        statement = statement.where(Establishment.commune_code.in_(communes))
    return list(session.exec(statement.order_by(Establishment.code)))
