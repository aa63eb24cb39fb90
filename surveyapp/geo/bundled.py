"""Boundary files shipped with the app (`maps/provinces/<code>/bundle.json`), imported by `flask setup`
so that a fresh installation of a province we carry outlines for shows its district map at once.

Each bundle names its files, the level they outline, their attribute columns and the attribution its
licence asks for; the attribution is stored as the boundaries' source and shown on the map. A level
that already has boundaries is left alone: an admin's own import always wins.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from . import queries
from .services import ImportReport, import_boundaries

BUNDLE_FILE = "bundle.json"


@dataclass(frozen=True)
class BundledLayer:
    level: str
    path: Path
    code_field: str | None
    name_field: str | None
    attribution: str


def bundled_layers(maps_folder: Path, province_code: str) -> list[BundledLayer]:
    """The layers shipped for `province_code` (none when the app carries no outline for it)."""
    manifest = maps_folder / "provinces" / province_code / BUNDLE_FILE
    if not manifest.is_file():
        return []
    bundle = json.loads(manifest.read_text(encoding="utf-8"))
    if bundle.get("province_code") != province_code:
        raise ValueError(f"{manifest}: province_code {bundle.get('province_code')!r} is not {province_code!r}")
    return [BundledLayer(level=layer["level"], path=manifest.parent / layer["file"],
                         code_field=layer.get("code_field"), name_field=layer.get("name_field"),
                         attribution=layer["attribution"])
            for layer in bundle.get("layers", [])]


def load_bundled_boundaries(session: Session, maps_folder: Path, province_code: str) -> list[ImportReport]:
    """Import each shipped layer whose level has no boundary yet; the reports of those imported."""
    stored = queries.boundary_counts(session, province_code)
    reports = []
    for layer in bundled_layers(maps_folder, province_code):
        if stored.get(layer.level):
            continue
        report = import_boundaries(session, layer.path, level=layer.level, province_code=province_code,
                                   code_field=layer.code_field, name_field=layer.name_field,
                                   file_name=layer.attribution)
        if report.applied:
            reports.append(report)
    return reports
