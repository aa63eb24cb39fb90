"""Answers against a definition: typed values, skip logic, required fields and constraints.

The one place that decides whether answers are acceptable, whatever brought them (web form, JSON
API, spreadsheet import). Raw values may be strings as typed ("1.500.000", "12,5", "26/11/2026") or
already typed JSON values. Answers to questions that are not relevant are dropped (stored empty) and
not validated, as in ODK.

Error keys name the field the way the web form does: "workers_female", "products-0-product_name",
"location" (WTForms FieldList/FormField naming), so the form can put each message beside its field.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Integer

from .. import clock
from ..models import Establishment
from . import expressions
from .definition import Definition, Question

_GROUPED_INTEGER = re.compile(r"^[+-]?\d{1,3}([.,\s]\d{3})+$")
_PLAIN_INTEGER = re.compile(r"^[+-]?\d+$")
#: The answer to an image question: the stored photo's SHA-256 and ".jpg" (static/js/validation.js alike).
PHOTO_NAME = re.compile(r"[0-9a-f]{64}\.jpg")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: Characters of the longest number worth reading: int() refuses past 4,300 digits with a ValueError.
_LONGEST_NUMBER = 60
MAX_TEXT = 2000
MAX_REPEAT_ROWS = 200
#: Largest number an answer may hold when no registry column bounds it: past 10^15 a float is no longer
#: exact to the unit, and no census answer (workers, đồng, tonnes) comes near it.
MAX_NUMBER = 10**15
#: Integer column types and the largest value each holds on PostgreSQL (SQLite holds 64 bits in both).
_COLUMN_MAXIMA = ((BigInteger, 2**63 - 1), (Integer, 2**31 - 1))
_UNIT_SCALES = {"million_vnd": 1_000_000}

#: Extra checks a caller adds: (question, value) → message or None (e.g. GPS inside the province).
ExtraCheck = Callable[[Question, Any], "str | None"]


@dataclass
class Outcome:
    answers: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Violation:
    """One answer that breaks a rule of the questionnaire."""

    key: str  #: as the error keys: "workers_female", "products-0-product_value_million_vnd"
    question: Question
    value: Any  #: the typed answer, or the raw one when its type is wrong
    message: str


class _Invalid(Exception):
    def __init__(self, message):
        self.message = str(message)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def coerce(question: Question, definition: Definition, raw: Any, language: str = "vi") -> Any:
    """A raw answer as its typed value (None when empty); raises _Invalid with a message."""
    kind = question.kind
    if kind == "note" or _empty(raw):
        return None
    if kind == "text":
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            raise _Invalid(_l("At most %(n)d characters.", n=MAX_TEXT))
        return text or None
    if kind == "integer":
        return _integer(raw)
    if kind == "decimal":
        return _decimal(raw, language)
    if kind == "date":
        return _date(raw)
    if kind == "select_one":
        value = str(raw).strip()
        if value not in _choice_names(question, definition):
            raise _Invalid(_l("Choose one of the options."))
        return value
    if kind == "select_multiple":
        return _multiple(question, definition, raw)
    if kind == "geopoint":
        return _geopoint(raw)
    if kind == "image":
        return _photo_name(raw)
    raise _Invalid(f"unsupported type {kind}")


def number_limit(question: Question) -> int:
    """The largest absolute value a number answer may take.

    MAX_NUMBER, or less when the answer is copied to a registry column on approval: that column's type
    must hold it in its stored unit (capital in triệu đồng lands in đồng in a BigInteger column).
    """
    column_maximum = _column_maximum(question.establishment_field) if question.establishment_field else None
    if column_maximum is None:
        return MAX_NUMBER
    return min(MAX_NUMBER, column_maximum // _UNIT_SCALES.get(question.unit, 1))


@functools.lru_cache(maxsize=None)
def _column_maximum(field_name: str) -> int | None:
    column = Establishment.__table__.columns.get(field_name)
    if column is None:
        return None
    return next((maximum for kind, maximum in _COLUMN_MAXIMA if isinstance(column.type, kind)), None)


def _within_limit(question: Question, value: int | float, language: str) -> None:
    """Finite and no larger than number_limit: NaN or Infinity is not JSON, a huge number fits no column."""
    limit = number_limit(question)
    if isinstance(value, float) and not math.isfinite(value) or abs(value) > limit:
        shown = f"{limit:,}".replace(",", "." if language == "vi" else ",")
        raise _Invalid(_l("Enter a number between -%(limit)s and %(limit)s.", limit=shown))


def registry_numbers_beyond_limits(definition: Definition, answers: dict[str, Any]) -> list[str]:
    """Names of stored number answers that approval would copy to a registry column unable to hold them
    (records stored before the limits were checked)."""
    beyond = []
    for question in definition.walk():
        value = answers.get(question.name) if question.establishment_field else None
        if question.kind in ("integer", "decimal") and isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                _within_limit(question, value, "en")
            except _Invalid:
                beyond.append(question.name)
    return beyond


def _choice_names(question: Question, definition: Definition) -> list[str]:
    return [choice.name for choice in definition.choices.get(question.list_name or "", [])]


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Invalid(_l("Enter a whole number."))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = str(raw).strip().replace("\u00a0", " ")
    if len(text) > _LONGEST_NUMBER:
        raise _Invalid(_l("This number has too many digits."))
    if _PLAIN_INTEGER.match(text):
        return int(text)
    if _GROUPED_INTEGER.match(text):  # 1.500.000 or 1,500,000 or 1 500 000
        return int(re.sub(r"[.,\s]", "", text))
    raise _Invalid(_l("Enter a whole number, e.g. 1500 or 1.500."))


def _decimal(raw: Any, language: str) -> float | int:
    """Decimal comma and dot thousands in Vietnamese ("1.234,5"), the reverse in English.

    "1.500" typed in Vietnamese is fifteen hundred, not one and a half; a lone separator not followed
    by exactly three digits ("12.5", "0,25") is read as the decimal point whatever the language.
    """
    if isinstance(raw, bool):
        raise _Invalid(_l("Enter a number."))
    if isinstance(raw, (int, float)):
        return raw
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "")
    if len(text) > _LONGEST_NUMBER:
        raise _Invalid(_l("This number has too many digits."))
    group, point = (",", ".") if language == "en" else (".", ",")
    if re.fullmatch(rf"[+-]?\d{{1,3}}(\{group}\d{{3}})+(\{point}\d+)?", text):
        text = text.replace(group, "").replace(point, ".")
    elif re.fullmatch(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)", text):
        text = text.replace(",", ".")
    else:
        raise _Invalid(_l("Enter a number, e.g. 12,5."))
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _date(raw: Any) -> str:
    text = str(raw).strip()
    try:
        if _DMY.match(text):
            day, month, year = (int(part) for part in _DMY.match(text).groups())
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise _Invalid(_l("Enter a date as dd/mm/yyyy.")) from None


def _multiple(question: Question, definition: Definition, raw: Any) -> list[str] | None:
    values = raw.split() if isinstance(raw, str) else [str(v) for v in raw]
    allowed = _choice_names(question, definition)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise _Invalid(_l("Unknown option: %(value)s", value=", ".join(unknown)))
    chosen = [name for name in allowed if name in values]  # choice-list order, no duplicates
    return chosen or None


def _geopoint(raw: Any) -> dict | None:
    if isinstance(raw, str):
        parts = raw.split()
        raw = {"lat": parts[0], "lon": parts[1] if len(parts) > 1 else "",
               "accuracy": parts[3] if len(parts) > 3 else ""}
    if not isinstance(raw, dict):
        raise _Invalid(_l("Give latitude and longitude."))
    if all(_empty(raw.get(key)) for key in ("lat", "lon")):
        return None
    try:
        lat, lon = float(str(raw.get("lat")).replace(",", ".")), float(str(raw.get("lon")).replace(",", "."))
        accuracy_raw = raw.get("accuracy")
        accuracy = None if _empty(accuracy_raw) else round(float(str(accuracy_raw).replace(",", ".")), 1)
    except (TypeError, ValueError):
        raise _Invalid(_l("Latitude and longitude must be numbers, e.g. 9,6025 and 105,9739.")) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (accuracy is not None and not 0 <= accuracy < MAX_NUMBER):
        raise _Invalid(_l("Latitude must be between -90 and 90, longitude between -180 and 180."))
    return {"lat": round(lat, 7), "lon": round(lon, 7), "accuracy": accuracy}


def _photo_name(raw: Any) -> str:
    """A stored photo's file name ("<sha256>.jpg"), as photos.store_photo returns it."""
    text = str(raw).strip() if isinstance(raw, str) else ""
    if not PHOTO_NAME.fullmatch(text):
        raise _Invalid(_l("Take or choose the photo again."))
    return text


