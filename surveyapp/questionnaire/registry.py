"""The questionnaires in forms/: loaded once, reloaded when a file changes."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from .definition import Definition, DefinitionError, load_definition_file

FORM_SUFFIX = ".md"


class Registry:
    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[float, Definition | DefinitionError]] = {}

    def _load(self) -> list[Definition | DefinitionError]:
        with self._lock:
            paths = sorted(self.folder.glob(f"*{FORM_SUFFIX}")) if self.folder.is_dir() else []
            paths = [p for p in paths if p.name.lower() != "readme.md"]
            for path in paths:
                mtime = path.stat().st_mtime
                cached = self._files.get(path)
                if cached is None or cached[0] != mtime:
                    try:
                        loaded: Definition | DefinitionError = load_definition_file(path, f"forms/{path.name}")
                    except DefinitionError as error:
                        loaded = error
                    self._files[path] = (mtime, loaded)
            for stale in set(self._files) - set(paths):
                del self._files[stale]
            return [self._files[path][1] for path in paths]

    def definitions(self) -> list[Definition]:
        return [item for item in self._load() if isinstance(item, Definition)]

    def errors(self) -> list[DefinitionError]:
        return [item for item in self._load() if isinstance(item, DefinitionError)]

    def get(self, form_id: str, version: str | None = None) -> Definition | None:
        """The file's definition of `form_id` (only if its version is `version`, when given)."""
        for definition in self.definitions():
            if definition.form_id == form_id and (version is None or definition.version == version):
                return definition
        return None


def init_app(app: Flask) -> None:
    folder = Path(app.config.get("FORMS_DIR") or Path(app.root_path).parent / "forms")
    app.extensions["surveyapp.questionnaires"] = Registry(folder)


def registry() -> Registry:
    return current_app.extensions["surveyapp.questionnaires"]
