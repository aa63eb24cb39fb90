"""The photos of an export's establishments as one ZIP, beside the CSV whose photo_files column names them."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlmodel import Session

from . import queries
from .storage import photo_path

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


def write_photo_zip(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, folder: Path,
                    target: str | Path | IO[bytes]) -> int:
    """Write "<sha256>.jpg" of every photo of the filtered establishments (the enumerator's communes
    only) into a ZIP; returns how many. JPEGs do not compress: stored as they are, quickly."""
    written = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for file_name, sha256 in queries.photos_of_filtered_establishments(session, wanted, scope):
            path = photo_path(folder, sha256)
            if path.is_file():  # a file lost on disk leaves its name in the CSV and nothing here
                archive.write(path, file_name)
                written += 1
    return written
