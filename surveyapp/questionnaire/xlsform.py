"""XLSForm workbooks (.xlsx as KoboToolbox and ODK write them) in and out of the app's Markdown form.

In: the sheets `settings`, `survey` and `choices` are read (read-only openpyxl, after the zip-bomb caps
of `imports.safety`) into the Markdown sheets the loader reads, every cell keeping its place (sheet,
Excel row, column letter). Kobo's column names are put the app's way (`label::Tiếng Việt (vi)` →
`label::vi`, a bare `label` → the default language); Kobo's own `$` columns and empty columns are
dropped; types and columns the app cannot honour yet are refused by name. The result is the canonical
`.md` text that is stored (QuestionnaireVersion), so everything downstream reads one format; each of
its lines remembers the cell it came from, so the loader's and pyxform's problems name sheet, row
and column.
Out: the sheets of a stored version written back as an .xlsx.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field


from ..exports.xlsx import get_column_letter
from ..imports.safety import DEFAULT_LIMITS, FileRefused, Limits, check_workbook
from .definition import METADATA_TYPES, QUESTION_TYPES, _split_type
from .markdown import MarkdownTableError, Sheet, SheetRow, read_sheets

SHEETS = ("settings", "survey", "choices")
#: Columns the loader reads, per sheet (localised ones by their base name).
LOCALISED = ("label", "hint", "constraint_message", "required_message")
SURVEY_COLUMNS = ("type", "name", *LOCALISED, "required", "constraint", "relevant", "appearance", "default",
                  "read_only", "unit", "establishment_field", "max_accuracy_m", "calculation", "choice_filter")
CHOICE_COLUMNS = ("list_name", "name", "label")
SETTINGS_COLUMNS = ("form_id", "version", "form_title", "form_title_en", "default_language")
#: XLSForm columns the app does not honour yet: refused when a cell of theirs holds something.
REFUSED_COLUMNS = {"repeat_count": "repeat_count",
                   "trigger": "trigger", "parameters": "parameters", "media": "media", "image": "media",
                   "audio": "media", "video": "media", "guidance_hint": "guidance_hint"}
#: Language names Kobo writes without a code.
LANGUAGE_NAMES = {"vietnamese": "vi", "tiếng việt": "vi", "tieng viet": "vi", "english": "en", "tiếng anh": "en"}
#: A choices column a choice_filter can read by name (district, commune_group...): kept as written.
_CHOICE_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_CODE_IN_PARENTHESES = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\)\s*$")


@dataclass(frozen=True)
class Place:
    """Where a problem is: a sheet, an Excel row (1 = the header) and a column letter, each optional."""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


@dataclass
class Problem:
    place: Place
    message: str  #: English, as the loader writes it; `messages.problem_text` shows it in the user's language


@dataclass
class Candidate:
    """An uploaded questionnaire turned into the app's Markdown, with where each line came from."""
    markdown: str
    lines: dict[int, Place] = field(default_factory=dict)
    #: (sheet, column name as written in the .md) → column letter in the upload
    letters: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class XlsFormError(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def language_code(name: str) -> str:
    """"Tiếng Việt (vi)" → "vi"; "English" → "en"; "vi" → "vi"."""
    name = name.strip()
    match = _CODE_IN_PARENTHESES.search(name)
    if match:
        return match.group(1).lower()
    return LANGUAGE_NAMES.get(name.lower(), name.lower() if re.fullmatch(r"[A-Za-z]{2,3}", name) else name)


def column_name(raw: str, default_language: str) -> str | None:
    """A column as the app names it; None for Kobo's own (`$kuid`, `$autoname`...)."""
    text = unicodedata.normalize("NFC", str(raw or "")).strip()
    if not text or text.startswith("$") or text.startswith("_"):
        return None
    base, _sep, language = text.partition("::")
    base = base.strip().lower().replace(" ", "_")
    if base in LOCALISED or base == "form_title":
        if language:
            return f"{base}::{language_code(language.split('::')[-1])}"
        return f"{base}::{default_language}"
    return base if not language else f"{base}::{language.strip()}"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    text = unicodedata.normalize("NFC", str(value)).strip()
    # A Markdown row holds one line: a line break inside a label becomes a space.
    return re.sub(r"\s*\n\s*", " ", text)


@dataclass
class _RawSheet:
    name: str
    header_row: int
    columns: list[tuple[str, str]]  #: (raw name, letter), in order
    rows: list[tuple[int, list[str]]]  #: (Excel row, cell texts)


def read_workbook(data: bytes, limits: Limits = DEFAULT_LIMITS) -> dict[str, _RawSheet]:
    """The XLSForm sheets of an .xlsx (others ignored); XlsFormError if it is no readable workbook."""
    try:
        check_workbook(data, limits)
    except FileRefused as error:
        raise XlsFormError([Problem(Place(), str(error))]) from error
    try:
        from openpyxl import load_workbook  # only when a workbook is read: start-up stays light

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged or foreign file
        raise XlsFormError([Problem(Place(), "the file is not an Excel workbook (.xlsx)")]) from error
    sheets: dict[str, _RawSheet] = {}
    try:
        for worksheet in workbook.worksheets:
            name = worksheet.title.strip().lower()
            if name in SHEETS:
                sheets[name] = _read_sheet(name, worksheet)
    finally:
        workbook.close()
    return sheets


def _read_sheet(name: str, worksheet) -> _RawSheet:
    header: list[tuple[str, str]] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        texts = [_cell_text(v) for v in values]
        if header is None:
            if any(texts):
                header = [(t, get_column_letter(i + 1)) for i, t in enumerate(texts)]
                header_row = number
            continue
        if any(texts):
            rows.append((number, texts))
    return _RawSheet(name, header_row or 1, header or [], rows)


# --- the workbook as the app's Markdown ----------------------------------------------------------

def candidate_from_workbook(sheets: dict[str, _RawSheet], *, form_id_if_missing: str,
                            version_if_missing: str | None) -> Candidate:
    """The canonical Markdown of an XLSForm workbook, and every problem found on the way."""
    candidate = Candidate("")
    if "survey" not in sheets:
        candidate.problems.append(Problem(Place(), "the workbook has no 'survey' sheet"))
        return candidate
    settings = sheets.get("settings")
    default_language = _default_language(settings)
    survey = _sheet(sheets["survey"], SURVEY_COLUMNS, default_language, candidate, _check_survey_row)
    choices = (_sheet(sheets["choices"], CHOICE_COLUMNS, default_language, candidate, None)
               if "choices" in sheets else Sheet("choices", 0, ["list_name", "name", f"label::{default_language}"]))
    settings_sheet = _settings(settings, default_language, form_id_if_missing, version_if_missing, candidate)
    candidate.markdown = _write_markdown([settings_sheet, survey, choices], candidate)
    return candidate


def _default_language(settings: _RawSheet | None) -> str:
    if settings and settings.rows:
        for (raw, _letter), value in zip(settings.columns, settings.rows[0][1]):
            if raw.strip().lower() == "default_language" and value:
                return language_code(value)
    return "vi"


def _sheet(raw: _RawSheet, known: tuple[str, ...], default_language: str, candidate: Candidate, check_row) -> Sheet:
    """The columns the app reads (in the upload's order); columns it cannot honour refused if filled."""
    kept: list[tuple[int, str, str]] = []  # (index in the row, column name, letter)
    seen: dict[str, str] = {}
    for index, (raw_name, letter) in enumerate(raw.columns):
        name = column_name(raw_name, default_language)
        if name is None:
            continue
        filled = [(number, cells[index]) for number, cells in raw.rows if index < len(cells) and cells[index]]
        base = name.split("::")[0]
        choice_column = raw.name == "choices" and (base in LOCALISED or (filled and _CHOICE_COLUMN.fullmatch(name)))
        if base not in known and not choice_column:
            if filled and raw.name != "choices":
                feature = REFUSED_COLUMNS.get(base, base)
                candidate.problems.append(Problem(Place(raw.name, filled[0][0], letter),
                                                  f"column '{raw_name}' ({feature}) is not supported by this app yet"))
            continue  # an empty column, or a choices column no choice_filter could read
        if name in seen:
            candidate.problems.append(Problem(Place(raw.name, raw.header_row, letter),
                                              f"column '{raw_name}' repeats column {seen[name]} ({name})"))
            continue
        seen[name] = letter
        kept.append((index, name, letter))
        candidate.letters[(raw.name, name)] = letter
    sheet = Sheet(raw.name, raw.header_row, [name for _i, name, _l in kept])
    for number, cells in raw.rows:
        values = {name: (cells[index] if index < len(cells) else "") for index, name, _l in kept}
        if any(values.values()):
            row = SheetRow(number, values)
            if check_row:
                check_row(row, candidate)
            sheet.rows.append(row)
    return sheet


def supported_types() -> list[str]:
    return sorted(QUESTION_TYPES | METADATA_TYPES) + ["begin_group", "begin_repeat"]


def _check_survey_row(row: SheetRow, candidate: Candidate) -> None:
    kind, argument = _split_type(row.get("type"))
    letter = candidate.letters.get(("survey", "type"))
    if kind in ("begin_group", "end_group", "begin_repeat", "end_repeat") or kind in METADATA_TYPES:
        return
    if kind in QUESTION_TYPES and not (kind.startswith("select_") and " " in argument.strip()):
        return
    if kind.startswith("select_") and argument.strip().endswith("or_other"):
        message = f"type '{row.get('type')}': 'or_other' is not supported by this app yet"
    elif kind:
        message = (f"type '{row.get('type')}' is not supported by this app yet "
                   f"(supported: {', '.join(supported_types())})")
    else:
        message = "a row without a type"
    candidate.problems.append(Problem(Place("survey", row.line, letter), message))


def _settings(raw: _RawSheet | None, default_language: str, form_id_if_missing: str,
              version_if_missing: str | None, candidate: Candidate) -> Sheet:
    values: dict[str, str] = {}
    places: dict[str, str] = {}
    if raw is not None:
        for (raw_name, letter), value in zip(raw.columns, raw.rows[0][1] if raw.rows else []):
            name = column_name(raw_name, default_language)
            if name == "id_string":  # what older Kobo exports call form_id
                name = "form_id"
            if name == f"form_title::{default_language}":
                name = "form_title"
            elif name and name.startswith("form_title::"):
                name = "form_title_" + name.split("::")[1]
            if name in SETTINGS_COLUMNS and value:
                values[name], places[name] = value, letter
    values.setdefault("form_id", form_id_if_missing)
    if "version" not in values and version_if_missing:
        values["version"] = version_if_missing
    values["default_language"] = language_code(values.get("default_language", default_language))
    row_number = raw.rows[0][0] if raw is not None and raw.rows else 2
    for name, letter in places.items():
        candidate.letters[("settings", name)] = letter
    columns = [c for c in SETTINGS_COLUMNS if c in values]
    return Sheet("settings", raw.header_row if raw else 1, columns, [SheetRow(row_number, values)])


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _write_markdown(sheets: list[Sheet], candidate: Candidate | None = None) -> str:
    """The sheets as the Markdown tables of forms/; `candidate.lines` learns each line's cell row."""
    lines: list[str] = []
    for sheet in sheets:
        if lines:
            lines.append("")
        lines.append(f"| {sheet.name} |")
        lines.append("|  | " + " | ".join(sheet.columns) + " |")
        if candidate is not None:
            candidate.lines[len(lines)] = Place(sheet.name, sheet.line)
        for row in sheet.rows:
            lines.append("|  | " + " | ".join(_escape(row.get(c)) for c in sheet.columns) + " |")
            if candidate is not None:
                candidate.lines[len(lines)] = Place(sheet.name, row.line)
    return "\n".join(lines) + "\n"


def candidate_from_markdown(text: str) -> Candidate:
    """A `.md` upload: stored as written; its problems name the line as the row."""
    candidate = Candidate(text)
    try:
        sheets = read_sheets(text)
    except MarkdownTableError as error:
        candidate.problems.append(Problem(Place(None, error.line), error.message))
        return candidate
    for sheet in sheets.values():
        candidate.lines[sheet.line + 1] = Place(sheet.name, sheet.line + 1)
        for row in sheet.rows:
            candidate.lines[row.line] = Place(sheet.name, row.line)
        for index, column in enumerate(sheet.columns):
            candidate.letters[(sheet.name, column)] = get_column_letter(index + 1)
        if sheet.name == "survey":
            for row in sheet.rows:
                _check_survey_row(row, candidate)
    return candidate


def rewrite_markdown(text: str, change) -> str:
    """The Markdown with `change(sheets)` applied to its sheets, written canonically."""
    sheets = read_sheets(text)
    change(sheets)
    return _write_markdown([sheets[name] for name in SHEETS if name in sheets])


# --- where a loader's or pyxform's problem lies -----------------------------------------------------

#: Which column a loader message is about, by the words it starts with.
_MESSAGE_COLUMNS = (
    (re.compile(r"^(unknown question type|type )"), "type"),
    (re.compile(r"^(name |'[^']*' is already|end_)"), "name"),
    (re.compile(r"^constraint"), "constraint"),
    (re.compile(r"^relevant"), "relevant"),
    (re.compile(r"^(calculation|calculate )"), "calculation"),
    (re.compile(r"^choice_filter"), "choice_filter"),
    (re.compile(r"^(select_one|select_multiple|choice list)"), "type"),
    (re.compile(r"^'[^']*' has no label(::(\w+))?"), "label"),
    (re.compile(r"^(unknown unit)"), "unit"),
    (re.compile(r"^(unknown establishment_field|establishment_field)"), "establishment_field"),
    (re.compile(r"^max_accuracy_m"), "max_accuracy_m"),
    (re.compile(r"^form_id"), "form_id"),
    (re.compile(r"^version"), "version"),
    (re.compile(r"^(a choice needs|choice )"), "name"),
)


def locate(candidate: Candidate, line: int | None, message: str) -> Place:
    """The cell a loader problem (by Markdown line) is about."""
    place = candidate.lines.get(line or 0, Place(None, line))
    if place.sheet is None:
        return place
    for pattern, column in _MESSAGE_COLUMNS:
        match = pattern.search(message)
        if match:
            if column == "label":
                language = match.group(2) or next(
                    (name.split("::")[1] for (sheet, name) in candidate.letters
                     if sheet == place.sheet and name.startswith("label::")), "vi")
                column = f"label::{language}"
            letter = candidate.letters.get((place.sheet, column))
            return Place(place.sheet, place.row, letter)
    return place


_PYXFORM_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_PYXFORM_SHEET = re.compile(r"'(survey|choices|settings)' sheet")
_PYXFORM_COLUMN = re.compile(r"the '([a-z_:]+)' (value|column)")


def pyxform_problems(candidate: Candidate) -> list[Problem]:
    """What ODK's own converter says of the candidate, each problem placed where it can be."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    try:
        convert(xlsform=candidate.markdown, warnings=warnings, file_type=".md")
    except PyXFormError as error:
        return [_pyxform_problem(candidate, str(error))]
    except Exception as error:  # pyxform fails with plain exceptions on some malformed input
        return [_pyxform_problem(candidate, f"{type(error).__name__}: {error}")]
    return []


def _pyxform_problem(candidate: Candidate, message: str) -> Problem:
    row_match, sheet_match = _PYXFORM_ROW.search(message), _PYXFORM_SHEET.search(message)
    sheet = sheet_match.group(1) if sheet_match else "survey"
    message = _PYXFORM_ROW.sub("", message).strip()
    if not row_match:
        return Problem(Place(sheet if sheet_match else None), f"pyxform: {message}")
    table_row = int(row_match.group(1))  # pyxform counts the header as row 1
    lines = sorted(line for line, place in candidate.lines.items() if place.sheet == sheet)
    place = candidate.lines[lines[table_row - 1]] if 0 < table_row <= len(lines) else Place(sheet)
    column_match = _PYXFORM_COLUMN.search(message)
    letter = candidate.letters.get((sheet, column_match.group(1))) if column_match else None
    return Problem(Place(place.sheet, place.row, letter), f"pyxform: {message}")


# --- out: a stored version as an .xlsx -----------------------------------------------------------

def workbook_bytes(markdown: str) -> bytes:
    """The XLSForm workbook of a questionnaire's Markdown: one sheet per table, as written."""
    sheets = read_sheets(markdown)
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in SHEETS:
        sheet = sheets.get(name)
        if sheet is None:
            continue
        worksheet = workbook.create_sheet(name)
        worksheet.append(sheet.columns)
        for row in sheet.rows:
            worksheet.append([row.get(column) for column in sheet.columns])
        worksheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def question_rows(markdown: str) -> list[SheetRow]:
    """The survey rows of a questionnaire's Markdown (the mapping screen lists them)."""
    return read_sheets(markdown)["survey"].rows


__all__ = ["Candidate", "Place", "Problem", "XlsFormError", "candidate_from_markdown",
           "candidate_from_workbook", "locate", "pyxform_problems", "read_workbook", "rewrite_markdown",
           "workbook_bytes"]
