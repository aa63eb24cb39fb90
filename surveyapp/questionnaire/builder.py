"""One builder: a questionnaire definition → a Flask-WTF form class (CSRF on).

Fields only carry what was typed; `answers.check_answers` decides what is valid, so the web form,
the API and imports share one set of rules. Groups shape the page, not the form: every field sits at
the top level except repeat rows (FieldList of FormField) and GPS points (FormField lat/lon/accuracy).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form, FormField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import FieldList
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget
from werkzeug.datastructures import FileStorage

from .definition import Definition, Question


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GeopointForm(Form):
    lat = StringField(render_kw={"inputmode": "decimal", "autocomplete": "off"})
    lon = StringField(render_kw={"inputmode": "decimal", "autocomplete": "off"})
    accuracy = StringField(render_kw={"inputmode": "decimal", "autocomplete": "off"})


class PhotoField(StringField):
    """An image answer: the stored photo's file name in a hidden input, and beside it (rendered by the
    page) a file input of the same name for a new photo. `upload` holds the file sent, if any."""

    widget = HiddenInput()
    upload: FileStorage | None = None

    def process_formdata(self, valuelist):
        self.upload = next((v for v in valuelist if isinstance(v, FileStorage) and v.filename), None)
        texts = [v for v in valuelist if isinstance(v, str)]
        self.data = texts[-1] if texts else ""


def _choices(definition: Definition, question: Question, language: str) -> list[SelectChoice]:
    return [SelectChoice(c.name, c.label.get(language) or c.label.get(definition.default_language) or c.name)
            for c in definition.choices[question.list_name]]


def _field(definition: Definition, question: Question, language: str):
    kind = question.kind
    if kind == "text":
        if question.appearance == "multiline":
            return TextAreaField(render_kw={"rows": 3, "maxlength": 2000})
        return StringField(render_kw={"maxlength": 500})
    if kind == "integer":
        return StringField(render_kw={"inputmode": "numeric", "autocomplete": "off"})
    if kind == "decimal":
        return StringField(render_kw={"inputmode": "decimal", "autocomplete": "off"})
    if kind == "date":
        return StringField(render_kw={"type": "date"})
    if kind == "select_one":
        choices = _choices(definition, question, language)
        if question.appearance == "minimal":
            return SelectField(choices=[SelectChoice("", "—")] + choices, validate_choice=False)
        return RadioField(choices=choices, validate_choice=False)
    if kind == "select_multiple":
        return CheckboxListField(choices=_choices(definition, question, language), validate_choice=False)
    if kind == "geopoint":
        return FormField(GeopointForm)
    if kind == "image":
        return PhotoField()
    return None


def _fields(definition: Definition, items: list[Question], language: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in items:
        if item.kind == "group":
            fields.update(_fields(definition, item.children, language))
        elif item.kind == "repeat":
            row_form = type(f"{item.name.title()}Row", (Form,), _fields(definition, item.children, language))
            fields[item.name] = FieldList(FormField(row_form), min_entries=0, max_entries=200)
        else:
            field = _field(definition, item, language)
            if field is not None:
                fields[item.name] = field
    return fields


def build_form_class(definition: Definition, language: str) -> type[FlaskForm]:
    """A FlaskForm subclass with one field per question of the definition."""
    name = "".join(part.title() for part in definition.form_id.replace(".", "-").split("-")) + "Form"
    return type(name, (FlaskForm,), _fields(definition, definition.items, language))


def raw_answers(form: FlaskForm, definition: Definition) -> dict[str, Any]:
    """What was typed, keyed by question name, repeats as lists of row dicts."""
    return _raw(form, definition.items)


def _raw(form, items: list[Question]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        if item.kind == "group":
            values.update(_raw(form, item.children))
        elif item.kind == "repeat":
            values[item.name] = [_raw(entry.form, item.children) for entry in form[item.name].entries]
        elif item.name in form:
            values[item.name] = form[item.name].data
    return values


def form_data(definition: Definition, answers: dict[str, Any], language: str = "vi") -> dict[str, Any]:
    """Stored answers as the `data` a form class accepts (numbers as text, GPS as a dict)."""
    return _data(definition.items, answers or {}, language)


def _data(items: list[Question], answers: dict[str, Any], language: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in items:
        if item.kind == "group":
            data.update(_data(item.children, answers, language))
        elif item.kind == "repeat":
            data[item.name] = [_data(item.children, row, language) for row in answers.get(item.name) or []]
        elif item.kind != "note":
            data[item.name] = _as_text(item, answers.get(item.name), language)
    return data


def _as_text(question: Question, value: Any, language: str) -> Any:
    if value is None:
        return [] if question.kind == "select_multiple" else ({} if question.kind == "geopoint" else "")
    if question.kind == "geopoint" and isinstance(value, dict):
        return {part: decimal_text(value.get(part), language) for part in ("lat", "lon", "accuracy")}
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if question.kind == "decimal" and isinstance(value, float):
        return decimal_text(value, language)
    if question.kind in ("integer", "decimal"):
        return str(value)
    return value


def decimal_text(value: Any, language: str) -> str:
    """A stored number as typed in the language, every digit kept and no thousands groups (9,62315 in
    Vietnamese, 9.62315 in English): what the parser reads back as the same float."""
    if value is None or value == "":
        return ""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    text = str(int(value)) if float(value).is_integer() else f"{Decimal(repr(float(value))):f}"
    return text if language == "en" else text.replace(".", ",")


def photo_fields(form: FlaskForm, definition: Definition) -> list[tuple[str, PhotoField]]:
    """(error key, field) of every image question on the form, repeat rows included."""
    found = []
    for item in definition.items:
        found += _photo_fields(form, item)
    return found


def _photo_fields(form, item: Question) -> list:
    if item.kind == "group":
        return [pair for child in item.children for pair in _photo_fields(form, child)]
    if item.kind == "repeat" and item.name in form:
        return [(f"{item.name}-{index}-{child.name}", entry.form[child.name])
                for index, entry in enumerate(form[item.name].entries)
                for child in _images_within(item.children) if child.name in entry.form]
    if item.kind == "image" and item.name in form:
        return [(item.name, form[item.name])]
    return []


def _images_within(items: list[Question]):
    for item in items:
        if item.kind == "group":
            yield from _images_within(item.children)
        elif item.kind == "image":
            yield item


def attach_errors(form: FlaskForm, errors: dict[str, str]) -> list[tuple[str, str]]:
    """Put each message on its field; returns (field id, message) for the summary on top."""
    placed = []
    for key, message in errors.items():
        field = _field_by_key(form, key)
        if field is None:
            placed.append((key, message))
            continue
        placed.append((field.id, message))
        if isinstance(field, FormField):  # a GPS point: the message goes with its latitude box
            field = field.form.lat
        field.errors = list(field.errors or []) + [message]
    return placed


def _field_by_key(form, key: str):
    """"products-0-product_name" → the field of row 0 of the products FieldList."""
    parts = key.split("-")
    if parts[0] not in form:
        return None
    field = form[parts[0]]
    if len(parts) == 3 and isinstance(field, FieldList):
        index = int(parts[1])
        if index < len(field.entries) and parts[2] in field.entries[index].form:
            return field.entries[index].form[parts[2]]
        return None
    return field
