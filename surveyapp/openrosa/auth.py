"""Who a phone is: HTTP Digest (RFC 7616, MD5, qop=auth, as ODK Collect sends it) or Basic over HTTPS.

Phones never use the sign-in password nor the session cookie. Basic takes the user's app password or one
of their API tokens; Digest takes the app password. Digest makes the server compute
MD5(HA1:nonce:nc:cnonce:qop:MD5(method:uri)), so the server must hold HA1 = MD5(username:realm:password):
a one-way hash of the password cannot serve. HA1 is what is kept: it works for this realm only (not a
password the person could reuse elsewhere, and the app password is random, so HA1 cannot be reversed),
and it is sealed with a keystream derived from SECRET_KEY, so a copy of the database alone signs nobody in.

Nonces are stateless: a time and its HMAC. A correct answer to an expired nonce gets a new challenge
with stale=true (Collect retries silently); every wrong password is a failed sign-in, throttled and
audited like the sign-in page's.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from sqlmodel import Session

from ..accounts import queries as account_queries
from ..accounts.services import is_throttled
from ..accounts.tokens import TOKEN_PREFIX, user_for_token
from ..audit import record_event
from ..models import AppPassword, User
from . import queries

NONCE_LIFETIME = dt.timedelta(hours=1)
#: Characters of an app password: no 0/o, 1/l/i to misread when typing it into a phone.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_GROUPS, _GROUP_SIZE = 5, 4  # 20 characters, ~99 bits: "k7m2-p9xq-..."


@dataclass(frozen=True)
class Credentials:
    """What the Authorization header said: scheme "basic" (username, password) or "digest" (params)."""

    scheme: str
    username: str
    password: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    user: User | None = None
    #: Digest only: the answer was right but its nonce has expired (challenge again with stale=true).
    stale: bool = False
    throttled: bool = False


def ha1(username: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode("utf-8")).hexdigest()  # noqa: S324 - RFC 7616 MD5


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the Digest scheme Collect speaks


def _keystream(secret_key: str, salt: str) -> bytes:
    return hmac.new(secret_key.encode("utf-8"), b"openrosa-ha1|" + salt.encode("ascii"), hashlib.sha256).digest()[:16]


def _xor_hex(value_hex: str, key: bytes) -> str:
    return bytes(a ^ b for a, b in zip(bytes.fromhex(value_hex), key)).hex()


def stored_ha1(row: AppPassword, secret_key: str) -> str:
    return _xor_hex(row.sealed_ha1, _keystream(secret_key, row.salt))


def create_app_password(session: Session, user: User, *, realm: str, secret_key: str, actor_id: int | None) -> str:
    """A new app password for `user` (the previous one stops working); returned once, never stored."""
    password = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_SIZE)) for _ in range(_GROUPS))
    salt = secrets.token_hex(16)
    queries.delete_app_password_of_user(session, user.id)
    session.add(AppPassword(user_id=user.id, realm=realm, salt=salt,
                            sealed_ha1=_xor_hex(ha1(user.username, realm, password), _keystream(secret_key, salt))))
    record_event(session, "create", "app_password", str(user.id), after={"user": user.username}, actor_id=actor_id)
    return password


def revoke_app_password(session: Session, user: User, *, actor_id: int | None) -> bool:
    if queries.app_password_of_user(session, user.id) is None:
        return False
    queries.delete_app_password_of_user(session, user.id)
    record_event(session, "revoke", "app_password", str(user.id), after={"user": user.username}, actor_id=actor_id)
    return True


def new_nonce(secret_key: str, now: dt.datetime) -> str:
    stamp = f"{int(now.timestamp()):x}"
    return f"{stamp}.{_nonce_signature(secret_key, stamp)}"


def _nonce_signature(secret_key: str, stamp: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), b"openrosa-nonce|" + stamp.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def _nonce_state(secret_key: str, nonce: str, now: dt.datetime) -> str:
    """"fresh", "expired" or "forged"."""
    stamp, _, signature = nonce.partition(".")
    if not stamp.isascii() or not stamp.isalnum() or not _same(signature, _nonce_signature(secret_key, stamp)):
        return "forged"
    age_seconds = now.timestamp() - int(stamp, 16)
    return "fresh" if -5 <= age_seconds <= NONCE_LIFETIME.total_seconds() + 5 else "expired"


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes the non-ASCII text a header may carry."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authenticate_phone(session: Session, credentials: Credentials, *, method: str, uri: str, realm: str,
                       secret_key: str, ip_address: str, now: dt.datetime) -> Verdict:
    """The active user these credentials prove, or a Verdict without one; failures are audited as failed
    sign-ins (the sign-in page's throttle counts them)."""
    username = credentials.username.strip().lower()
    if is_throttled(session, username, ip_address):
        return Verdict(throttled=True)
    user = account_queries.user_by_username(session, username)
    if credentials.scheme == "digest":
        verdict = _digest(session, user, credentials.params, method=method, uri=uri, realm=realm,
                          secret_key=secret_key, now=now)
    else:
        verdict = Verdict(user if _basic_ok(session, user, credentials.password, realm, secret_key) else None)
    if verdict.user is not None and not verdict.user.is_active:
        verdict = Verdict()
    if verdict.user is None and not verdict.stale:
        record_event(session, "login_failed", "user", username[:60],
                     after={"known_user": user is not None, "via": "openrosa"}, ip_address=ip_address)
    return verdict


def _basic_ok(session: Session, user: User | None, password: str, realm: str, secret_key: str) -> bool:
    if user is None:
        return False
    if password.startswith(TOKEN_PREFIX):
        owner = user_for_token(session, password)
        return owner is not None and owner.id == user.id
    row = queries.app_password_of_user(session, user.id)
    return (row is not None and row.realm == realm
            and _same(ha1(user.username, realm, password), stored_ha1(row, secret_key)))


def _digest(session: Session, user: User | None, params: dict[str, str], *, method: str, uri: str, realm: str,
            secret_key: str, now: dt.datetime) -> Verdict:
    row = queries.app_password_of_user(session, user.id) if user is not None else None
    if row is None or row.realm != realm or params.get("realm") != realm:
        return Verdict()
    if (params.get("algorithm") or "MD5").upper() != "MD5" or params.get("uri") not in _accepted_uris(uri):
        return Verdict()
    nonce = params.get("nonce") or ""
    ha2 = _md5(f"{method}:{params.get('uri')}")
    if params.get("qop"):
        if params["qop"] != "auth":
            return Verdict()
        parts = [stored_ha1(row, secret_key), nonce, params.get("nc", ""), params.get("cnonce", ""), "auth", ha2]
    else:  # RFC 2069 clients
        parts = [stored_ha1(row, secret_key), nonce, ha2]
    if not _same(params.get("response") or "", _md5(":".join(parts))):
        return Verdict()
    state = _nonce_state(secret_key, nonce, now)
    if state == "forged":
        return Verdict()
    return Verdict(user) if state == "fresh" else Verdict(stale=True)


def _accepted_uris(uri: str) -> set[str]:
    """The request's path (with its query, if any) as a client may quote it in `uri`."""
    path, _, query = uri.partition("?")
    return {f"{path}?{query}", path} if query else {path, path + "?"}
