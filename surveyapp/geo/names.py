"""Unit names as people write them, reduced to one key: "Huyện Mỹ Tú" = "H. Mỹ Tú" = "My Tu" = "My Tu District".

Pure functions, no database. The type prefix is kept apart so two units that differ only by type
("Xã Long Phú" and "Thị trấn Long Phú", both in Sóc Trăng) can still be told apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import fold

#: Written forms of each unit type (folded), longest first within a type; value = canonical type.
_TYPE_WORDS = [
    ("thanh pho", "thanh pho"), ("tp", "thanh pho"), ("city", "thanh pho"),
    ("thi xa", "thi xa"), ("tx", "thi xa"), ("town", "thi xa"),
    ("thi tran", "thi tran"), ("tt", "thi tran"), ("township", "thi tran"),
    ("huyen", "huyen"), ("h", "huyen"), ("district", "huyen"),
    ("quan", "quan"), ("q", "quan"),
    ("phuong", "phuong"), ("p", "phuong"), ("ward", "phuong"),
    ("xa", "xa"), ("x", "xa"), ("commune", "xa"),
    ("tinh", "tinh"), ("province", "tinh"),
]
_PREFIXES = sorted(_TYPE_WORDS, key=lambda item: -len(item[0]))
#: English writes the type after the name ("My Tu District", "Soc Trang City").
_SUFFIXES = [(word, kind) for word, kind in _PREFIXES if word in
             {"city", "town", "township", "district", "ward", "commune", "province"}]
_PUNCTUATION = re.compile(r"[.,;:()\[\]\-–—_/'\"]+")
_COMPACT_NUMBERED = re.compile(r"^(p|q|f)(\d+)$")  # "P5", "Q1": ward or urban district by number


@dataclass(frozen=True)
class NameKey:
    #: Folded name without its type and with numbers unpadded, e.g. "my tu", "5".
    name: str
    #: Canonical folded type when the text carried one ("huyen", "phuong"...), else None.
    unit_type: str | None = None


def name_key(text: str | None) -> NameKey:
    """The comparable form of a unit name written in any of the usual ways."""
    words = _PUNCTUATION.sub(" ", fold(text)).split()
    unit_type = None
    if len(words) == 1 and (compact := _COMPACT_NUMBERED.match(words[0])):
        return NameKey(str(int(compact.group(2))), "quan" if compact.group(1) == "q" else "phuong")
    for written, kind in _PREFIXES:
        prefix = written.split()
        if len(words) > len(prefix) and words[: len(prefix)] == prefix:
            words, unit_type = words[len(prefix):], kind
            break
    else:
        for written, kind in _SUFFIXES:
            if len(words) > 1 and words[-1] == written:
                words, unit_type = words[:-1], kind
                break
    words = [str(int(word)) if word.isdigit() else word for word in words]
    return NameKey(" ".join(words), unit_type)


def name_keys(text: str | None) -> list[NameKey]:
    """Keys to try for a name found in a file: without its type first, then the whole folded text,
    because a name may begin with a word that looks like a type ("Xà Phiên" is not "Xã Phiên")."""
    stripped = name_key(text)
    words = [str(int(word)) if word.isdigit() else word for word in _PUNCTUATION.sub(" ", fold(text)).split()]
    whole = NameKey(" ".join(words))
    return [stripped] if whole.name == stripped.name else [stripped, whole]


def type_key(unit_type: str | None) -> str | None:
    """The canonical key of a unit type as stored on AdminUnit ("Thị xã" → "thi xa")."""
    if not unit_type:
        return None
    folded = fold(unit_type)
    return next((kind for written, kind in _PREFIXES if written == folded), folded)