def calculated_value(value: Any) -> Any:
    """A calculation's result as stored: a number (whole ones as int), text, or None when empty or not a
    number (NaN); true/false as the words ODK stores. static/js/validation.js stores the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None
        return int(value) if float(value).is_integer() else value
    text = expressions.string(value)
    return text or None


def required_message(question: Question, language: str) -> str:
    return question.text("required_message", language) or str(_l("This answer is required."))


def constraint_message(question: Question, language: str) -> str:
    return question.text("constraint_message", language) or str(
        _l("This answer is not allowed (%(rule)s).", rule=question.constraint_text))


def check_answers(
    definition: Definition,
    raw: dict[str, Any],
    *,
    submit: bool,
    language: str = "vi",
    today: str | None = None,
    extra_check: ExtraCheck | None = None,
) -> Outcome:
    """Type, skip logic and (on submit) required and constraint checks, in document order."""
    checker = _Checker(definition, submit, language, today, extra_check)
    answers = checker.run(raw or {})
    return Outcome(answers, checker.errors)


def rule_violations(definition: Definition, answers: dict[str, Any], *, language: str = "vi",
                    today: str | None = None) -> list[Violation]:
    """Answers (stored or about to be) that break a type or constraint rule, skip logic applied as on
    submit. Missing required answers are not violations here: a draft may still lack them."""
    checker = _Checker(definition, True, language, today, None, violations_only=True)
    checker.run(answers or {})
    return checker.violations


class _Checker:
    def __init__(self, definition, submit, language, today, extra_check, violations_only: bool = False):
        self.definition, self.submit, self.language = definition, submit, language
        self.today = today or clock.local_today().isoformat()  # once, not per expression
        self.extra_check, self.violations_only = extra_check, violations_only
        self.errors: dict[str, str] = {}
        self.violations: list[Violation] = []
        self.answers: dict[str, Any] = {}

    def run(self, raw: dict[str, Any]) -> dict[str, Any]:
        self._items(self.definition.items, raw, row=None, row_key="", relevant=True)
        return self.answers

    def _lookup(self, row: dict | None) -> Callable[[str], Any]:
        def lookup(name: str) -> Any:
            question = self.definition.by_name.get(name)
            if question is None:
                return None
            if question.repeat and row is not None and name in row:
                return row[name]
            if question.repeat:  # referenced from outside its repeat: one value per row
                return [r.get(name) for r in self.answers.get(question.repeat) or []]
            return self.answers.get(name)
        return lookup

    def _true(self, ast, row: dict | None, self_value: Any = None) -> bool:
        return expressions.boolean(expressions.evaluate(ast, self._lookup(row), self_value, self.today))

    def _items(self, items: list[Question], raw: dict, row: dict | None, row_key: str, relevant: bool,
               answered: set[str] | None = None) -> None:
        target = row if row is not None else self.answers
        if answered is None and self.violations_only:
            answered = {name for name, value in raw.items() if not _empty(value)}
        for item in items:
            if answered is not None and self._unanswered(item, answered):
                # Looking for violations only: nothing answered here can break a rule. Outside a repeat
                # row a missing answer reads as None or [] already; inside one it must be None.
                if row is not None:
                    self._leave_empty(item, target)
                continue
            shown = relevant and (item.relevant is None or self._true(item.relevant, row))
            if item.kind == "group":
                self._items(item.children, raw, row, row_key, shown, answered)
            elif item.kind == "repeat":
                self._repeat(item, raw.get(item.name), shown)
            elif item.kind == "calculate":  # what the client sent for it is not read: computed here
                target[item.name] = self._calculated(item, row) if shown else None
            elif item.kind != "note":
                target[item.name] = self._answer(item, raw.get(item.name), row, row_key, shown)

    def _unanswered(self, item: Question, answered: set[str]) -> bool:
        """No answer in this question or group: `answered` holds the names with a non-empty raw answer."""
        if item.kind == "calculate":
            return False  # computed from other answers, even when none was sent for it
        if item.kind == "group":
            keys = self.definition.keys_within[item.name]
            return keys.isdisjoint(answered) and all(self.definition.by_name[k].kind != "calculate" for k in keys)
        return item.name not in answered

    def _leave_empty(self, item: Question, target: dict) -> None:
        for name in self.definition.keys_within[item.name] if item.kind == "group" else (item.name,):
            if self.definition.by_name[name].kind == "repeat":
                self.answers[name] = []
            elif self.definition.by_name[name].kind != "note":
                target[name] = None

    def _repeat(self, repeat: Question, raw_rows: Any, shown: bool) -> None:
        rows: list[dict] = []
        self.answers[repeat.name] = rows
        if not shown or not raw_rows:
            return
        if not isinstance(raw_rows, list) or len(raw_rows) > MAX_REPEAT_ROWS:
            self.errors[repeat.name] = str(_l("At most %(n)d rows.", n=MAX_REPEAT_ROWS))
            return
        for index, raw_row in enumerate(raw_rows):
            raw_row = raw_row if isinstance(raw_row, dict) else {}
            if all(_empty(value) for value in raw_row.values()):
                continue  # a row left blank is no row
            row: dict[str, Any] = {}
            rows.append(row)
            self._items(repeat.children, raw_row, row, f"{repeat.name}-{index}-", True)

    def _calculated(self, question: Question, row: dict | None) -> Any:
        return calculated_value(expressions.evaluate(question.calculation, self._lookup(row), None, self.today))

    def _answer(self, question: Question, raw: Any, row: dict | None, row_key: str, shown: bool) -> Any:
        key = row_key + question.name
        if not shown:
            return None
        try:
            value = coerce(question, self.definition, raw, self.language)
        except _Invalid as invalid:
            self._broken(key, question, raw, invalid.message)
            return None
        if value is not None and question.choice_filter is not None and not self._offered(question, value, row):
            self._broken(key, question, value, str(_l("This option does not fit the answers given above.")))
            return None
        if self.submit and value is not None and question.constraint is not None \
                and not self._true(question.constraint, row, value):
            # The question's own bounds speak first: their message says what the answer should be.
            self._broken(key, question, value, constraint_message(question, self.language))
            return value
        if question.kind in ("integer", "decimal") and value is not None:
            try:
                _within_limit(question, value, self.language)
            except _Invalid as invalid:  # on drafts too: NaN is not JSON, nor does 10^12 fit a column
                self._broken(key, question, value, invalid.message)
                return None
        if not self.submit:
            return value
        if value is None:
            if question.required and not self.violations_only:
                self.errors[key] = required_message(question, self.language)
        elif self.extra_check:
            message = self.extra_check(question, value)
            if message:
                self.errors[key] = message
        return value

    def _offered(self, question: Question, value: Any, row: dict | None) -> bool:
        """Whether every chosen option passes the question's choice_filter."""
        offered = {choice.name for choice in self.definition.offered_choices(question, self._lookup(row), self.today)}
        return all(name in offered for name in (value if isinstance(value, list) else [value]))

    def _broken(self, key: str, question: Question, value: Any, message: str) -> None:
        self.errors[key] = message
        self.violations.append(Violation(key, question, value, message))
