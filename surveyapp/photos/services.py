"""Store a photo answer: checked, shrunk, written once per content, recorded once per establishment.

The web form, the JSON API (the offline outbox) and ODK Collect submissions all call `store_photo`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..models import Establishment, Photo
from ..questionnaire.answers import PHOTO_NAME
from . import queries
from .images import PhotoRefused, checked_picture, thumbnail_of
from .storage import photo_path, sha256_of, thumbnail_path, write_once

__all__ = ["PhotoRefused", "PhotoRules", "photo_rules", "store_photo", "store_photo_telling"]

#: Suffix of every stored photo's file name ("<sha256>.jpg").
SUFFIX = ".jpg"


@dataclass(frozen=True)
class PhotoRules:
    #: Where the files go (instance/photos unless PHOTO_FOLDER says otherwise).
    folder: Path
    #: Largest upload accepted, before shrinking (PHOTO_MAX_BYTES).
    max_bytes: int = 15_000_000
    #: Long side, in pixels, of a stored photo (PHOTO_MAX_PX).
    max_px: int = 1600


def photo_rules(config: Mapping[str, Any], instance_path: str | Path) -> PhotoRules:
    """The rules an app is configured with (PHOTO_FOLDER, PHOTO_MAX_BYTES, PHOTO_MAX_PX)."""
    folder = Path(config.get("PHOTO_FOLDER") or Path(instance_path) / "photos")
    return PhotoRules(folder, int(config.get("PHOTO_MAX_BYTES") or PhotoRules.max_bytes),
                      int(config.get("PHOTO_MAX_PX") or PhotoRules.max_px))


def sha256_of_file_name(file_name: str) -> str | None:
    """The SHA-256 a stored photo's file name carries, or None for any other text."""
    return file_name.removesuffix(SUFFIX) if PHOTO_NAME.fullmatch(file_name) else None


def store_photo(session: Session, *, establishment: Establishment, question: str | None, filename: str | None,
                data: bytes, rules: PhotoRules, record_uuid: str | None = None,
                actor_id: int | None = None) -> Photo:
    """Keep a photo of `establishment` and return its row; the answer to the image question is then
    `photo.file_name` ("<sha256>.jpg", the SHA-256 of the stored JPEG).

    - `data`: the bytes as sent (any image Pillow reads). Refused with PhotoRefused (its str() is the
      message for the user) when it is over `rules.max_bytes` or not an image.
    - A JPEG already within `rules.max_px` on its long side is kept byte for byte (phones shrink before
      sending); anything else is turned upright and re-encoded as a JPEG of that size.
    - The same bytes sent again (a resend from the outbox or Collect) return the existing row and
      write nothing; the same photo of another establishment gets a row of its own but one file.
    - `question`, `filename` (the name on the phone) and `record_uuid` are kept for reference only.
    Adds to the session and flushes; the caller commits. The file is written before the commit: a
    rolled-back row leaves an unreferenced file, never a row without its file.
    """
    return store_photo_telling(session, establishment=establishment, question=question, filename=filename,
                               data=data, rules=rules, record_uuid=record_uuid, actor_id=actor_id)[0]


def store_photo_telling(session: Session, *, establishment: Establishment, question: str | None,
                        filename: str | None, data: bytes, rules: PhotoRules, record_uuid: str | None = None,
                        actor_id: int | None = None) -> tuple[Photo, bool]:
    """`store_photo`, and whether this call added the row (False: it was there, or a parallel resend won)."""
    existing = queries.photo_of_establishment(session, establishment.id, sha256_of(data))
    if existing is not None:
        _write_files(rules.folder, existing.sha256, data)
        return existing, False
    picture = checked_picture(data, max_bytes=rules.max_bytes, max_px=rules.max_px)
    sha256 = sha256_of(picture.data)
    existing = queries.photo_of_establishment(session, establishment.id, sha256)
    _write_files(rules.folder, sha256, picture.data)
    if existing is not None:
        return existing, False
    photo = Photo(establishment_id=establishment.id, sha256=sha256, file_name=sha256 + SUFFIX,
                  question=(question or None) and question[:60], record_uuid=record_uuid,
                  original_name=(filename or None) and filename[-255:], size_bytes=len(picture.data),
                  width=picture.width, height=picture.height, uploaded_by=actor_id)
    return _insert_once(session, photo)


def _insert_once(session: Session, photo: Photo) -> tuple[Photo, bool]:
    """Insert, or return the row a simultaneous resend inserted first."""
    try:
        with session.begin_nested():
            session.add(photo)
    except IntegrityError:
        existing = queries.photo_of_establishment(session, photo.establishment_id, photo.sha256)
        if existing is None:
            raise
        return existing, False
    return photo, True


def _write_files(folder: Path, sha256: str, data: bytes) -> None:
    path = photo_path(folder, sha256)
    if not path.exists():
        write_once(path, data)
    thumbnail = thumbnail_path(folder, sha256)
    if not thumbnail.exists():
        write_once(thumbnail, thumbnail_of(path.read_bytes()))
