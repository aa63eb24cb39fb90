"""Vietnamese-aware text folding, so that "co so banh pia" finds "Cơ sở Bánh Pía"."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own in Unicode, not d + a combining mark, so NFD leaves them alone.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lowercase, strip diacritics (including đ), collapse whitespace."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box query; each must appear for a row to match."""
    return [word for word in fold(query).split(" ") if word]


def establishment_search_text(name: str | None, owner: str | None, address: str | None) -> str:
    """What the `q` filter searches: name, owner and address folded into one string."""
    return " | ".join(fold(part) for part in (name, owner, address) if part)
