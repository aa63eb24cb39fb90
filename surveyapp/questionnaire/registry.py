"""The questionnaires in forms/: loaded once, reloaded when a file changes.

`forms/*.md` are the current version of each questionnaire: new rounds and new records use them.
`forms/previous/*.md` keep earlier versions exactly as released, so records filled with them still
display and validate on an installation that never stored their text (records bulk-loaded by the
demo, for one); `definition_for` reads them after the database's stored copy.
"""
from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from .definition import Definition, DefinitionError, load_definition_file

FORM_SUFFIX = ".md"
PREVIOUS_FOLDER = "previous"


class Registry:
    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[float, Definition | DefinitionError]] = {}

    def _load(self, folder: Path, display_prefix: str) -> list[Definition | DefinitionError]:
        with self._lock:
            paths = sorted(folder.glob(f"*{FORM_SUFFIX}")) if folder.is_dir() else []
            paths = [p for p in paths if p.name.lower() != "readme.md"]
            for path in paths:
                mtime = path.stat().st_mtime
                cached = self._files.get(path)
                if cached is None or cached[0] != mtime:
                    try:
                        loaded: Definition | DefinitionError = load_definition_file(path, display_prefix + path.name)
                    except DefinitionError as error:
                        loaded = error
                    self._files[path] = (mtime, loaded)
            for stale in {p for p in self._files if p.parent == folder} - set(paths):
                del self._files[stale]
            return [self._files[path][1] for path in paths]

    def _current(self) -> list[Definition | DefinitionError]:
        return self._load(self.folder, "forms/")

    def _previous(self) -> list[Definition | DefinitionError]:
        return self._load(self.folder / PREVIOUS_FOLDER, f"forms/{PREVIOUS_FOLDER}/")

    def definitions(self) -> list[Definition]:
        """The current version of each questionnaire."""
        return [item for item in self._current() if isinstance(item, Definition)]

    def previous_definitions(self) -> list[Definition]:
        """Earlier versions kept in forms/previous/."""
        return [item for item in self._previous() if isinstance(item, Definition)]

    def errors(self) -> list[DefinitionError]:
        return [item for item in self._current() + self._previous() if isinstance(item, DefinitionError)]

    def get(self, form_id: str, version: str | None = None) -> Definition | None:
        """The file's definition of `form_id` (only if its version is `version`, when given)."""
        for definition in self.definitions():
            if definition.form_id == form_id and (version is None or definition.version == version):
                return definition
        return None

    def previous(self, form_id: str, version: str) -> Definition | None:
        """An earlier version of `form_id` kept in forms/previous/."""
        for definition in self.previous_definitions():
            if definition.form_id == form_id and definition.version == version:
                return definition
        return None


def init_app(app: Flask) -> None:
    folder = Path(app.config.get("FORMS_DIR") or Path(app.root_path).parent / "forms")
    app.extensions["surveyapp.questionnaires"] = Registry(folder)


def registry() -> Registry:
    return current_app.extensions["surveyapp.questionnaires"]
