"""A linked pair's reasons in words, in the page's language: "tên giống (0,97): +8,2; chủ khác: −3,8"."""
from __future__ import annotations

from flask_babel import gettext as _

from ..i18n import format_number
from .linkage import Contribution


def signed(weight: float) -> str:
    """+4,2 / −3,1 (a real minus sign), one decimal, the language's decimal mark."""
    text = format_number(abs(weight), 1)
    return ("+" if weight >= 0 else "\u2212") + text


def level_words(item: Contribution) -> str:
    similarity = format_number(item.value, 2) if item.value is not None else "–"
    metres = format_number(item.value) if item.value is not None else "–"
    words = {
        ("business", "exact"): lambda: _("same name"),
        ("business", "reordered"): lambda: _("same words in the name"),
        ("business", "close"): lambda: _("nearly the same name (%(similarity)s)", similarity=similarity),
        ("business", "similar_trade"): lambda: _("similar name (%(similarity)s), same trade", similarity=similarity),
        ("business", "similar"): lambda: _("similar name (%(similarity)s), other trade", similarity=similarity),
        ("business", "trade"): lambda: _("other name, same trade"),
        ("business", "else"): lambda: _("other name, other trade"),
        ("contact", "owner_phone"): lambda: _("same owner and phone"),
        ("contact", "owner"): lambda: _("same owner"),
        ("contact", "owner_other_phone"): lambda: _("same owner, other phone"),
        ("contact", "phone"): lambda: _("same phone"),
        ("contact", "phone_family"): lambda: _("same phone, owners of one family"),
        ("contact", "phone_other_owner"): lambda: _("same phone, other owner"),
        ("contact", "family"): lambda: _("other owner of the same family name"),
        ("contact", "other_owner"): lambda: _("other owner"),
        ("contact", "else"): lambda: _("other phone"),
        ("tax", "exact"): lambda: _("same tax code"),
        ("tax", "else"): lambda: _("other tax code"),
        ("place", "near"): lambda: _("GPS points %(metres)s m apart", metres=metres),
        ("place", "address"): lambda: _("same address"),
        ("place", "close"): lambda: _("GPS points %(metres)s m apart", metres=metres),
        ("place", "commune"): lambda: _("same commune"),
        ("place", "district"): lambda: _("other commune of the same district"),
        ("place", "else"): lambda: _("other district"),
    }
    return words[(item.comparison, item.level)]()


def contribution_text(item: Contribution) -> str:
    return _("%(reason)s: %(weight)s", reason=level_words(item), weight=signed(item.weight))
