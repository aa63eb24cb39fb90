"""All SQL of the OpenRosa server: app passwords, the rounds and establishments a phone may fill."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

from ..models import AdminUnit, AppPassword, Assignment, Establishment, SubmissionAttachment, SurveyRound

#: SubmissionAttachment.filename's length: a longer name is not remembered (no phone writes one).
MAX_FILENAME = 255


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


def attachments_of_instance(session: Session, instance_uuid: str) -> dict[str, str]:
    """File name on the phone → stored photo's file name, of the parts of a split submission received so far."""
    statement = select(SubmissionAttachment.filename, SubmissionAttachment.file_name).where(
        SubmissionAttachment.instance_uuid == instance_uuid)
    return dict(session.exec(statement).all())


def remember_attachments(session: Session, instance_uuid: str, stored: dict[str, str]) -> None:
    """Keep what one part brought (file name on the phone → stored file name); a part sent again adds
    nothing, and the same name with other content takes what the latest part says."""
    known = {row.filename: row for row in session.exec(
        select(SubmissionAttachment).where(SubmissionAttachment.instance_uuid == instance_uuid))}
    for filename, file_name in stored.items():
        row = known.get(filename)
        if len(filename) > MAX_FILENAME or (row is not None and row.file_name == file_name):
            continue
        if row is not None:
            row.file_name = file_name
            session.add(row)
            continue
        try:
            with session.begin_nested():
                session.add(SubmissionAttachment(instance_uuid=instance_uuid, filename=filename, file_name=file_name))
        except IntegrityError:  # the same part sent twice at once: the other request remembered it
            pass
