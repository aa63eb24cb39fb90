"""Photo files on disk: instance/photos/<ab>/<sha256>.jpg and thumbs/<ab>/<sha256>.jpg, owner-only.

Named by content, so a resend writes nothing new; written to a temporary file and renamed into
place, so a crash never leaves half a photo under its final name."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from ..private_files import private_folder, write_private


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photo_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / f"{sha256}.jpg"


def thumbnail_path(folder: Path, sha256: str) -> Path:
    return folder / "thumbs" / sha256[:2] / f"{sha256}.jpg"


def write_once(path: Path, data: bytes) -> None:
    """Write the file unless it is already there (same name, same content)."""
    if path.exists():
        return
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write_private(temporary, data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def is_intact(path: Path, sha256: str) -> bool:
    """The file is there and still holds the bytes its name promises."""
    return path.is_file() and sha256_of(path.read_bytes()) == sha256
