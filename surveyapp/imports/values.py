"""One cell at a time: raw spreadsheet values to typed values, or a message saying what is wrong.

Each parser returns the typed value (None for an empty cell) or raises `CellError`. Numbers are read
the way the questionnaire reads them: "1.500.000", "1,500,000" and "1 500 000" are all 1500000.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..exports.xlsx import FORMULA_TRIGGERS
from ..models import EstablishmentStatus, LegalForm
from ..reference import ESTABLISHMENT_STATUS_LABELS, LEGAL_FORM_LABELS, sector_of_vsic
from ..text import fold

_PLAIN_INTEGER = re.compile(r"^[+-]?\d+$")
_GROUPED_INTEGER = re.compile(r"^[+-]?\d{1,3}([.,\s]\d{3})+$")
_COORDINATE = re.compile(r"^[+-]?\d{1,3}([.,]\d+)?$")
_ESTABLISHMENT_CODE = re.compile(r"^\d{2}-\d{3}-\d{6}$")
_VSIC = re.compile(r"^\d{4,5}$")
#: Longest text per column (the database's limits).
MAX_LENGTH = {"name": 200, "owner": 120, "address": 250, "phone": 20, "tax_code": 20}


class CellError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def text(raw: Any, limit: int | None = None) -> str | None:
    """Trimmed text; the apostrophe an export puts before "=", "+", "-", "@" is removed again."""
    if raw is None:
        return None
    if raw.__class__ is str:  # every cell of a CSV, most of a workbook's: the checks below are for the rest
        value = raw.strip()
    else:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, (dt.datetime, dt.date)):
            raw = raw.isoformat()
        value = str(raw).strip()
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        value = value[1:]
    if limit is not None and len(value) > limit:
        raise CellError(_l("At most %(n)d characters.", n=limit))
    return value or None


def digits_code(raw: Any, width: int) -> str | None:
    """A numeric code that a spreadsheet may have turned into a number (31498 → "31498", 893 → "0893")."""
    if isinstance(raw, bool):
        raise CellError(_l("Enter a code of digits."))
    if isinstance(raw, (int, float)) and float(raw).is_integer():
        return str(int(raw)).zfill(width)
    return text(raw)


def whole_number(raw: Any, low: int = 0, high: int | None = None) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise CellError(_l("Enter a whole number, e.g. 1500 or 1.500."))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise CellError(_l("Enter a whole number, e.g. 1500 or 1.500."))
        value = int(raw)
    else:
        cleaned = text(raw).replace("\u00a0", " ")
        if _PLAIN_INTEGER.match(cleaned):
            value = int(cleaned)
        elif _GROUPED_INTEGER.match(cleaned):
            value = int(re.sub(r"[.,\s]", "", cleaned))
        else:
            raise CellError(_l("Enter a whole number, e.g. 1500 or 1.500."))
    if value < low:
        raise CellError(_l("Must be at least %(n)s.", n=low))
    if high is not None and value > high:
        # Vietnamese thousands dots for amounts (1.000.000); a bound of four digits is a year: 2026, never 2.026.
        raise CellError(_l("Must be at most %(n)s.", n=f"{high:,}".replace(",", ".") if high >= 10_000 else str(high)))
    return value


def coordinate(raw: Any) -> float | None:
    """9.6031 or 9,6031 (a decimal comma); a coordinate never has thousands separators."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise CellError(_l("Enter a number, e.g. 9.6031."))
    if isinstance(raw, (int, float)):
        return float(raw)
    cleaned = text(raw)
    if not _COORDINATE.match(cleaned):
        raise CellError(_l("Enter a number, e.g. 9.6031."))
    return float(cleaned.replace(",", "."))


def establishment_code(raw: Any) -> str | None:
    value = text(raw)
    if value is not None and not _ESTABLISHMENT_CODE.match(value):
        raise CellError(_l("An establishment code looks like 94-947-000123."))
    return value


def vsic_code(raw: Any) -> str | None:
    value = digits_code(raw, 4)
    if value is None:
        return None
    if not _VSIC.match(value):
        raise CellError(_l("A VSIC code has 4 or 5 digits, e.g. 1061."))
    try:
        sector_of_vsic(value)
    except ValueError:
        raise CellError(_l("VSIC division %(division)s is not an industrial division.", division=value[:2])) from None
    return value


def legal_form(raw: Any) -> str | None:
    value = text(raw)
    if value is None:
        return None
    found = _choices("legal_form").get(fold(value))
    if found is None:
        raise CellError(_l("Unknown legal form; use one of: %(values)s.",
                           values=", ".join(form.value for form in LegalForm)))
    return found


def status(raw: Any) -> str | None:
    value = text(raw)
    if value is None:
        return None
    found = _choices("status").get(fold(value))
    if found is None:
        raise CellError(_l("Unknown status; use one of: %(values)s.",
                           values=", ".join(choice.value for choice in EstablishmentStatus)))
    return found


@cache
def _choices(kind: str) -> dict[str, str]:
    """Folded spellings → code: the code, its labels in both languages, the abbreviation in brackets."""
    labels = LEGAL_FORM_LABELS if kind == "legal_form" else ESTABLISHMENT_STATUS_LABELS
    spellings: dict[str, str] = {}
    for choice, label in labels.items():
        spellings[fold(choice.value)] = spellings[fold(choice.value.replace("_", " "))] = choice.value
        for language in ("vi", "en"):
            with force_locale(language):
                written = str(label)
            spellings[fold(written)] = choice.value
            plain, _, bracket = written.partition("(")
            spellings[fold(plain)] = choice.value
            if bracket:
                spellings[fold(bracket.rstrip(")"))] = choice.value
    return spellings
