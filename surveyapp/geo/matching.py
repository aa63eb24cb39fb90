"""Which administrative unit each feature of a boundary file outlines: by GSO code, else by name.

Pure: no database, no files. Names are compared through `names.name_keys`, so "Huyện Mỹ Tú",
"H. Mỹ Tú" and "My Tu" agree. When a name fits several units (Sóc Trăng has "Thị trấn Long Phú"
and "Xã Long Phú", and a "Phường 1" in three towns), the type written in the file decides, then
the unit whose geocoded centroid lies inside the feature.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import pandas as pd

from .names import NameKey, name_key, name_keys, type_key

#: Why a feature was not used.
NO_GEOMETRY = "no_geometry"
NOT_POLYGON = "not_polygon"
NO_MATCH = "no_match"
AMBIGUOUS = "ambiguous"
DUPLICATE = "duplicate"
CODE_WIDTH = {"province": 2, "district": 3, "commune": 5}


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    unit_type: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def key(self) -> NameKey:
        return NameKey(name_key(self.name).name, type_key(self.unit_type))


@dataclass(frozen=True)
class FeatureMatch:
    #: Row of the feature in the file, from 0.
    index: int
    source_code: str | None
    source_name: str | None
    unit_code: str | None = None
    #: "code" or "name" when matched.
    method: str | None = None
    #: Why it was not matched (one of the constants above), None when matched.
    problem: str | None = None
    #: Units a name could mean, for an ambiguous or duplicate feature.
    candidates: tuple[str, ...] = ()
    #: Whether the unit's geocoded centroid lies inside the feature (None: the unit has none).
    centroid_inside: bool | None = None

    @property
    def matched(self) -> bool:
        return self.unit_code is not None and self.problem is None


def normalize_code(value, width: int) -> str | None:
    """941, "941", 941.0, " 0941 " → "941" (width 3); anything not a whole number → None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    text = text.lstrip("0") or "0"
    return text.zfill(width) if len(text) <= width else None


def _text(value) -> str | None:
    import pandas as pd
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def detect_code_field(frame: pd.DataFrame, fields: Sequence[str], units: Sequence[UnitRef], width: int) -> str | None:
    """The attribute holding GSO codes: the one matching most units, if it matches at least half."""
    codes = {unit.code for unit in units}
    best, best_hits = None, 0
    for name in fields:
        hits = sum(1 for value in frame[name] if normalize_code(value, width) in codes)
        if hits > best_hits:
            best, best_hits = name, hits
    needed = max(1, math.ceil(0.5 * min(len(frame), len(units))))
    return best if best_hits >= needed else None


def detect_name_field(frame: pd.DataFrame, fields: Sequence[str], units: Sequence[UnitRef]) -> str | None:
    """The attribute holding unit names: the one whose values match most unit names."""
    keys = {unit.key.name for unit in units}
    best, best_hits = None, 0
    for name in fields:
        values = [_text(value) for value in frame[name]]
        if not any(isinstance(value, str) and not value.isdigit() for value in values):
            continue
        hits = sum(1 for value in values if value and any(k.name in keys for k in name_keys(value)))
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def column_values(frame: pd.DataFrame, field: str | None, width: int | None = None) -> list[str | None]:
    if field is None:
        return [None] * len(frame)
    if width is None:
        return [_text(value) for value in frame[field]]
    return [normalize_code(value, width) for value in frame[field]]


def match_features(
    codes: Sequence[str | None],
    names: Sequence[str | None],
    units: Sequence[UnitRef],
    usable: Sequence[str | None],
    centroids_within: dict[int, set[str]],
) -> list[FeatureMatch]:
    """One FeatureMatch per feature. `usable[i]` is None for a polygon, else its problem;
    `centroids_within[i]` holds the units whose centroid lies inside feature i."""
    by_code = {unit.code: unit for unit in units}
    by_name: dict[str, list[UnitRef]] = defaultdict(list)
    for unit in units:
        by_name[unit.key.name].append(unit)
    first = []
    for index, (code, name, problem) in enumerate(zip(codes, names, usable)):
        match = FeatureMatch(index, code, name)
        if problem:
            first.append(replace(match, problem=problem))
        elif code in by_code:
            first.append(replace(match, unit_code=code, method="code"))
        else:
            first.append(_by_name(match, by_name, centroids_within.get(index, set())))
    resolved = _resolve_duplicates(first, centroids_within)
    return [_with_centroid_check(match, by_code, centroids_within) for match in resolved]


def _by_name(match: FeatureMatch, by_name: dict[str, list[UnitRef]], inside: set[str]) -> FeatureMatch:
    for key in name_keys(match.source_name):
        candidates = by_name.get(key.name, []) if key.name else []
        if key.unit_type:
            same_type = [unit for unit in candidates if unit.key.unit_type == key.unit_type]
            candidates = same_type or candidates
        if len(candidates) == 1:
            return replace(match, unit_code=candidates[0].code, method="name")
        if len(candidates) > 1:
            containing = [unit for unit in candidates if unit.code in inside]
            if len(containing) == 1:
                return replace(match, unit_code=containing[0].code, method="name")
            return replace(match, problem=AMBIGUOUS, candidates=tuple(unit.code for unit in candidates))
    return replace(match, problem=NO_MATCH)


def _resolve_duplicates(matches: list[FeatureMatch], centroids_within: dict[int, set[str]]) -> list[FeatureMatch]:
    """Several features for one unit: features matched by code are parts of it (merged later);
    by name, only the one holding the unit's centroid stays."""
    by_unit: dict[str, list[FeatureMatch]] = defaultdict(list)
    for match in matches:
        if match.matched:
            by_unit[match.unit_code].append(match)
    dropped: dict[int, FeatureMatch] = {}
    for code, group in by_unit.items():
        if len(group) == 1:
            continue
        by_code = [m for m in group if m.method == "code"]
        keep = by_code or [m for m in group if code in centroids_within.get(m.index, set())]
        if not by_code and len(keep) != 1:
            keep = []
        for match in group:
            if match not in keep:
                dropped[match.index] = replace(match, unit_code=None, method=None, problem=DUPLICATE,
                                               candidates=(code,))
    return [dropped.get(match.index, match) for match in matches]


def _with_centroid_check(match: FeatureMatch, by_code: dict[str, UnitRef],
                         centroids_within: dict[int, set[str]]) -> FeatureMatch:
    if not match.matched:
        return match
    unit = by_code[match.unit_code]
    if unit.lat is None or unit.lon is None:
        return match
    return replace(match, centroid_inside=match.unit_code in centroids_within.get(match.index, set()))
