"""Files only the app's own account may read: the SQLite database, uploads waiting for confirmation,
instance/secret_key. Created owner-only (0600, folders 0700), and tightened at start-up where an
older installation or a careless copy left them readable by every account on the machine.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

FILE_MODE = 0o600
FOLDER_MODE = 0o700
#: Files SQLite keeps beside the database (it gives them the database file's mode).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_folder(folder: Path) -> Path:
    """The folder, created owner-only with every missing parent."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # another process made it meanwhile
            pass
    return folder


def write_private(path: Path, data: bytes) -> None:
    """Write a new file that only this account may read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.chmod(path, FILE_MODE)  # O_CREAT's mode does not apply to a file that was there
        handle.write(data)


def create_private_file(path: Path) -> None:
    """Create an empty owner-only file unless it exists (SQLite takes an empty file as a new database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass


def tighten(path: Path) -> None:
    """Take read/write/execute away from group and others (symbolic links are left alone)."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(status.st_mode) or not stat.S_IMODE(status.st_mode) & 0o077:
        return
    path.chmod(stat.S_IMODE(status.st_mode) & 0o700)


def tighten_tree(folder: Path) -> None:
    if not folder.is_dir():
        return
    tighten(folder)
    for root, folders, files in os.walk(folder):
        for name in (*folders, *files):
            tighten(Path(root) / name)


def sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def protect_instance(app: Flask) -> None:
    """Make the SQLite database (created here if new), the uploads and the secret key owner-only."""
    database = sqlite_file(app.config["DATABASE_URL"])
    if database is not None and database.parent.is_dir():
        create_private_file(database)
        for suffix in ("", *SQLITE_SIDE_FILES):
            tighten(Path(f"{database}{suffix}"))
    instance = Path(app.instance_path)
    tighten(instance / "secret_key")
    tighten_tree(instance / "uploads")
    if app.config.get("IMPORT_UPLOAD_FOLDER"):
        tighten_tree(Path(app.config["IMPORT_UPLOAD_FOLDER"]))
