"""Configuration: defaults here, then instance/config.py, then environment, then a test dict."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class DefaultConfig:
    #: Province this installation serves (GSO code); district choices and the demo use it.
    PROVINCE_CODE = "94"
    #: Rows per page on lists.
    PAGE_SIZE = 50
    #: Units a new survey round is organised by unless the administrator chooses otherwise: "2025"
    #: (communes after 1 July 2025) or "legacy" (province, district, commune before it).
    NEW_ROUND_ADMIN_UNITS = "2025"
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    #: Languages offered by the switch, first is the default.
    LANGUAGES = ("vi", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    #: Show SQL in the log.
    SQL_ECHO = False
    #: Optional background tiles for maps, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (None: no
    #: background, maps work offline). Its host is added to the Content-Security-Policy's img-src.
    MAP_TILES_URL = None
    #: Attribution the tile provider requires, as plain text.
    MAP_TILES_ATTRIBUTION = ""
    #: Most establishment points a downloaded map file carries (it works without the app, so it
    #: embeds them); beyond it the file shows the colours only. The map page fetches its points.
    MAP_MAX_POINTS = 150_000
    #: Most establishments the map page shows one by one in a view; more are drawn as grid clusters.
    MAP_VIEW_POINTS = 1_500
    #: The same at the largest zoom, where a cluster could not open further.
    MAP_VIEW_POINTS_AT_MAX_ZOOM = 20_000
    #: Reverse proxies in front of the app (0: none, the app faces the clients). With n, the client
    #: address and scheme come from the last n X-Forwarded-For / X-Forwarded-Proto hops: sign-in
    #: throttling counts real clients, and HTTPS at the proxy makes the cookie Secure and adds HSTS.
    #: Never set it when clients can reach the app directly: they could then claim any address.
    TRUSTED_PROXIES = 0
    #: A GPS point this close (metres) to its declared commune/district still counts as inside.
    GPS_TOLERANCE_M = 100
    #: GPS accuracy (metres) a geopoint asks for unless its `max_accuracy_m` column says otherwise: a
    #: worse fix is kept only if the enumerator chooses to, and flagged for the supervisor.
    GPS_MAX_ACCURACY_M = 10
    #: Largest photo accepted (bytes, as sent): a plain upload without JavaScript sends the camera's file.
    PHOTO_MAX_BYTES = 15_000_000
    #: Long side (pixels) of a stored photo: the phone shrinks to it before sending, the server after.
    PHOTO_MAX_PX = 1600
    #: Folder of the photo files (None: instance/photos). Back it up with the database.
    PHOTO_FOLDER = None


def configure(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    for key in ("DATABASE_URL", "PROVINCE_CODE"):
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    for key in ("TRUSTED_PROXIES", "IMPORT_WRITE_ROWS"):
        if os.environ.get(key):
            app.config[key] = int(os.environ[key])
    if overrides:
        app.config.update(overrides)
    app.config.setdefault(
        "DATABASE_URL", "sqlite:///" + str(Path(app.instance_path) / "surveyapp.sqlite")
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _instance_secret_key(instance: Path) -> str:
    """Read instance/secret_key, creating it (random, owner-only) on first start."""
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
