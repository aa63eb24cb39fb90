"""A questionnaire as an ODK XForm, built by pyxform (ODK's own converter) from the definition's Markdown.

The XForm asks first which establishment is visited (`select_one_from_file establishments.csv`, the
media file of the enumerator's establishments): a submission names it, so its record attaches to it.
Our own survey columns (unit, establishment_field, max_accuracy_m) mean nothing to ODK and are left out.
"""
from __future__ import annotations

import functools


from .definition import Definition

#: The media file listing the establishments an enumerator may choose (columns name, label, ...).
ESTABLISHMENTS_FILE = "establishments.csv"
#: The question that names the establishment in a submission (its value is the establishment's code).
ESTABLISHMENT_QUESTION = "establishment_code"
_OUR_COLUMNS = ("unit", "establishment_field", "max_accuracy_m")
_ESTABLISHMENT_ROW = {
    "type": f"select_one_from_file {ESTABLISHMENTS_FILE}", "name": ESTABLISHMENT_QUESTION,
    "label::vi": "Cơ sở được khảo sát", "label::en": "Establishment surveyed",
    "hint::vi": "Gõ vài chữ của tên hoặc mã cơ sở để tìm", "hint::en": "Type part of its name or code to find it",
    "required": "yes", "appearance": "autocomplete",
}


class XFormError(ValueError):
    """The definition cannot become an XForm (e.g. it already uses the establishment question's name)."""


def xform_xml(definition: Definition, *, form_id: str | None = None, title: str | None = None) -> str:
    """The XForm of `definition`; its version attribute is ours. `form_id`/`title` replace the settings'
    (the OpenRosa server gives each survey round a form of its own)."""
    if ESTABLISHMENT_QUESTION in definition.by_name:
        raise XFormError(f"the questionnaire already has a question named {ESTABLISHMENT_QUESTION}")
    return _converted(definition.source_text, definition.version, form_id or definition.form_id, title)


@functools.lru_cache(maxsize=16)
def _converted(source_text: str, version: str, form_id: str, title: str | None) -> str:
    """pyxform takes ~0.1 s for a census questionnaire: each (text, id, title) is converted once."""
    from pyxform.xls2json_backends import md_to_dict  # ODK's converter: only when an XForm is asked for
    from pyxform.xls2xform import convert

    book = md_to_dict(source_text)
    settings = book["settings"][0]
    settings.update({"form_id": form_id, "version": version})
    if title:
        settings["form_title"] = title
    settings.pop("form_title_en", None)  # not an XLSForm setting
    book["survey"] = [_establishment_row()] + [_without_our_columns(row) for row in book["survey"]]
    # pyxform reads the columns from the header, not the rows: the establishment row's hint and
    # appearance columns must be in it even when no question of the questionnaire has them
    header = (book.get("survey_header") or [{}])[0]
    book["survey_header"] = [dict.fromkeys([*_without_our_columns(header), *_ESTABLISHMENT_ROW])]
    return convert(book, warnings=[]).xform


def _establishment_row() -> dict:
    return dict(_ESTABLISHMENT_ROW)


def _without_our_columns(row: dict) -> dict:
    return {column: value for column, value in row.items() if column not in _OUR_COLUMNS}
