"""The SQLite database and uploaded files are readable by the app's account only (0600, folders 0700),
like instance/secret_key: created so, and tightened at start-up when an older install left them open."""
from __future__ import annotations

import stat
from pathlib import Path

from surveyapp.db import migrate
from surveyapp.imports import uploads

from .conftest import build_app, dispose


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_is_owner_only(tmp_path):
    database = tmp_path / "new.sqlite"
    app = build_app(f"sqlite:///{database}")
    try:
        with app.app_context():
            migrate()
        assert mode(database) == 0o600
        for side_file in (tmp_path / "new.sqlite-wal", tmp_path / "new.sqlite-shm"):
            assert not side_file.exists() or mode(side_file) == 0o600
    finally:
        dispose(app)


def test_start_up_tightens_an_open_database_and_old_uploads(tmp_path):
    database = tmp_path / "old.sqlite"
    database.touch(mode=0o644)
    database.chmod(0o644)
    folder = tmp_path / "uploads" / "imports"
    folder.mkdir(parents=True)
    old_upload = folder / "0123456789abcdef0123456789abcdef.data"
    old_upload.write_bytes(b"code,name\n")
    for path, open_mode in ((old_upload, 0o644), (folder, 0o755), (folder.parent, 0o755)):
        path.chmod(open_mode)
    app = build_app(f"sqlite:///{database}", IMPORT_UPLOAD_FOLDER=str(folder))
    try:
        assert mode(database) == 0o600
        assert (mode(old_upload), mode(folder)) == (0o600, 0o700)
    finally:
        dispose(app)


def test_stored_uploads_are_owner_only(tmp_path):
    folder = tmp_path / "instance" / "uploads" / "imports"
    stored = uploads.store(str(folder), b"code,name\n", "list.csv", None, "admin")
    for path in folder.iterdir():
        assert mode(path) == 0o600, path.name
    assert mode(folder) == mode(folder.parent) == 0o700
    assert uploads.load(str(folder), stored.token).data == b"code,name\n"
