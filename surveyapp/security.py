"""HTTP security: response headers, a Content-Security-Policy with per-request nonces, cookies, and
which reverse proxies to believe about the client's address and scheme (TRUSTED_PROXIES).

The policy allows only this site. Inline <script> blocks (Folium maps) carry the request's nonce:
templates write `nonce="{{ csp_nonce() }}"`. Inline style attributes stay allowed because Bootstrap
components and Leaflet/Folium markup use them; scripts, frames, forms and connections are 'self' only.
"""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionInterface(SecureCookieSessionInterface):
    """Session cookie marked Secure whenever the request came over HTTPS (or config says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (bool(request) and request.is_secure)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, image_hosts: tuple[str, ...] = (), frame_ancestors: str = "'none'") -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data: blob:", *image_hosts]),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def map_tile_hosts() -> tuple[str, ...]:
    """The origin of the configured map tiles, if any ("{s}.tile.example.org" → "*.tile.example.org")."""
    url = current_app.config.get("MAP_TILES_URL")
    if not url:
        return ()
    parts = urlsplit(url)
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    return (f"{parts.scheme or 'https'}://{host}",)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce(), map_tile_hosts()))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
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
