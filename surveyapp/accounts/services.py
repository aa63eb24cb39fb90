"""Creating accounts; shared by the CLI, `make run` and (later) the admin pages."""
from __future__ import annotations

import re
import secrets

from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from ..audit import record_event
from ..models import Role, User

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")


class AccountError(ValueError):
    pass


def generate_password() -> str:
    """16 URL-safe characters (~96 bits): long enough to never need complexity rules."""
    return secrets.token_urlsafe(12)


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def any_user_with_role(session: Session, role: Role) -> bool:
    return session.exec(select(User.id).where(User.role == role).limit(1)).first() is not None


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
    if password is not None and len(password) < 10:
        raise AccountError("Password: at least 10 characters.")
    password = password or generate_password()
    user = User(username=username, role=role.value, full_name=full_name,
                password_hash=generate_password_hash(password, method="scrypt"))
    session.add(user)
    session.flush()
    record_event(session, "create", "user", str(user.id), after={"username": username, "role": role.value},
                 actor_id=actor_id)
    return user, password
