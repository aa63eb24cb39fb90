"""All SQL about survey records, rounds and stored questionnaire versions."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, insert, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from ..models import Establishment, QuestionnaireVersion, SurveyRecord, SurveyRound, User, utcnow
from ..establishments.queries import search_conditions


_OPEN_ROUNDS = select(SurveyRound).where(SurveyRound.is_open == True).order_by(SurveyRound.start_date.desc())  # noqa: E712


def open_rounds(session: Session) -> list[SurveyRound]:
    return list(session.exec(_OPEN_ROUNDS))


def round_by_code(session: Session, code: str) -> SurveyRound | None:
    return session.exec(select(SurveyRound).where(SurveyRound.code == code)).first()


def all_rounds(session: Session) -> list[SurveyRound]:
    """Every round in time order (start date, then code)."""
    return list(session.exec(select(SurveyRound).order_by(SurveyRound.start_date, SurveyRound.code)))


def questionnaire_versions_of_records(session: Session) -> set[tuple[str, str]]:
    """(form_id, version) that records were filled with."""
    statement = select(SurveyRecord.questionnaire_id, SurveyRecord.questionnaire_version).where(
        SurveyRecord.questionnaire_id.is_not(None), SurveyRecord.questionnaire_version.is_not(None)).distinct()
    return {tuple(row) for row in session.exec(statement)}


def round_by_id(session: Session, round_id: int) -> SurveyRound | None:
    return session.get(SurveyRound, round_id)


def current_record(session: Session, establishment_id: int, round_id: int) -> SurveyRecord | None:
    statement = select(SurveyRecord).where(
        SurveyRecord.establishment_id == establishment_id, SurveyRecord.round_id == round_id,
        SurveyRecord.is_current == True,  # noqa: E712
    )
    return session.exec(statement).first()


def record_by_uuid(session: Session, record_uuid: str) -> SurveyRecord | None:
    return session.exec(select(SurveyRecord).where(SurveyRecord.uuid == record_uuid)).first()


#: The version a client's UUID names and the current version of the establishment's record: one query for both.
_RECORD_OR_CURRENT = select(SurveyRecord).where(or_(
    SurveyRecord.uuid == bindparam("record_uuid"),
    and_(SurveyRecord.establishment_id == bindparam("establishment_id"), SurveyRecord.round_id == bindparam("round_id"),
         SurveyRecord.is_current == True),  # noqa: E712
))


def record_and_current(session: Session, record_uuid: str, establishment_id: int,
                       round_id: int) -> tuple[SurveyRecord | None, SurveyRecord | None]:
    """(the record with this UUID, the current record of the establishment in the round); either may be None,
    and both are the same record when the UUID names the current version."""
    rows = session.exec(_RECORD_OR_CURRENT, params={
        "record_uuid": record_uuid, "establishment_id": establishment_id, "round_id": round_id}).all()
    by_uuid = next((r for r in rows if r.uuid == record_uuid), None)
    current = next((r for r in rows if r.is_current and r.establishment_id == establishment_id
                    and r.round_id == round_id), None)
    return by_uuid, current


_INSERT_RECORD = insert(SurveyRecord.__table__)


def insert_record(session: Session, values: dict) -> int:
    """A new record version with Core (no unit of work to build); returns its id."""
    return session.connection().execute(_INSERT_RECORD, values).inserted_primary_key[0]


_SET_LATEST = update(Establishment.__table__).where(Establishment.__table__.c.id == bindparam("establishment_id")) \
    .values(latest_round_code=bindparam("round_code"), latest_record_status=bindparam("record_status"))


def set_latest_record(session: Session, establishment_id: int, round_code: str, status: str) -> None:
    """The round and status of the establishment's latest record, as the registry lists show them."""
    session.connection().execute(_SET_LATEST, {"establishment_id": establishment_id, "round_code": round_code,
                                               "record_status": status})


def has_record_in_other_round(session: Session, establishment_id: int, round_id: int) -> bool:
    statement = select(SurveyRecord.id).where(
        SurveyRecord.establishment_id == establishment_id, SurveyRecord.round_id != round_id
    ).limit(1)
    return session.exec(statement).first() is not None


def all_versions(session: Session, establishment_id: int) -> list[tuple[SurveyRecord, SurveyRound, User | None]]:
    """Every record version of an establishment, by round, then version."""
    statement = (
        select(SurveyRecord, SurveyRound, User)
        .join(SurveyRound, SurveyRound.id == SurveyRecord.round_id)
        .outerjoin(User, User.id == SurveyRecord.enumerator_id)
        .where(SurveyRecord.establishment_id == establishment_id)
        .order_by(SurveyRound.start_date, SurveyRound.id, SurveyRecord.version_number)
    )
    return list(session.exec(statement).all())


def stored_questionnaire(session: Session, form_id: str, version: str) -> QuestionnaireVersion | None:
    statement = select(QuestionnaireVersion).where(
        QuestionnaireVersion.form_id == form_id, QuestionnaireVersion.version == version
    )
    return session.exec(statement).first()


def store_questionnaire_once(session: Session, form_id: str, version: str, source: str, sha256: str) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a copy stored a moment ago by a parallel request wins."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(QuestionnaireVersion).values(form_id=form_id, version=version, source=source, sha256=sha256,
                                                    created_at=utcnow())
    session.execute(statement.on_conflict_do_nothing(index_elements=["form_id", "version"]))


@dataclass
class CommuneEntry:
    establishment: Establishment
    record: SurveyRecord | None


def establishments_of_commune(session: Session, commune_code: str, round_id: int | None, query: str | None,
                              limit: int = 200) -> list[CommuneEntry]:
    """The commune's establishments matching the search, each with its current record of the round."""
    statement = select(Establishment, SurveyRecord).outerjoin(
        SurveyRecord,
        and_(SurveyRecord.establishment_id == Establishment.id, SurveyRecord.round_id == round_id,
             SurveyRecord.is_current == True),  # noqa: E712
    ).where(Establishment.commune_code == commune_code)
    statement = statement.where(*search_conditions(query)).order_by(Establishment.name).limit(limit)
    return [CommuneEntry(establishment, record) for establishment, record in session.exec(statement).all()]


def establishments_for_offline(session: Session, survey_round: SurveyRound, scope: set[str] | None,
                               limit: int = 5000) -> list[tuple[Establishment, SurveyRecord | None, bool]]:
    """Establishments an enumerator may fill offline: each with its current record of the round and
    whether an earlier round surveyed it. Three queries, whatever the number of establishments."""
    statement = select(Establishment).order_by(Establishment.commune_code, Establishment.name).limit(limit)
    if scope is not None:
        statement = statement.where(Establishment.commune_code.in_(sorted(scope)))
    establishments = list(session.exec(statement))
    ids = [e.id for e in establishments]
    current = {r.establishment_id: r for r in session.exec(select(SurveyRecord).where(
        SurveyRecord.round_id == survey_round.id, SurveyRecord.is_current == True,  # noqa: E712
        SurveyRecord.establishment_id.in_(ids)))} if ids else {}
    earlier = set(session.exec(select(SurveyRecord.establishment_id).where(
        SurveyRecord.round_id != survey_round.id, SurveyRecord.establishment_id.in_(ids)).distinct())) if ids else set()
    return [(e, current.get(e.id), e.id in earlier) for e in establishments]
