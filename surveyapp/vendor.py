"""Third-party browser assets served by the app itself (field offices may have no internet)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__)


def _packages() -> dict[str, Path]:
    import xstatic.pkg.leaflet as leaflet

    return {"leaflet": Path(leaflet.BASE_DIR)}


PACKAGES = _packages()


@bp.get("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str):
    folder = PACKAGES.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=7 * 24 * 3600)
