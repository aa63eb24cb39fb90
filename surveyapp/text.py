"""Vietnamese-aware text folding, so that "co so banh pia" finds "Cơ sở Bánh Pía"."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
#: Control characters (C0, DEL, C1) and invisible format characters (zero-width, bidi overrides).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# đ/Đ are letters of their own in Unicode, not d + a combining mark, so NFD leaves them alone.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def without_control_characters(text: str) -> str:
    """Text as typed, with each control or invisible format character a space.

    A NUL byte cannot reach PostgreSQL nor an FTS5 query; the others only hide what a string says.
    """
    return _CONTROL.sub(" ", text)


def has_control_characters(text: str) -> bool:
    """Whether `without_control_characters` would change the text."""
    return _CONTROL.search(text) is not None


def fold(text: str | None) -> str:
    """Lowercase, strip diacritics (including đ) and control characters, collapse whitespace."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", without_control_characters(text).translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box query; each must appear for a row to match."""
    return [word for word in fold(query).split(" ") if word]


def establishment_search_text(name: str | None, owner: str | None, address: str | None) -> str:
    """What the `q` filter searches: name, owner and address folded into one string."""
    return " | ".join(fold(part) for part in (name, owner, address) if part)
