"""Every URL of photos: a photo and its thumbnail, for whoever may read the establishment they belong to."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file

from ..accounts.access import READERS, allow, commune_scope
from ..db import get_session
from ..establishments import queries as establishment_queries
from . import queries
from .images import thumbnail_of
from .services import photo_rules, sha256_of_file_name
from .storage import photo_path, thumbnail_path, write_once

bp = Blueprint("photos", __name__)
#: A file name names its content: what a browser has kept never goes stale.
CACHE_CONTROL = "private, max-age=31536000, immutable"


def _stored_file(code: str, file_name: str) -> tuple[Path, str]:
    """(folder, sha256) of a photo of establishment `code` the user may read; 404 otherwise, as the
    establishment's page answers outside an enumerator's communes."""
    session = get_session()
    establishment = establishment_queries.establishment_by_code(session, code)
    scope = commune_scope()
    sha256 = sha256_of_file_name(file_name)
    if establishment is None or sha256 is None or (scope is not None and establishment.commune_code not in scope):
        abort(404)
    if queries.photo_of_establishment(session, establishment.id, sha256) is None:
        abort(404)
    folder = photo_rules(current_app.config, current_app.instance_path).folder
    if not photo_path(folder, sha256).is_file():
        abort(404)
    return folder, sha256


def _sent(path: Path, download_name: str):
    response = send_file(path, mimetype="image/jpeg", download_name=download_name, conditional=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/establishments/<code>/photos/<file_name>")
@allow(*READERS)
def photo(code: str, file_name: str):
    folder, sha256 = _stored_file(code, file_name)
    return _sent(photo_path(folder, sha256), file_name)


@bp.get("/establishments/<code>/photos/<file_name>/thumbnail")
@allow(*READERS)
def thumbnail(code: str, file_name: str):
    folder, sha256 = _stored_file(code, file_name)
    path = thumbnail_path(folder, sha256)
    if not path.is_file():  # a photo folder restored without its thumbnails: made once, here
        write_once(path, thumbnail_of(photo_path(folder, sha256).read_bytes()))
    return _sent(path, file_name)
