"""HTTP security: response headers, a Content-Security-Policy with per-request nonces, cookies, and
which reverse proxies to believe about the client's address and scheme (TRUSTED_PROXIES).

The policy allows only this site. Inline <script> blocks (Folium maps) carry the request's nonce:
templates write `nonce="{{ csp_nonce() }}"`. Inline style attributes stay allowed because Bootstrap
components and Leaflet/Folium markup use them; scripts, frames, forms and connections are 'self' only.
"""
from __future__ import annotations

import copy
import functools
import re
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix


#: Session cookies a process remembers as verified (a browser keeps sending the same one).
VERIFIED_COOKIES = 1024


class SessionInterface(SecureCookieSessionInterface):
    """Session cookie marked Secure whenever the request came over HTTPS (or config says so).

    A cookie's signature is checked (and its contents decoded) once per process and key: each later
    request with the same cookie gets a copy of what it held, after the same age check as the first
    (the age goes on counting from when it was signed)."""

    def __init__(self) -> None:
        self._verified = functools.lru_cache(maxsize=VERIFIED_COOKIES)(self._verify)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (bool(request) and request.is_secure)

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        try:
            data, signed_at = self._verified(keys, value)
        except BadSignature:
            return self.session_class()
        age = int(time.time()) - signed_at  # what itsdangerous's max_age check computes
        if age > int(app.permanent_session_lifetime.total_seconds()) or age < 0:
            return self.session_class()
        return self.session_class(copy.deepcopy(data))

    def _verify(self, keys: tuple[str | bytes, ...], value: str) -> tuple[dict, int]:
        """The cookie's contents and when it was signed; BadSignature (never remembered) when forged."""
        serializer = URLSafeTimedSerializer(
            list(keys), salt=self.salt, serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method})
        data, signed_at = serializer.loads(value, return_timestamp=True)
        return data, int(signed_at.timestamp())

    def save_session(self, app: Flask, session, response) -> None:
        """Flask's, without working out the cookie's attributes when there is nothing to write."""
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                _vary_on_cookie(response)
            return
        super().save_session(app, session, response)


def _vary_on_cookie(response) -> None:
    """response.vary.add("Cookie"), without parsing and writing back a header the response does not have
    (nor raising and catching the KeyError of looking it up)."""
    if any(name.lower() == "vary" for name, _value in response.headers):
        response.vary.add("Cookie")
    else:
        response.headers.add("Vary", "Cookie")


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, image_hosts: tuple[str, ...] = (), frame_ancestors: str = "'none'") -> str:
    before, after = _policy_around_nonce(image_hosts, frame_ancestors)
    return f"{before}{nonce}{after}"


@functools.lru_cache(maxsize=64)
def _policy_around_nonce(image_hosts: tuple[str, ...], frame_ancestors: str) -> tuple[str, str]:
    """The policy's text before and after its nonce (the one part that changes with each response)."""
    policy = "; ".join([
        "default-src 'self'",
        "script-src 'self' 'nonce-\0'",
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data: blob:", *image_hosts]),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])
    before, _nonce, after = policy.partition("\0")  # a character no part of the policy holds
    return before, after


def map_tile_hosts() -> tuple[str, ...]:
    """The origin of the configured map tiles, if any ("{s}.tile.example.org" → "*.tile.example.org")."""
    return _tile_hosts(current_app.config.get("MAP_TILES_URL"))


@functools.lru_cache(maxsize=16)
def _tile_hosts(url: str | None) -> tuple[str, ...]:
    if not url:
        return ()
    parts = urlsplit(url)
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    return (f"{parts.scheme or 'https'}://{host}",)


#: Headers every response gets unless its view set its own (after the Content-Security-Policy).
_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"),
)


def _headers(response):
    """What `headers.setdefault` of each would do, the names present read once (a missing name costs
    setdefault an exception raised and caught)."""
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", content_security_policy(csp_nonce(), map_tile_hosts()))
    for name, value in _FIXED_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", "max-age=31536000")
    if "cache-control" not in present and response.mimetype == "text/html":
        headers.add("Cache-Control", "no-store")
    return response


def trust_proxies(app: Flask) -> None:
    """Take the client address and scheme from the TRUSTED_PROXIES reverse proxies' X-Forwarded-* headers."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def init_app(app: Flask) -> None:
    trust_proxies(app)
    app.session_interface = SessionInterface()
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
