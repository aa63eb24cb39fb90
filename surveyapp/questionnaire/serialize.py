"""A definition as JSON for the API and offline clients: the same parsed rules the server applies."""
from __future__ import annotations

from typing import Any

from .definition import Definition, Question


def _question(question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {"type": question.kind, "name": question.name, "label": question.label}
    optional = {
        "hint": question.hint, "required": question.required or None, "required_message": question.required_message,
        "constraint": question.constraint, "constraint_text": question.constraint_text,
        "constraint_message": question.constraint_message, "relevant": question.relevant,
        "relevant_text": question.relevant_text, "list_name": question.list_name, "appearance": question.appearance,
        "default": question.default, "unit": question.unit, "establishment_field": question.establishment_field,
        "max_accuracy_m": question.max_accuracy_m,
        # an offline client computes a calculate and filters a select's choices as the server does
        "calculation": question.calculation, "calculation_text": question.calculation_text,
        "choice_filter": question.choice_filter, "choice_filter_text": question.choice_filter_text,
    }
    item.update({key: value for key, value in optional.items() if value})
    if question.children:
        item["children"] = [_question(child) for child in question.children]
    return item


def definition_json(definition: Definition) -> dict[str, Any]:
    return {
        "form_id": definition.form_id,
        "version": definition.version,
        "sha256": definition.sha256,
        "title": definition.title,
        "default_language": definition.default_language,
        "items": [_question(item) for item in definition.items],
        "choices": {name: [{"name": c.name, "label": c.label} | ({"extra": c.extra} if c.extra else {})
                           for c in choices]
                    for name, choices in definition.choices.items()},
    }
