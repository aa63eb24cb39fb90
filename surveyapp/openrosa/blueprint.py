"""Every URL of the OpenRosa 1.0 server that ODK Collect and KoboCollect talk to, and the account page
that sets a phone up (app password, settings QR code).

The OpenRosa routes are `@public` for the access check and authenticate every request themselves with
Digest or Basic (auth.py): the browser's session cookie never counts there, and CSRF does not apply
(no cookie, no forgery). Server URL for Collect: https://<host>/openrosa (it appends /formList, /submission).
"""
from __future__ import annotations

import base64
import json
import zlib
from functools import wraps

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import http_date

from .. import clock
from ..accounts import queries as account_queries
from ..accounts.access import SignedInUser, allow, public
from ..db import get_session
from ..extensions import csrf
from ..geo.capture import gps_rules
from ..models import Role
from ..photos.services import photo_rules
from ..questionnaire.registry import registry
from ..questionnaire.xform import ESTABLISHMENTS_FILE
from . import queries
from .auth import Credentials, authenticate_phone, create_app_password, new_nonce, revoke_app_password
from .documents import FormEntry, MediaEntry, form_list_xml, manifest_xml, md5_hex, response_xml
from .services import SubmissionRefused, accept_submission, establishments_file, phone_form, phone_forms

bp = Blueprint("openrosa", __name__, template_folder="templates")
PREFIX = "/openrosa"
XML = "text/xml; charset=utf-8"
DEFAULT_MAX_SUBMISSION_BYTES = 20 * 1024 * 1024
#: Collect fills a POST up to the advertised size counting the files alone: the multipart headers (a few
#: hundred bytes for each of up to 101 parts) come on top, and a POST that full is still taken.
MULTIPART_ALLOWANCE = 64 * 1024
#: The form field with which Collect marks every POST of a split submission but the last.
INCOMPLETE_FIELD = "*isIncomplete*"


def _max_submission_bytes() -> int:
    return int(current_app.config.get("OPENROSA_MAX_SUBMISSION_BYTES") or DEFAULT_MAX_SUBMISSION_BYTES)


def _realm() -> str:
    return current_app.config.get("OPENROSA_REALM") or "surveyapp"


def _language() -> str:
    return str(get_locale() or "vi")


@bp.after_request
def _openrosa_headers(response: Response) -> Response:
    """Every OpenRosa response, errors included, carries the version, the date and the size limit."""
    if request.path.startswith(PREFIX + "/"):
        response.headers["X-OpenRosa-Version"] = "1.0"
        response.headers["X-OpenRosa-Accept-Content-Length"] = str(_max_submission_bytes())
        response.headers.setdefault("Date", http_date(clock.utc_now()))
        response.headers.setdefault("Content-Language", _language())
    return response


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=XML)


def _message(status: int, message: str, nature: str = "") -> Response:
    return _xml(response_xml(message, nature), status)


class _Unauthorized(Exception):
    def __init__(self, message: str, stale: bool = False, throttled: bool = False):
        super().__init__(message)
        self.message, self.stale, self.throttled = message, stale, throttled


def _basic_allowed() -> bool:
    """Basic sends the password itself: only over HTTPS (or where the configuration says so, e.g. tests)."""
    return request.is_secure or bool(current_app.config.get("OPENROSA_BASIC_OVER_HTTP"))


def _credentials() -> Credentials | None:
    auth = request.authorization
    if auth is None or not auth.username:
        return None
    if auth.type == "digest":
        return Credentials("digest", auth.username, params={k: str(v) for k, v in auth.parameters.items()})
    if auth.type == "basic" and _basic_allowed():
        return Credentials("basic", auth.username, password=auth.password or "")
    return None


def _phone_user() -> SignedInUser:
    credentials = _credentials()
    if credentials is None:
        raise _Unauthorized(_("Sign in with your username and app password."))
    session = get_session()
    verdict = authenticate_phone(session, credentials, method=request.method,
                                 uri=request.script_root + request.full_path, realm=_realm(),
                                 secret_key=current_app.config["SECRET_KEY"],
                                 ip_address=request.remote_addr or "unknown", now=clock.utc_now())
    if verdict.user is None:
        session.commit()  # the failed sign-in is counted
        raise _Unauthorized(_("Wrong username or app password."), stale=verdict.stale, throttled=verdict.throttled)
    return SignedInUser.of(verdict.user)


def phone_auth(view):
    """The view gets the phone's user as its first argument; without valid credentials, a 401 challenge."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            user = _phone_user()
        except _Unauthorized as refusal:
            return _challenge(refusal)
        return view(user, *args, **kwargs)

    return public(csrf.exempt(wrapper))


def _challenge(refusal: _Unauthorized) -> Response:
    if refusal.throttled:
        response = _message(429, _("Too many failed sign-ins. Wait a minute, then try again."))
        response.headers["Retry-After"] = "60"
        return response
    response = _message(401, refusal.message)
    stale = ", stale=true" if refusal.stale else ""
    nonce = new_nonce(current_app.config["SECRET_KEY"], clock.utc_now())
    response.headers.add("WWW-Authenticate",
                         f'Digest realm="{_realm()}", qop="auth", algorithm=MD5, nonce="{nonce}"{stale}')
    if _basic_allowed():
        response.headers.add("WWW-Authenticate", f'Basic realm="{_realm()}", charset="UTF-8"')
    return response


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    return _too_large_response()


def _too_large_response() -> Response:
    megabytes = _max_submission_bytes() // (1024 * 1024)
    return _message(413, _("The submission is larger than %(n)d MB: send fewer or smaller photos.", n=megabytes))


@bp.get(f"{PREFIX}/formList")
@phone_auth
def form_list(user):
    wanted = request.args.get("formID")
    entries = [FormEntry(form.form_id, form.title, form.survey_round.questionnaire_version, form.md5,
                         url_for("openrosa.form_xml", form_id=form.form_id, _external=True),
                         url_for("openrosa.manifest", form_id=form.form_id, _external=True))
               for form in phone_forms(get_session(), user, registry(), _language())
               if not wanted or form.form_id == wanted]
    return _xml(form_list_xml(entries))


def _form_or_404(user, form_id: str):
    """The user's form `form_id`; an OpenRosa 404 answer (abort) when it is not one of theirs."""
    form = phone_form(get_session(), user, registry(), form_id, _language())
    if form is None:
        abort(_message(404, _("No such form among your survey rounds.")))
    return form


