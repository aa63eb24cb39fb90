"""The questionnaire's rules as the browser reads them, and error messages that name their question.

The page carries `browser_questions` (data-questions) and `browser_texts` (data-validation-texts);
static/js/validation.js checks answers with them exactly as answers.check_answers does on the server:
the same parsed ASTs, the same messages in the page's language. tests/validation_cases.json holds the
cases both sides must agree on. The server stays the judge: it checks everything again.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from .answers import MAX_REPEAT_ROWS, MAX_TEXT, constraint_message, required_message
from .definition import Definition


def browser_questions(definition: Definition, language: str) -> dict[str, dict[str, Any]]:
    """Every item by name, in document order: what the page's scripts need to show and check it."""
    parents = {child.name: item.name for item in definition.walk() for child in item.children}
    index: dict[str, dict[str, Any]] = {}
    for item in definition.walk():
        entry: dict[str, Any] = {"kind": item.kind, "repeat": item.repeat, "parent": parents.get(item.name),
                                 "label": item.text("label", language)}
        if item.relevant is not None:
            entry["relevant"] = item.relevant
        if item.required:
            entry["required"] = required_message(item, language)
        if item.constraint is not None:
            entry["constraint"] = item.constraint
            entry["constraint_message"] = constraint_message(item, language)
        if item.kind in ("select_one", "select_multiple"):
            entry["choices"] = [choice.name for choice in definition.choices.get(item.list_name or "", [])]
        if item.calculation is not None:
            entry["calculation"] = item.calculation
        if item.choice_filter is not None:
            entry["choice_filter"] = item.choice_filter
            entry["choice_columns"] = {choice.name: choice.columns
                                       for choice in definition.choices.get(item.list_name or "", [])}
        index[item.name] = entry
    return index


def browser_texts(language: str) -> dict[str, Any]:
    """The type messages of answers.coerce, translated, for the browser (language: how numbers read)."""
    return {
        "language": language,
        "max_text": MAX_TEXT,
        "max_rows": MAX_REPEAT_ROWS,
        "too_long": str(_l("At most %(n)d characters.", n=MAX_TEXT)),
        "integer": str(_l("Enter a whole number, e.g. 1500 or 1.500.")),
        "decimal": str(_l("Enter a number, e.g. 12,5.")),
        "date": str(_l("Enter a date as dd/mm/yyyy.")),
        "choose": str(_l("Choose one of the options.")),
        "unknown_option": str(_l("Unknown option: %(value)s", value="{value}")),
        "geopoint_missing": str(_l("Give latitude and longitude.")),
        "geopoint_numbers": str(_l("Latitude and longitude must be numbers, e.g. 9,6025 and 105,9739.")),
        "geopoint_range": str(_l("Latitude must be between -90 and 90, longitude between -180 and 180.")),
        "photo": str(_l("Take or choose the photo again.")),
        "too_many_rows": str(_l("At most %(n)d rows.", n=MAX_REPEAT_ROWS)),
        "filtered_out": str(_l("This option does not fit the answers given above.")),
        "summary": str(_l("The questionnaire was not saved. Please correct:")),
    }


def question_label(definition: Definition, key: str, language: str) -> str:
    """The label of an error key: "workers_female" → its label; "products-0-product_name" → "Sản phẩm
    chính 1 · Tên sản phẩm"; "" for a key that names no question."""
    parts = key.split("-")
    if len(parts) == 3 and parts[1].isdigit() and parts[0] in definition.by_name and parts[2] in definition.by_name:
        repeat, child = definition.by_name[parts[0]], definition.by_name[parts[2]]
        return f"{repeat.text('label', language)} {int(parts[1]) + 1} · {child.text('label', language)}"
    question = definition.by_name.get(key)
    return question.text("label", language) if question is not None else ""


def named(definition: Definition, key: str, message: str, language: str) -> str:
    """"Tổng số lao động thường xuyên (người): Câu này bắt buộc." (the message alone for an unknown key)."""
    label = question_label(definition, key, language)
    return f"{label}: {message}" if label else message


def named_errors(definition: Definition, errors: dict[str, str], language: str) -> list[dict[str, str]]:
    """Errors in document order, each with its question's label, for the API and the outbox."""
    return [{"field": key, "label": question_label(definition, key, language), "message": message}
            for key, message in errors.items()]
