"""Every query on photos."""
from __future__ import annotations

from typing import Iterable

from sqlmodel import Session, select

from ..models import Photo


def photo_of_establishment(session: Session, establishment_id: int, sha256: str) -> Photo | None:
    return session.exec(select(Photo).where(Photo.establishment_id == establishment_id,
                                            Photo.sha256 == sha256)).first()


def photos_by_file_name(session: Session, establishment_id: int, file_names: Iterable[str]) -> dict[str, Photo]:
    names = list(set(file_names))
    if not names:
        return {}
    rows = session.exec(select(Photo).where(Photo.establishment_id == establishment_id,
                                            Photo.file_name.in_(names))).all()
    return {photo.file_name: photo for photo in rows}


def photos_of_establishment(session: Session, establishment_id: int) -> list[Photo]:
    return list(session.exec(select(Photo).where(Photo.establishment_id == establishment_id)
                             .order_by(Photo.created_at, Photo.id)).all())