@bp.get(f"{PREFIX}/forms/<form_id>/form.xml")
@phone_auth
def form_xml(user, form_id: str):
    form = _form_or_404(user, form_id)
    return _xml(form.xml)


@bp.get(f"{PREFIX}/forms/<form_id>/manifest")
@phone_auth
def manifest(user, form_id: str):
    form = _form_or_404(user, form_id)
    media = establishments_file(get_session(), user, form)
    entry = MediaEntry(ESTABLISHMENTS_FILE, md5_hex(media),
                       url_for("openrosa.establishments_media", form_id=form_id, _external=True))
    return _xml(manifest_xml([entry]))


@bp.get(f"{PREFIX}/forms/<form_id>/{ESTABLISHMENTS_FILE}")
@phone_auth
def establishments_media(user, form_id: str):
    form = _form_or_404(user, form_id)
    return Response(establishments_file(get_session(), user, form), content_type="text/csv; charset=utf-8")


@bp.route(f"{PREFIX}/submission", methods=["HEAD", "POST"])
@phone_auth
def submission(user):
    """HEAD: Collect asks before sending (auth and size limit in the headers). POST: one instance, multipart
    with `xml_submission_file` and its attachments."""
    if request.method == "HEAD":  # Location: where to POST (the spec's HEAD answer; here the same URL)
        return Response(status=204, headers={"Location": url_for("openrosa.submission", _external=True)})
    if (request.content_length or 0) > _max_submission_bytes() + MULTIPART_ALLOWANCE:
        return _too_large_response()
    xml_file = request.files.get("xml_submission_file")
    if xml_file is None:
        return _message(400, _("The request has no xml_submission_file."))
    xml = xml_file.read()
    attachments = {upload.filename or name: upload.read() for name, upload in request.files.items(multi=True)
                   if name != "xml_submission_file"}
    incomplete = request.form.get(INCOMPLETE_FIELD, "").strip().lower() == "yes"
    session = get_session()
    try:
        accepted = _accept(session, user, xml, attachments, incomplete)
    except SubmissionRefused as refusal:
        session.rollback()
        return _message(refusal.status, refusal.message)
    if incomplete and accepted.created:
        return _message(201, _("Part of the form received: its other files are on the way."), "submit_success")
    if accepted.created:
        return _message(201, _("Received: thank you."), "submit_success")
    return _message(202, _("This form was already received."), "submit_success")


def _accept(session, user, xml: bytes, attachments: dict[str, bytes], incomplete: bool):
    arguments = dict(user=user, xml=xml, registry=registry(), language=_language(), gps=gps_rules(current_app.config),
                     attachments=attachments, photos=photo_rules(current_app.config, current_app.instance_path),
                     incomplete=incomplete)
    try:
        accepted = accept_submission(session, **arguments)
        session.commit()
    except IntegrityError:  # the same instance sent twice at once: the other request stored it
        session.rollback()
        accepted = accept_submission(session, **arguments)
        session.commit()
    return accepted


# The account page: what a phone needs to talk to this server.

def collect_settings_payload(server_url: str, username: str) -> str:
    """What Collect's "Import settings" QR code holds: zlib-compressed JSON, base64-encoded."""
    settings = {"general": {"server_url": server_url, "username": username}, "admin": {}}
    return base64.b64encode(zlib.compress(json.dumps(settings).encode("utf-8"))).decode("ascii")


def server_url() -> str:
    return request.url_root.rstrip("/") + PREFIX


@bp.get("/account/collect")
@allow(Role.admin, Role.enumerator)
def collect_settings():
    return _collect_page(new_password=None)


def _collect_page(new_password: str | None):
    """The page; `new_password`: an app password just created, shown this once."""
    import segno  # only on the account page that shows the QR code

    session = get_session()
    payload = collect_settings_payload(server_url(), current_user.username)
    qr_svg = segno.make(payload, error="m").svg_inline(scale=4, title="ODK Collect")
    return render_template("openrosa/collect.html", server_url=server_url(), username=current_user.username,
                           qr_svg=qr_svg, app_password=queries.app_password_of_user(session, current_user.id),
                           new_password=new_password)


@bp.post("/account/collect/app-password")
@allow(Role.admin, Role.enumerator)
def new_app_password():
    session = get_session()
    user = account_queries.user_by_id(session, current_user.id)
    password = create_app_password(session, user, realm=_realm(), secret_key=current_app.config["SECRET_KEY"],
                                   actor_id=current_user.id)
    session.commit()
    return _collect_page(new_password=password)


@bp.post("/account/collect/app-password/revoke")
@allow(Role.admin, Role.enumerator)
def revoke_own_app_password():
    session = get_session()
    if revoke_app_password(session, account_queries.user_by_id(session, current_user.id), actor_id=current_user.id):
        session.commit()
        flash(_("The app password is revoked: phones using it can no longer send."), "success")
    return redirect(url_for("openrosa.collect_settings"))
