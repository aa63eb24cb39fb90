"""All SQL about users, assignments and sign-in failures."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, and_, bindparam, func, union_all, update
from sqlmodel import Session, select

from ..models import (AdminUnit, AdminUnit2025, ApiToken, Assignment, AuditEvent, CommuneCrosswalk, SurveyRound,
                      UnitEra, User)


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


_SIGNED_IN_USER = select(User.id, User.username, User.full_name, User.role, User.session_generation,
                         User.is_active).where(User.id == bindparam("user_id"))


def signed_in_user_row(session: Session, user_id: int) -> Row | None:
    """What every request reads of its user (id, username, full name, role, session generation, active):
    a statement built once, plain values, no object to load."""
    return session.connection().execute(_SIGNED_IN_USER, {"user_id": user_id}).first()


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def any_user_with_role(session: Session, role: str) -> bool:
    return session.exec(select(User.id).where(User.role == role).limit(1)).first() is not None


def all_users(session: Session) -> list[tuple[User, int]]:
    """Every user with their number of assignments."""
    counts = select(Assignment.user_id, func.count().label("n")).group_by(Assignment.user_id).subquery()
    statement = select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.user_id == User.id)
    return list(session.exec(statement.order_by(User.role, User.username)).all())


def _assigned_legacy_communes(user_id: int, round_id: int | None):
    """SELECT of the legacy communes a user works in: assigned ones in rounds organised by them, and
    those counted in an assigned 2025 commune (the crosswalk's main part) in the other rounds."""
    legacy = (select(Assignment.commune_code.label("code"))
              .join(SurveyRound, SurveyRound.id == Assignment.round_id)
              .where(Assignment.user_id == user_id, SurveyRound.admin_units != UnitEra.units_2025.value))
    by_2025 = (select(CommuneCrosswalk.legacy_code.label("code"))
               .join(Assignment, Assignment.commune_code == CommuneCrosswalk.new_code)
               .join(SurveyRound, SurveyRound.id == Assignment.round_id)
               .where(Assignment.user_id == user_id, SurveyRound.admin_units == UnitEra.units_2025.value,
                      CommuneCrosswalk.is_main == True))  # noqa: E712
    if round_id is not None:
        legacy, by_2025 = legacy.where(Assignment.round_id == round_id), by_2025.where(Assignment.round_id == round_id)
    return legacy, by_2025


def assigned_communes(session: Session, user_id: int, round_id: int | None = None) -> set[str]:
    """Legacy commune codes (those establishments are recorded in) of the user's work area."""
    legacy, by_2025 = _assigned_legacy_communes(user_id, round_id)
    return set(session.exec(legacy)) | set(session.exec(by_2025))


def _assigned_statement():
    """The user's assignment that covers a legacy commune in a round: the commune itself in a round organised
    by legacy units, or the 2025 commune it counts in (the crosswalk's main part) in a round organised by those."""
    user_and_round = (Assignment.user_id == bindparam("user_id"), Assignment.round_id == bindparam("round_id"))
    is_2025 = SurveyRound.admin_units == UnitEra.units_2025.value
    legacy = (select(Assignment.id).join(SurveyRound, SurveyRound.id == Assignment.round_id)
              .where(*user_and_round, ~is_2025, Assignment.commune_code == bindparam("commune_code")))
    by_2025 = (select(Assignment.id).join(SurveyRound, SurveyRound.id == Assignment.round_id)
               .join(CommuneCrosswalk, CommuneCrosswalk.new_code == Assignment.commune_code)
               .where(*user_and_round, is_2025, CommuneCrosswalk.legacy_code == bindparam("commune_code"),
                      CommuneCrosswalk.is_main == True))  # noqa: E712
    return union_all(legacy, by_2025).limit(1)


_ASSIGNED = _assigned_statement()


def is_assigned(session: Session, user_id: int, commune_code: str, round_id: int) -> bool:
    """Whether the legacy commune lies in the user's work area of the round (one statement: on every save)."""
    found = session.connection().execute(_ASSIGNED, {"user_id": user_id, "commune_code": commune_code,
                                                     "round_id": round_id}).first()
    return found is not None


def assignments_of_user(session: Session, user_id: int) -> list[tuple[Assignment, SurveyRound, AdminUnit | AdminUnit2025]]:
    """Each assignment with its round and commune (a legacy one, or one after 1 July 2025, as the round says)."""
    is_2025 = SurveyRound.admin_units == UnitEra.units_2025.value
    statement = (
        select(Assignment, SurveyRound, AdminUnit, AdminUnit2025)
        .join(SurveyRound, SurveyRound.id == Assignment.round_id)
        .outerjoin(AdminUnit, and_(AdminUnit.code == Assignment.commune_code, ~is_2025))
        .outerjoin(AdminUnit2025, and_(AdminUnit2025.code == Assignment.commune_code, is_2025))
        .where(Assignment.user_id == user_id)
        .order_by(SurveyRound.code, Assignment.commune_code)
    )
    return [(assignment, survey_round, legacy or new)
            for assignment, survey_round, legacy, new in session.exec(statement).all() if legacy or new]


def assignment(session: Session, user_id: int, commune_code: str, round_id: int) -> Assignment | None:
    statement = select(Assignment).where(Assignment.user_id == user_id, Assignment.commune_code == commune_code,
                                         Assignment.round_id == round_id)
    return session.exec(statement).first()


def recent_login_failures(session: Session, since: dt.datetime, ip_address: str | None,
                          username: str | None = None) -> int:
    """Failed sign-ins since then, from this address (None: any) for this username (None: any)."""
    statement = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "login_failed", AuditEvent.created_at >= since)
    if ip_address is not None:
        statement = statement.where(AuditEvent.ip_address == ip_address)
    if username is not None:
        statement = statement.where(AuditEvent.entity_id == username)
    return session.exec(statement).one()


#: Built once: every API request asks. Only what deciding and naming the user takes (no password hash).
_TOKEN_OWNER = select(
    User.id, User.username, User.full_name, User.role, User.is_active,
    ApiToken.id.label("token_id"), ApiToken.revoked_at, ApiToken.last_used_at,
).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("token_hash"))


def token_owner_by_hash(session: Session, token_hash: str) -> Row | None:
    """The token (token_id, revoked_at, last_used_at) and its owner (id, username, full_name, role, is_active),
    in one query of plain columns."""
    return session.connection().execute(_TOKEN_OWNER, {"token_hash": token_hash}).first()


def set_token_last_used(session: Session, token_id: int, when: dt.datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when))


def active_tokens_of_user(session: Session, user_id: int) -> list[ApiToken]:
    statement = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at == None)  # noqa: E711
    return list(session.exec(statement.order_by(ApiToken.created_at)))


def token_of_user(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    return session.exec(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)).first()
