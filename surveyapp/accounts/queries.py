"""All SQL about users, assignments and sign-in failures."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, bindparam, func, update
from sqlmodel import Session, select

from ..models import AdminUnit, ApiToken, Assignment, AuditEvent, SurveyRound, User


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def any_user_with_role(session: Session, role: str) -> bool:
    return session.exec(select(User.id).where(User.role == role).limit(1)).first() is not None


def all_users(session: Session) -> list[tuple[User, int]]:
    """Every user with their number of assignments."""
    counts = select(Assignment.user_id, func.count().label("n")).group_by(Assignment.user_id).subquery()
    statement = select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.user_id == User.id)
    return list(session.exec(statement.order_by(User.role, User.username)).all())


def assigned_communes(session: Session, user_id: int, round_id: int | None = None) -> set[str]:
    statement = select(Assignment.commune_code).where(Assignment.user_id == user_id)
    if round_id is not None:
        statement = statement.where(Assignment.round_id == round_id)
    return set(session.exec(statement))


_ASSIGNED = select(Assignment.id).where(Assignment.user_id == bindparam("user_id"),
                                        Assignment.commune_code == bindparam("commune_code"),
                                        Assignment.round_id == bindparam("round_id")).limit(1)


def is_assigned(session: Session, user_id: int, commune_code: str, round_id: int) -> bool:
    found = session.connection().execute(_ASSIGNED, {"user_id": user_id, "commune_code": commune_code,
                                                     "round_id": round_id}).first()
    return found is not None


def assignments_of_user(session: Session, user_id: int) -> list[tuple[Assignment, SurveyRound, AdminUnit]]:
    statement = (
        select(Assignment, SurveyRound, AdminUnit)
        .join(SurveyRound, SurveyRound.id == Assignment.round_id)
        .join(AdminUnit, AdminUnit.code == Assignment.commune_code)
        .where(Assignment.user_id == user_id)
        .order_by(SurveyRound.code, Assignment.commune_code)
    )
    return list(session.exec(statement).all())


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
