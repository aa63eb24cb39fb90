"""Who may open what. Every view declares its audience; a view that declares nothing is refused.

`@allow(Role.admin, Role.supervisor)` or `@public` on a view function; `check_access` runs before
every request and turns the declaration into a login redirect (anonymous) or 403 (wrong role).
Row-level rules (an enumerator's own communes) are checked where the row is known, with
`commune_scope` and `may_work_in`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager, current_user

from ..db import get_session
from ..models import Role, User
from . import queries

if TYPE_CHECKING:
    from sqlalchemy import Row

ALL_ROLES = frozenset(role.value for role in Role)
READERS = ALL_ROLES  # every signed-in role reads the registry (enumerators only their communes)
_PUBLIC = "public"
#: Endpoints of other packages that serve files only (Bootstrap, our static files, vendored assets).
PUBLIC_ENDPOINTS = {"static", "bootstrap.static", "vendor.asset"}

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@dataclass(frozen=True)
class SignedInUser:
    """What a request knows about its user: plain values, detached from any database session."""

    id: int
    username: str
    full_name: str | None
    role: str
    #: The user's session generation at sign-in; the cookie stops working once the user's moves on.
    session_generation: int = 0
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @classmethod
    def of(cls, user: User | Row) -> SignedInUser:
        return cls(user.id, user.username, user.full_name, user.role, user.session_generation)

    def get_id(self) -> str:
        """What the session cookie stores: "id:generation" (Flask-Login writes it at login_user)."""
        return f"{self.id}:{self.session_generation}"

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {Role(role).value for role in roles}


class Anonymous(AnonymousUserMixin):
    id = None
    role = None

    def has_role(self, *roles) -> bool:
        return False


login_manager.anonymous_user = Anonymous


def sends_bearer_token(request) -> bool:
    """An API request that names a token: the token alone decides who it is, never the session cookie."""
    return request.path.startswith("/api/") and request.headers.get("Authorization", "").startswith("Bearer ")


@login_manager.user_loader
def _load_user(session_user_id: str) -> SignedInUser | None:
    """The user of the session cookie, while the cookie's session generation is still the user's."""
    if sends_bearer_token(request):
        return None
    user_id, _, generation = session_user_id.partition(":")
    generation = generation or "0"  # cookies written before generations existed
    if not (user_id.isdigit() and generation.isdigit()):
        return None
    user = queries.signed_in_user_row(get_session(), int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return SignedInUser.of(user)


@login_manager.request_loader
def _load_user_from_token(request) -> SignedInUser | None:
    """`Authorization: Bearer <token>` on API requests (phones and scripts have no session cookie)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not request.path.startswith("/api/"):
        return None
    from .tokens import user_for_token

    session = get_session()
    user = user_for_token(session, header.removeprefix("Bearer ").strip())
    if user is None:
        return None
    return SignedInUser(user.id, user.username, user.full_name, user.role)


def allow(*roles: Role | str) -> Callable:
    """Open a view to these roles only."""
    allowed = frozenset(Role(role).value for role in roles)

    def decorate(view: Callable) -> Callable:
        view.access = allowed
        return view

    return decorate


def public(view: Callable) -> Callable:
    """Open a view to everyone, signed in or not (the login page, the language switch)."""
    view.access = _PUBLIC
    return view


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(check_access)


def declared_access(endpoint: str | None):
    """The audience a view declared: a set of roles, "public", or None when it declared nothing."""
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return _PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def check_access():
    access = declared_access(request.endpoint)
    if access == _PUBLIC:
        return None
    if access is None:
        current_app.logger.error("View %s declares no access rule: refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401, description="Send a valid token: Authorization: Bearer <token>")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if current_user.role not in access:
        abort(403)
    return None


def current_actor_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def commune_scope(round_id: int | None = None) -> set[str] | None:
    """Communes an enumerator may see (None: no restriction, for every other role)."""
    if not current_user.is_authenticated:
        return set()
    if current_user.role != Role.enumerator.value:
        return None
    return queries.assigned_communes(get_session(), current_user.id, round_id)


def may_work_in(commune_code: str, round_id: int, roles: Iterable[Role]) -> bool:
    """An admin may act anywhere; the given roles only in communes assigned to them for the round."""
    if current_user.has_role(Role.admin):
        return True
    if not current_user.has_role(*roles):
        return False
    return queries.is_assigned(get_session(), current_user.id, commune_code, round_id)
