"""Uploaded files waiting between the preview and the confirmation, in instance/uploads/imports/
(or IMPORT_UPLOAD_FOLDER).

Each upload is two files named by a random token: the data and a small JSON note (original name,
round, who, when, SHA-256). A confirmation reads them back by token; they are removed after the
import and, if never confirmed, a day later.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..private_files import private_folder, write_private

KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Upload:
    token: str
    data: bytes
    filename: str
    round_code: str | None
    username: str | None
    sha256: str


def _folder(upload_folder: str, create: bool = False) -> Path:
    folder = Path(upload_folder)
    return private_folder(folder) if create else folder


def store(upload_folder: str, data: bytes, filename: str, round_code: str | None, username: str | None) -> Upload:
    remove_stale(upload_folder)
    token = secrets.token_hex(16)
    folder = _folder(upload_folder, create=True)
    write_private(folder / f"{token}.data", data)
    note = {"filename": filename, "round": round_code, "username": username,
            "sha256": hashlib.sha256(data).hexdigest(), "uploaded_at": time.time()}
    write_private(folder / f"{token}.json", json.dumps(note).encode("utf-8"))
    return Upload(token, data, filename, round_code, username, note["sha256"])


def load(upload_folder: str, token: str) -> Upload | None:
    if not _TOKEN.match(token or ""):
        return None
    folder = _folder(upload_folder)
    try:
        note = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError):
        return None
    if hashlib.sha256(data).hexdigest() != note.get("sha256"):
        return None
    return Upload(token, data, note["filename"], note.get("round"), note.get("username"), note["sha256"])


def discard(upload_folder: str, token: str) -> None:
    if not _TOKEN.match(token or ""):
        return
    for suffix in (".data", ".json"):
        (_folder(upload_folder) / f"{token}{suffix}").unlink(missing_ok=True)


def remove_stale(upload_folder: str, now: float | None = None) -> None:
    limit = (now or time.time()) - KEEP_SECONDS
    folder = _folder(upload_folder)
    for path in folder.iterdir() if folder.is_dir() else []:
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue
