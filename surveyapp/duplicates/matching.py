"""Finding candidate pairs of duplicate establishments. Pure: rows in, scored pairs out.

Blocking keeps the work near-linear: names are compared only within a commune (rapidfuzz's cdist, in
C++ on all cores), and exact keys (tax code, phone) and ~50 m GPS grid cells pair establishments
across communes. Vietnamese names are normalised first: diacritics and đ folded, legal-form
prefixes ("Cơ sở", "CS", "HKD", "DNTN", "Công ty TNHH", "HTX"...) and punctuation dropped.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from ..text import fold

#: Legal-form words that say nothing about which establishment it is (longest first).
_PREFIXES = sorted([
    "co so san xuat", "co so", "cs", "ho kinh doanh ca the", "ho kinh doanh", "hkd", "ho gia dinh", "ho",
    "doanh nghiep tu nhan", "dntn", "cong ty trach nhiem huu han mot thanh vien", "cong ty trach nhiem huu han",
    "cong ty tnhh mtv", "cong ty tnhh", "cty tnhh mtv", "cty tnhh", "tnhh mtv", "tnhh", "cong ty co phan", "cty cp",
    "cong ty", "cty", "hop tac xa", "htx", "to hop tac", "tht", "mot thanh vien", "mtv",
], key=len, reverse=True)
_PREFIX_RE = re.compile(r"^(?:(?:" + "|".join(re.escape(p) for p in _PREFIXES) + r")\b\s*)+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
GRID_DEG = 0.0005  # ~55 m in latitude here; neighbours are checked too
NEAR_METRES = 50.0
DEFAULT_THRESHOLD = 0.85


def normalise_name(name: str | None) -> str:
    """"Cơ sở Bánh Pía Tân Huê Viên" → "banh pia tan hue vien"; "CS. bánh pía" → "banh pia"."""
    text = _NON_WORD.sub(" ", fold(name)).strip()
    stripped = _PREFIX_RE.sub("", text).strip()
    return stripped or text


def normalise_phone(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 9 else ""


def normalise_tax(tax: str | None) -> str:
    digits = re.sub(r"\D", "", tax or "")
    return digits if len(digits) in (10, 13) else ""


@dataclass(frozen=True)
class Candidate:
    """What matching needs of an establishment."""

    code: str
    name: str
    commune_code: str
    phone: str | None = None
    tax_code: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Evidence:
    """Why a pair was proposed, as data: pages word and format it in their language."""

    #: name | tax_code | phone | gps
    kind: str
    #: Name similarity (0–1) or distance in metres.
    value: float | None = None
    same_commune: bool = False

    def __str__(self) -> str:  # English, for the CLI's CSV
        if self.kind == "name":
            return f"similar name ({self.value:.2f})" + (" in the same commune" if self.same_commune else "")
        if self.kind == "gps":
            return f"GPS {self.value:.0f} m apart"
        return {"tax_code": "same tax code", "phone": "same phone"}[self.kind]


@dataclass
class Pair:
    code_a: str
    code_b: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [str(item) for item in self.evidence]


def name_similarity(first: str, second: str) -> float:
    """0–1: the better of plain edit similarity (typos) and sorted-word similarity (word order)."""
    from rapidfuzz import fuzz  # imported by the first comparison, not at start-up

    return max(fuzz.ratio(first, second), fuzz.token_sort_ratio(first, second)) / 100


def _metres(a: Candidate, b: Candidate) -> float:
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6_371_000 * math.hypot(dlat, dlon)


@dataclass
class _Prepared:
    """A candidate with its keys normalised once (not once per pair)."""

    row: Candidate
    name: str
    phone: str
    tax: str


def _score(a: _Prepared, b: _Prepared, similarity: float | None = None) -> Pair:
    reasons: list[Evidence] = []
    if similarity is None:
        similarity = name_similarity(a.name, b.name)
    same_commune = a.row.commune_code == b.row.commune_code
    score = similarity if same_commune else similarity * 0.8
    if similarity >= 0.8:
        reasons.append(Evidence("name", similarity, same_commune))
    if a.tax and a.tax == b.tax:
        score = max(score, 0.95) + 0.05
        reasons.append(Evidence("tax_code"))
    if a.phone and a.phone == b.phone:
        score = max(score, 0.7) + 0.15
        reasons.append(Evidence("phone"))
    if None not in (a.row.lat, a.row.lon, b.row.lat, b.row.lon) and similarity >= 0.6:
        metres = _metres(a.row, b.row)
        if metres <= NEAR_METRES:
            score += 0.1
            reasons.append(Evidence("gps", metres))
    code_a, code_b = sorted((a.row.code, b.row.code))
    return Pair(code_a, code_b, round(min(score, 1.0), 3), reasons)


def _blocks(prepared: list[_Prepared]) -> Iterable[tuple[str, str]]:
    """Pairs of codes worth comparing: same tax code, same phone, or the same ~50 m grid cell."""
    keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in prepared:
        row = item.row
        if item.tax:
            keys[("tax", item.tax)].append(row.code)
        if item.phone:
            keys[("phone", item.phone)].append(row.code)
        if row.lat is not None and row.lon is not None:
            keys[("cell", f"{math.floor(row.lat / GRID_DEG)}:{math.floor(row.lon / GRID_DEG)}")].append(row.code)
    for codes in keys.values():
        if 1 < len(codes) <= 200:  # a key shared by hundreds (a default phone) identifies nothing
            for i, first in enumerate(codes):
                for second in codes[i + 1:]:
                    yield first, second


def _similar_names(names: list[str], cutoff: int) -> Iterable[tuple[int, int, float]]:
    """(i, j, similarity) for the names of one commune that look alike; identical names compared once."""
    unique = sorted(set(names))
    members: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(names):
        members[name].append(index)
    for group in members.values():  # the same name written twice
        for x, first in enumerate(group):
            for second in group[x + 1:]:
                yield first, second, 1.0
    for i, j in _alike(unique, cutoff):
        similarity = name_similarity(unique[i], unique[j])
        for first in members[unique[i]]:
            for second in members[unique[j]]:
                yield first, second, similarity


def _alike(names: list[str], cutoff: int, block: int = 256) -> Iterable[tuple[int, int]]:
    """Index pairs i < j of names scoring at least `cutoff`, comparing each pair once (the upper
    triangle in blocks: half the work of a full similarity matrix)."""
    import numpy
    from rapidfuzz import fuzz, process

    for start in range(0, len(names), block):
        rows = names[start:start + block]
        columns = names[start:]
        matrix = numpy.maximum(
            process.cdist(rows, columns, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, dtype=numpy.uint8, workers=-1),
            process.cdist(rows, columns, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=numpy.uint8, workers=-1))
        matrix[:, :len(rows)] = numpy.triu(matrix[:, :len(rows)], k=1)  # within the block: i < j only
        for i, j in zip(*(axis.tolist() for axis in numpy.nonzero(matrix))):
            yield start + i, start + j


def candidate_pairs(rows: list[Candidate], threshold: float = DEFAULT_THRESHOLD,
                    excluded: set[tuple[str, str]] | None = None) -> list[Pair]:
    """Scored pairs at or above `threshold`, best first; `excluded` pairs (decided already) are skipped."""
    prepared = {row.code: _Prepared(row, normalise_name(row.name), normalise_phone(row.phone),
                                    normalise_tax(row.tax_code)) for row in rows}
    seen: set[tuple[str, str]] = set(excluded or ())
    pairs: list[Pair] = []

    def consider(first: str, second: str, similarity: float | None = None) -> None:
        key = (first, second) if first < second else (second, first)
        if key in seen or first == second:
            return
        seen.add(key)
        pair = _score(prepared[first], prepared[second], similarity)
        if pair.score >= threshold:
            pairs.append(pair)

    by_commune: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_commune[row.commune_code].append(row.code)
    cutoff = max(0, int(threshold * 100) - 5)
    for codes in by_commune.values():
        names = [prepared[code].name for code in codes]
        for i, j, similarity in _similar_names(names, cutoff):
            consider(codes[i], codes[j], similarity)
    for first, second in _blocks(list(prepared.values())):
        consider(first, second)
    pairs.sort(key=lambda p: (-p.score, p.code_a, p.code_b))
    return pairs
