"""Answers shown to people, and the per-field difference between two versions of a record. Pure."""
from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from ..questionnaire.definition import Definition, Question

_UNIT_SUFFIX = {"million_vnd": {"vi": " triệu đồng", "en": " million VND"}, "percent": {"vi": " %", "en": " %"}}


def display_value(definition: Definition, question: Question, value: Any, language: str) -> str:
    """One answer as text in the reader's language: choice labels, 1.234,5 numbers, dd/mm/yyyy dates."""
    if value is None or value == [] or value == "":
        return "–"
    locale = "en" if language == "en" else "vi"
    if question.kind == "select_one":
        return definition.choice_label(question.list_name, value, language)
    if question.kind == "select_multiple":
        return "; ".join(definition.choice_label(question.list_name, item, language) for item in value)
    if question.kind == "integer" and _is_year(question):
        return str(value)  # 2015, never 2.015
    if question.kind in ("integer", "decimal") or (
            question.kind == "calculate" and isinstance(value, (int, float)) and not isinstance(value, bool)):
        text = format_decimal(value, format="#,##0.###", locale=locale)
        return text + _UNIT_SUFFIX.get(question.unit, {}).get(locale, "")
    if question.kind == "date":
        return format_date(dt.date.fromisoformat(value), "dd/MM/yyyy" if locale == "vi" else "d MMM yyyy",
                           locale=locale)
    if question.kind == "geopoint":
        text = f"{format_decimal(value['lat'], '0.00000', locale=locale)}, {format_decimal(value['lon'], '0.00000', locale=locale)}"
        return text + (f" (±{format_decimal(value['accuracy'], '0.#', locale=locale)} m)" if value.get("accuracy") else "")
    return str(value)


def _is_year(question: Question) -> bool:
    """Year questions are named so in every form (year_started, support_year, typical_product_year)."""
    return "year" in question.name.split("_")


def _flatten(definition: Definition, answers: dict[str, Any], language: str) -> dict[str, tuple[str, str]]:
    """{key: (label, shown value)} with repeat rows as "products 2 › Product name"."""
    flat: dict[str, tuple[str, str]] = {}
    for question in definition.walk():
        if question.repeat or question.kind in ("group", "note"):
            continue
        if question.kind == "repeat":
            for index, row in enumerate(answers.get(question.name) or [], start=1):
                for child in question.children:
                    label = f"{question.text('label', language)} {index} › {child.text('label', language)}"
                    flat[f"{question.name}-{index}-{child.name}"] = (
                        label, display_value(definition, child, row.get(child.name), language))
            continue
        flat[question.name] = (question.text("label", language),
                               display_value(definition, question, answers.get(question.name), language))
    return flat


def diff_answers(definition: Definition, old: dict[str, Any], new: dict[str, Any], language: str) -> list[dict]:
    """[{key, label, old, new}] for every answer whose shown value differs, in questionnaire order."""
    before, after = _flatten(definition, old or {}, language), _flatten(definition, new or {}, language)
    changes = []
    for key in list(after) + [k for k in before if k not in after]:
        label = (after.get(key) or before.get(key))[0]
        old_text, new_text = before.get(key, (label, "–"))[1], after.get(key, (label, "–"))[1]
        if old_text != new_text:
            changes.append({"key": key, "label": label, "old": old_text, "new": new_text})
    return changes


def answers_to_read(definition: Definition, answers: dict[str, Any], language: str) -> list[tuple[str, str, str]]:
    """A record to read, not edit: ("section" | "row" | "answer" | "photo", label, shown value) in questionnaire
    order; only what was answered, with the sections and repeat rows it sits in (a photo: its file name)."""
    return _lines(definition, definition.items, answers or {}, language)


def _lines(definition: Definition, items: list[Question], answers: dict[str, Any], language: str) -> list:
    lines: list[tuple[str, str, str]] = []
    for item in items:
        label = item.text("label", language)
        if item.kind == "group":
            inner = _lines(definition, item.children, answers, language)
            lines += ([("section", label, "")] if inner and label else []) + inner
        elif item.kind == "repeat":
            rows = [_lines(definition, item.children, row, language) for row in answers.get(item.name) or []]
            if any(rows):
                lines.append(("section", label, ""))
                for number, row in enumerate(rows, start=1):
                    lines += [("row", f"{label} {number}", "")] + row
        elif item.kind == "image" and answers.get(item.name):
            lines.append(("photo", label, answers[item.name]))
        elif item.kind != "note" and answers.get(item.name) not in (None, "", []):
            lines.append(("answer", label, display_value(definition, item, answers[item.name], language)))
    return lines
