"""Third-party browser assets served by the app itself (field offices may have no internet).

Each package is an `xstatic-*` wheel pinned in requirements.txt; its folder is served under
`/vendor/<package>/...`. Maps also read the files from here to inline them into a downloaded,
standalone HTML map (`asset_file`).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from werkzeug.security import safe_join

bp = Blueprint("vendor", __name__)


def _packages() -> dict[str, Path]:
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    return {"leaflet": Path(leaflet.BASE_DIR), "leaflet-markercluster": Path(markercluster.BASE_DIR)}


PACKAGES = _packages()


def asset_file(package: str, filename: str) -> Path:
    """The file behind /vendor/<package>/<filename>; KeyError/FileNotFoundError when there is none."""
    joined = safe_join(str(PACKAGES[package]), filename)
    if joined is None or not Path(joined).is_file():
        raise FileNotFoundError(f"{package}/{filename}")
    return Path(joined)


@bp.get("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str):
    folder = PACKAGES.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=7 * 24 * 3600)
