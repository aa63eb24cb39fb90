"""Personal API tokens: created and revoked by their owner or an admin; only a hash is stored."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Row
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ..audit import record_event
from ..db import is_busy, skippable_write
from ..models import ApiToken, User, utcnow
from . import queries

TOKEN_PREFIX = "sa_"
MAX_TOKENS_PER_USER = 20
#: "Last used" is shown to the minute; it is written at most this often.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class TokenError(ValueError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str, actor_id: int) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, to show once."""
    name = (name or "").strip()[:80]
    if not name:
        raise TokenError("name")
    if len(queries.active_tokens_of_user(session, user.id)) >= MAX_TOKENS_PER_USER:
        raise TokenError("too_many")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:10])
    session.add(row)
    session.flush()
    record_event(session, "create", "api_token", str(row.id), after={"user": user.username, "name": name},
                 actor_id=actor_id)
    return row, token


def revoke_token(session: Session, token: ApiToken, actor_id: int) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        record_event(session, "revoke", "api_token", str(token.id), actor_id=actor_id)


def user_for_token(session: Session, token: str) -> Row | None:
    """The active user owning this unrevoked token (id, username, full_name, role), or None; notes the
    token's use (`_note_use`)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    owner = queries.token_owner_by_hash(session, hash_token(token))
    if owner is None or owner.revoked_at is not None or not owner.is_active:
        return None
    now = utcnow()
    if _stale(owner.last_used_at, now):  # not on every request: a write per API call halves write throughput
        _note_use(session, owner.token_id, now)
    return owner


def _note_use(session: Session, token_id: int, now: dt.datetime) -> None:
    """Write the last use in a short transaction of its own, skipped when the database is busy: a read
    never waits for a writer (an import). Tokens are checked before the view runs, so the session holds
    only the token's lookup when it commits here."""
    try:
        with skippable_write(session):
            queries.set_token_last_used(session, token_id, now)
    except OperationalError as error:
        if not is_busy(error):
            raise


def _stale(last_used: dt.datetime | None, now: dt.datetime) -> bool:
    if last_used is None:
        return True
    if last_used.tzinfo is None:  # SQLite hands back naive UTC
        last_used = last_used.replace(tzinfo=dt.timezone.utc)
    return now - last_used > LAST_USED_PRECISION
