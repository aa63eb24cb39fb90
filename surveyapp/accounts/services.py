"""Accounts: creating, signing in (with throttling), passwords, roles and assignments.

Shared by the CLI, `make run`, the sign-in page and the admin pages.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from functools import cache

from sqlmodel import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..adminunits.queries import unit_2025_by_code, unit_by_code
from ..audit import record_event
from ..models import Assignment, Role, SurveyRound, UnitEra, User, UnitLevel, utcnow
from . import queries
from .passwords import MIN_PASSWORD_LENGTH, password_weakness

#: Sign-in failures allowed per minute for one username from one address, for one address, and for one
#: username from all addresses together (a spray from many addresses); then that key waits a minute.
FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 20
FAILURES_PER_USERNAME_ANY_ADDRESS = 10
THROTTLE_WINDOW = dt.timedelta(minutes=1)
@cache
def dummy_hash() -> str:
    """What an unknown username's password is checked against, so that it takes as long as a wrong
    password; computed on the first such sign-in, not at import (a scrypt hash costs ~0.1 s)."""
    return generate_password_hash("not a password of anyone", method="scrypt")

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")


class AccountError(ValueError):
    pass


class WeakPassword(AccountError):
    """A new password refused; `reason` is a key of passwords.MESSAGES."""

    def __init__(self, reason: str):
        super().__init__(_WEAKNESS_IN_ENGLISH[reason])
        self.reason = reason


_WEAKNESS_IN_ENGLISH = {  # the CLI's words; the pages show passwords.MESSAGES
    "short": f"Password: at least {MIN_PASSWORD_LENGTH} characters.",
    "username": "The password must not be the username.",
    "pattern": "This password is a sequence or a repeated pattern: choose another.",
    "common": "This password is too common: choose another.",
}


def check_new_password(password: str, username: str) -> None:
    reason = password_weakness(password, username)
    if reason is not None:
        raise WeakPassword(reason)


def generate_password() -> str:
    """16 URL-safe characters (~96 bits): long enough to never need complexity rules."""
    return secrets.token_urlsafe(12)


def user_by_username(session: Session, username: str) -> User | None:
    return queries.user_by_username(session, username.strip().lower())


def any_user_with_role(session: Session, role: Role) -> bool:
    return queries.any_user_with_role(session, role)


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str | None = None,
    full_name: str | None = None,
    actor_id: int | None = None,
) -> tuple[User, str]:
    """Create an account; returns it with its password (generated when none is given)."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError("Username: 3–60 characters, lowercase letters, digits, dot, dash or underscore.")
    try:
        role = Role(role)
    except ValueError as error:
        raise AccountError(f"Unknown role {role!r}; one of: {', '.join(r.value for r in Role)}.") from error
    if user_by_username(session, username):
        raise AccountError(f"Username {username!r} is taken.")
    if password is not None:
        check_new_password(password, username)
    password = password or generate_password()
    user = User(username=username, role=role.value, full_name=full_name,
                password_hash=generate_password_hash(password, method="scrypt"))
    session.add(user)
    session.flush()
    record_event(session, "create", "user", str(user.id), after={"username": username, "role": role.value},
                 actor_id=actor_id)
    return user, password


def is_throttled(session: Session, username: str, ip_address: str) -> bool:
    """Too many recent failures for this username from this address, from this address at all, or for
    this username from every address. The window is short: a locked-out user waits a minute, not more."""
    since = utcnow() - THROTTLE_WINDOW
    username = username.strip().lower()
    return (queries.recent_login_failures(session, since, ip_address, username) >= FAILURES_PER_USERNAME
            or queries.recent_login_failures(session, since, ip_address) >= FAILURES_PER_ADDRESS
            or queries.recent_login_failures(session, since, None, username) >= FAILURES_PER_USERNAME_ANY_ADDRESS)


def authenticate(session: Session, username: str, password: str, ip_address: str) -> User | None:
    """The active user with this username and password, or None; every failure is audited."""
    username = (username or "").strip().lower()
    user = queries.user_by_username(session, username)
    valid = check_password_hash(user.password_hash if user else dummy_hash(), password or "")
    if user is None or not valid or not user.is_active:
        record_event(session, "login_failed", "user", username[:60], after={"known_user": user is not None},
                     ip_address=ip_address)
        return None
    record_event(session, "login", "user", str(user.id), actor_id=user.id, ip_address=ip_address)
    return user


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user.session_generation = (user.session_generation or 0) + 1
    session.add(user)


def sign_out(session: Session, user_id: int) -> None:
    user = queries.user_by_id(session, user_id)
    if user is not None:
        end_sessions(session, user)


def change_password(session: Session, user: User, current: str, new: str, actor_id: int) -> None:
    """Set a new password; every session of the user ends (the caller signs the current one in again)."""
    if not check_password_hash(user.password_hash, current or ""):
        raise AccountError("current")
    check_new_password(new, user.username)
    user.password_hash = generate_password_hash(new, method="scrypt")
    end_sessions(session, user)
    record_event(session, "change_password", "user", str(user.id), actor_id=actor_id)


def reset_password(session: Session, user: User, actor_id: int) -> str:
    """A new random password for the user, to hand over once."""
    password = generate_password()
    user.password_hash = generate_password_hash(password, method="scrypt")
    end_sessions(session, user)
    record_event(session, "reset_password", "user", str(user.id), actor_id=actor_id)
    return password


def update_user(session: Session, user: User, *, role: str, full_name: str | None, is_active: bool,
                actor_id: int) -> None:
    before = {"role": user.role, "full_name": user.full_name, "is_active": user.is_active}
    if user.id == actor_id and (role != Role.admin.value or not is_active):
        raise AccountError("An admin cannot remove their own admin role or deactivate themselves.")
    user.role, user.full_name, user.is_active = Role(role).value, full_name, is_active
    if (user.role, user.is_active) != (before["role"], before["is_active"]):
        end_sessions(session, user)  # signed in again, the user gets the new role (or cannot)
    session.add(user)
    record_event(session, "update", "user", str(user.id), before=before,
                 after={"role": user.role, "full_name": full_name, "is_active": is_active}, actor_id=actor_id)


def assign_communes(session: Session, user: User, survey_round: SurveyRound, commune_codes: list[str],
                    actor_id: int | None) -> list[str]:
    """Add assignments (existing ones are kept); returns the codes newly assigned.

    The codes are communes of the round's units: legacy ones, or those after 1 July 2025 for a round
    organised by the new communes."""
    added = []
    find = unit_2025_by_code if survey_round.admin_units == UnitEra.units_2025.value else unit_by_code
    for code in commune_codes:
        unit = find(session, code)
        if unit is None or unit.level != UnitLevel.commune:
            raise AccountError(f"Unknown commune code: {code}")
        if queries.assignment(session, user.id, code, survey_round.id) is None:
            session.add(Assignment(user_id=user.id, commune_code=code, round_id=survey_round.id))
            added.append(code)
    if added:
        record_event(session, "assign", "user", str(user.id), after={"round": survey_round.code, "communes": added},
                     actor_id=actor_id)
    return added


def remove_assignment(session: Session, assignment: Assignment, actor_id: int) -> None:
    session.delete(assignment)
    record_event(session, "unassign", "user", str(assignment.user_id),
                 before={"commune": assignment.commune_code, "round_id": assignment.round_id}, actor_id=actor_id)
