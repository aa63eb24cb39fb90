"""Problems of an uploaded questionnaire in the user's language, each with its sheet, row and column.

The loader writes its problems in English for `flask forms check`; the ones a form author meets most
are recognised here and said again through gettext. Any other (pyxform's, for one) keeps its text.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .xlsform import Problem

#: (pattern of the English message, translatable text with the pattern's named groups)
_TRANSLATED = [
    (r"unknown question type '(?P<type>.*)'", _l("unknown question type '%(type)s'")),
    (r"type '(?P<type>.*)' is not supported by this app yet \(supported: (?P<supported>.*)\)",
     _l("the type '%(type)s' is not supported by this app yet (supported: %(supported)s)")),
    (r"type '(?P<type>.*)': 'or_other' is not supported by this app yet",
     _l("'%(type)s': 'or_other' is not supported by this app yet; add an 'other' choice and a text question")),
    (r"column '(?P<column>.*)' \((?P<feature>.*)\) is not supported by this app yet",
     _l("the column '%(column)s' (%(feature)s) is not supported by this app yet")),
    (r"column '(?P<column>.*)' repeats column (?P<other>\w+) \((?P<name>.*)\)",
     _l("the column '%(column)s' repeats column %(other)s (%(name)s)")),
    (r"'(?P<name>.*)' has no label::(?P<language>.*)", _l("'%(name)s' has no label in language '%(language)s'")),
    (r"'(?P<name>.*)' has no label", _l("'%(name)s' has no label")),
    (r"choice list '(?P<list>.*)' of '(?P<name>.*)' is not in the choices sheet",
     _l("the choice list '%(list)s' of '%(name)s' is not in the choices sheet")),
    (r"(?P<kind>select_\w+) '(?P<name>.*)' names no choice list", _l("%(kind)s '%(name)s' names no choice list")),
    (r"name '(?P<name>.*)' is already used on row (?P<row>\d+)", _l("the name '%(name)s' is already used on row %(row)s")),
    (r"name (?P<name>.*) must be 1–40 letters, digits or '_', not starting with a digit",
     _l("the name %(name)s must be 1–40 letters, digits or '_', not starting with a digit")),
    (r"(?P<column>constraint|relevant|calculation|choice_filter) of '(?P<name>.*)' refers to unknown field \$\{(?P<field>.*)\}",
     _l("the %(column)s of '%(name)s' refers to an unknown question ${%(field)s}")),
    (r"(?P<column>constraint|relevant|calculation|choice_filter) '(?P<expression>.*)': (?P<error>.*)",
     _l("the %(column)s '%(expression)s' cannot be read: %(error)s")),
    (r"calculate '(?P<name>.*)' has no calculation", _l("the calculate '%(name)s' has no calculation")),
    (r"calculation of '(?P<name>.*)' refers to \$\{(?P<field>.*)\}, which comes after it",
     _l("the calculation of '%(name)s' refers to ${%(field)s}, which comes after it")),
    (r"choice_filter of '(?P<name>.*)' reads column '(?P<column>.*)', which the choices sheet does not have",
     _l("the choice_filter of '%(name)s' reads the column '%(column)s', which the choices sheet does not have")),
    (r"calculation applies to calculate rows only, not (?P<kind>.*)",
     _l("a calculation applies to calculate rows only, not %(kind)s")),
    (r"choice_filter applies to select_one and select_multiple questions, not (?P<kind>.*)",
     _l("a choice_filter applies to select_one and select_multiple questions, not %(kind)s")),
    (r"(?P<kind>group|repeat) '(?P<name>.*)' is never closed", _l("%(kind)s '%(name)s' is never closed")),
    (r"(?P<kind>end_\w+) without a matching (?P<begin>begin_\w+)", _l("%(kind)s without a matching %(begin)s")),
    (r"choice '(?P<name>.*)' appears twice in list '(?P<list>.*)'",
     _l("the choice '%(name)s' appears twice in the list '%(list)s'")),
    (r"unknown establishment_field '(?P<field>.*)'", _l("unknown establishment_field '%(field)s'")),
    (r"establishment_field '(?P<field>.*)' needs a (?P<kinds>.*) question, not (?P<kind>.*)",
     _l("the registry attribute '%(field)s' needs a %(kinds)s question, not %(kind)s")),
    (r"establishment_field '(?P<field>.*)' cannot be set on a question inside repeat '(?P<repeat>.*)'",
     _l("the registry attribute '%(field)s' cannot be set on a question inside the repeat '%(repeat)s'")),
    (r"establishment_field '(?P<field>.*)' is already used on row (?P<row>\d+)",
     _l("the registry attribute '%(field)s' is already set on row %(row)s")),
    (r"version (?P<version>.*) of (?P<form>.*) is already published with other questions; .*",
     _l("version %(version)s of %(form)s is already published with other questions; a version in use never "
        "changes: give this one a new version")),
    (r"form_id must be lowercase letters, digits, '-', '_' or '\.': (?P<value>.*)",
     _l("the form_id must be lowercase letters, digits, '-', '_' or '.': %(value)s")),
    (r"version is missing or not a short code: (?P<value>.*)", _l("the version is not a short code: %(value)s")),
    (r"unknown column\(s\): (?P<columns>.*)", _l("unknown column(s): %(columns)s")),
    (r"missing sheet '(?P<sheet>.*)'", _l("the sheet '%(sheet)s' is missing")),
    (r"the workbook has no 'survey' sheet", _l("the workbook has no 'survey' sheet")),
    (r"the file is not an Excel workbook \(\.xlsx\)", _l("the file is not an Excel workbook (.xlsx)")),
    (r"upload an XLSForm \.xlsx or a questionnaire \.md", _l("upload an XLSForm .xlsx or a questionnaire .md")),
    (r"the file is larger than 5 MB", _l("the file is larger than 5 MB")),
    (r"the \.md file is not UTF-8 text", _l("the .md file is not UTF-8 text")),
    (r"pyxform: (?P<text>.*)", _l("ODK's converter (pyxform) says: %(text)s")),
]
_COMPILED = [(re.compile(pattern + "$", re.DOTALL), text) for pattern, text in _TRANSLATED]


def message_text(message: str) -> str:
    for pattern, text in _COMPILED:
        match = pattern.match(message)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return message


def place_text(problem: Problem) -> str:
    place = problem.place
    if place.sheet and place.row and place.column:
        return _("sheet %(sheet)s, row %(row)s, column %(column)s", sheet=place.sheet, row=place.row,
                 column=place.column)
    if place.sheet and place.row:
        return _("sheet %(sheet)s, row %(row)s", sheet=place.sheet, row=place.row)
    if place.row:
        return _("line %(line)s", line=place.row)
    if place.sheet:
        return _("sheet %(sheet)s", sheet=place.sheet)
    return ""


def problem_line(problem: Problem, language: str | None = None) -> str:
    """"sheet survey, row 7, column C: …", in `language` (the current one when None)."""
    if language:
        from flask_babel import force_locale

        with force_locale(language):
            return problem_line(problem)
    where = place_text(problem)
    text = message_text(problem.message)
    return f"{where}: {text}" if where else text
