"""Every query on photos."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import Establishment, Photo

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


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


def photos_of_filtered_establishments(session: Session, wanted: "EstablishmentFilter",
                                      scope: set[str] | None) -> list[tuple[str, str]]:
    """(file name, sha256) of every photo of the establishments a list filter (and the enumerator's
    communes) selects, each content once, ordered by file name."""
    statement = (select(Photo.file_name, Photo.sha256).distinct()
                 .join(Establishment, Establishment.id == Photo.establishment_id))
    statement = within_scope(apply_filter(statement, wanted), scope).order_by(Photo.file_name)
    return [tuple(row) for row in session.exec(statement).all()]
