"""Every URL of signing in and out and of one's own account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, session as cookie_session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..db import get_session
from ..extensions import csrf
from ..i18n import LANGUAGE_COOKIE
from ..models import Role
from . import queries
from .access import ALL_ROLES, SignedInUser, allow, public
from .forms import LoginForm, PasswordForm
from .passwords import MESSAGES as PASSWORD_MESSAGES
from .services import AccountError, WeakPassword, authenticate, change_password, is_throttled, sign_out
from .tokens import TokenError, create_token, revoke_token

bp = Blueprint("accounts", __name__, template_folder="templates")


def home_for(role: str) -> str:
    return url_for("survey.choose_commune") if role == Role.enumerator.value else url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@csrf.exempt  # the form checks its token itself and says "expired" instead of an error page
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        address = request.remote_addr or "unknown"
        if is_throttled(session, form.username.data, address):
            flash(_("Too many failed sign-ins. Wait a minute, then try again."), "error")
            status = 429
        else:
            user = authenticate(session, form.username.data, form.password.data, address)
            session.commit()
            if user is not None:
                cookie_session.clear()  # a new session on sign-in: no fixation
                login_user(SignedInUser.of(user))
                return redirect(safe_next_url(request.args.get("next"), home_for(user.role)))
            # One message whether the username exists or not.
            flash(_("Wrong username or password."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@allow(*ALL_ROLES)
def logout():
    session = get_session()
    sign_out(session, current_user.id)  # a copy of the cookie must not stay signed in either
    session.commit()
    logout_user()
    cookie_session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*ALL_ROLES)
def password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        user = queries.user_by_id(session, current_user.id)
        try:
            change_password(session, user, form.current.data, form.new.data, actor_id=current_user.id)
        except WeakPassword as error:
            form.new.errors.append(PASSWORD_MESSAGES[error.reason])
            status = 422
        except AccountError:
            form.current.errors.append(_("The current password is wrong."))
            status = 422
        else:
            session.commit()
            login_user(SignedInUser.of(user))  # the change ended every session: keep this one
            flash(_("Your password is changed."), "success")
            return redirect(home_for(current_user.role))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@allow(*ALL_ROLES)
def tokens():
    """One's own API tokens: create (shown once) and revoke."""
    session = get_session()
    user = queries.user_by_id(session, current_user.id)
    if request.method == "POST":
        try:
            token_row, token = create_token(session, user, request.form.get("name", ""), actor_id=current_user.id)
        except TokenError as error:
            flash(_("Give the token a name.") if str(error) == "name" else _("Too many tokens: revoke one first."),
                  "error")
            return redirect(url_for("accounts.tokens"))
        session.commit()
        return render_template("accounts/token_once.html", token_row=token_row, token=token,
                               back=url_for("accounts.tokens"))
    return render_template("accounts/tokens.html", tokens=queries.active_tokens_of_user(session, user.id),
                           create_url=url_for("accounts.tokens"),
                           revoke_endpoint="accounts.revoke_own_token", owner=None)


@bp.post("/account/tokens/<int:token_id>/revoke")
@allow(*ALL_ROLES)
def revoke_own_token(token_id: int):
    session = get_session()
    token = queries.token_of_user(session, current_user.id, token_id)
    if token is None:
        abort(404)
    revoke_token(session, token, actor_id=current_user.id)
    session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))


@bp.get("/lang/<code>")
@public
def switch_language(code: str):
    """Open to everyone: the sign-in page offers the switch too."""
    response = redirect(safe_next_url(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def safe_next_url(target: str | None, fallback: str = "/") -> str:
    """Only paths on this site: no scheme, no host, no protocol-relative `//evil`."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target
