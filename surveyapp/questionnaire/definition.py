"""A questionnaire definition: XLSForm rows turned into a checked tree of questions.

Loading checks everything a form author can get wrong (unknown type, missing choice list, duplicate
name, reference to an unknown field, bad expression, unbalanced groups...) and reports every problem
at once, each with the file and line, so `flask forms check` is a useful edit-check loop.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import expressions
from .markdown import MarkdownTableError, Sheet, SheetRow, read_sheets

QUESTION_TYPES = {"text", "integer", "decimal", "select_one", "select_multiple", "date", "geopoint", "image", "note",
                  "calculate"}
#: Computed from the other answers at save (and live in the browser), stored with them, never shown.
COMPUTED_TYPES = {"calculate"}
GROUP_TYPES = {"group", "repeat"}
#: What every Kobo and ODK form carries: recorded with the answers when a record is saved, never shown.
METADATA_TYPES = {"start", "end", "today", "deviceid", "username"}
#: Establishment attributes an approved answer may update (and a new record is pre-filled from).
ESTABLISHMENT_FIELDS = {
    "name", "owner", "legal_form", "tax_code", "phone", "year_started", "vsic_code", "address",
    "location", "workers", "revenue_vnd", "capital_vnd", "visit_type",
}
#: The question types whose answer each establishment attribute can take (an approved answer is copied).
FIELD_KINDS = {
    "location": {"geopoint"}, "workers": {"integer"}, "year_started": {"integer"},
    "revenue_vnd": {"integer", "decimal"}, "capital_vnd": {"integer", "decimal"},
    "legal_form": {"select_one"}, "visit_type": {"select_one"},
    **{name: {"text", "select_one"} for name in ("name", "owner", "tax_code", "phone", "vsic_code", "address")},
}
UNITS = {"", "million_vnd", "percent"}
LANGUAGES = ("vi", "en")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
_SURVEY_COLUMNS = {"type", "name", "required", "constraint", "relevant", "appearance", "default", "unit",
                   "establishment_field", "read_only", "max_accuracy_m", "calculation", "choice_filter"}
_LOCALISED = {"label", "hint", "constraint_message", "required_message"}


@dataclass
class Choice:
    name: str
    label: dict[str, str]
    #: The choices sheet's other filled columns (e.g. district), which a choice_filter reads by name.
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> dict[str, str]:
        """What a choice_filter's bare names read: its extra columns and its name."""
        return {**self.extra, "name": self.name}


@dataclass
class Question:
    kind: str  #: a QUESTION_TYPES member, or "group" / "repeat"
    name: str
    line: int
    label: dict[str, str] = field(default_factory=dict)
    hint: dict[str, str] = field(default_factory=dict)
    required: bool = False
    required_message: dict[str, str] = field(default_factory=dict)
    constraint: list | None = None  #: parsed expression (AST)
    constraint_text: str = ""
    constraint_message: dict[str, str] = field(default_factory=dict)
    relevant: list | None = None
    relevant_text: str = ""
    list_name: str | None = None
    appearance: str = ""
    default: str = ""
    unit: str = ""
    establishment_field: str | None = None
    read_only: bool = False
    #: calculate only: the expression whose value is stored as the answer (AST), and its text.
    calculation: list | None = None
    calculation_text: str = ""
    #: select_one/select_multiple: which choices are offered, judged per choice (bare names: its columns).
    choice_filter: list | None = None
    choice_filter_text: str = ""
    #: geopoint only: the GPS accuracy (metres) asked for; None means the app's GPS_MAX_ACCURACY_M.
    max_accuracy_m: float | None = None
    children: list["Question"] = field(default_factory=list)
    repeat: str | None = None  #: name of the enclosing repeat, if any

    @property
    def is_container(self) -> bool:
        return self.kind in GROUP_TYPES

    def text(self, attribute: str, language: str, fallback: str = "vi") -> str:
        values: dict[str, str] = getattr(self, attribute)
        text = values.get(language) or values.get(fallback) or next(iter(values.values()), "")
        if not text and attribute == "label" and self.kind in COMPUTED_TYPES:
            return self.name  # a calculate needs no label: review and history name it by its name
        return text


@dataclass
class Definition:
    form_id: str
    version: str
    title: dict[str, str]
    default_language: str
    items: list[Question]
    choices: dict[str, list[Choice]]
    source_name: str
    source_text: str
    by_name: dict[str, Question] = field(default_factory=dict)
    #: start/end/today/deviceid/username rows: filled when a record is saved (see METADATA_TYPES).
    metadata: list[Question] = field(default_factory=list)
    #: Container name → the answer keys under it at its own level (a repeat inside counts as one key).
    keys_within: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def walk(self, items: list[Question] | None = None) -> Iterator[Question]:
        """Every item in document order, containers before their children."""
        for item in self.items if items is None else items:
            yield item
            yield from self.walk(item.children)

    def questions(self) -> list[Question]:
        """Answerable questions (no groups, repeats, notes or calculates)."""
        return [q for q in self.walk() if q.kind in QUESTION_TYPES and q.kind != "note" and q.kind not in COMPUTED_TYPES]

    def offered_choices(self, question: Question, lookup, today: str | None = None) -> list[Choice]:
        """The choices of a select question its choice_filter keeps, `lookup` giving the answers."""
        choices = self.choices.get(question.list_name or "", [])
        if question.choice_filter is None:
            return choices
        return [choice for choice in choices if expressions.boolean(
            expressions.evaluate(question.choice_filter, lookup, None, today, choice.columns))]

    def choice_label(self, list_name: str, name: str, language: str) -> str:
        for choice in self.choices.get(list_name, []):
            if choice.name == name:
                return choice.label.get(language) or choice.label.get(self.default_language) or name
        return name

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get(self.default_language) or self.form_id

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()


class DefinitionError(ValueError):
    """Every problem of one file: [(line, message)]; str() gives one line per problem."""

    def __init__(self, source_name: str, problems: list[tuple[int | None, str]]):
        self.source_name = source_name
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source_name}, line {line}: {message}" if line else f"{self.source_name}: {message}"
                for line, message in self.problems]


def load_definition_file(path: Path, display_name: str | None = None) -> Definition:
    return load_definition(path.read_text(encoding="utf-8"), display_name or path.name)


def load_definition(text: str, source_name: str) -> Definition:
    try:
        sheets = read_sheets(text)
    except MarkdownTableError as error:
        raise DefinitionError(source_name, [(error.line, error.message)]) from error
    return _Loader(sheets, text, source_name).load()


def _keys_within(container: Question) -> Iterator[str]:
    for child in container.children:
        if child.kind == "group":
            yield from _keys_within(child)
        elif child.kind != "note":
            yield child.name


def _split_type(text: str) -> tuple[str, str]:
    """"select_one legal_form" → ("select_one", "legal_form"); "begin group" → ("begin_group", "")."""
    words = (text or "").split()
    if len(words) >= 2 and words[0].lower() in ("begin", "end", "select") \
            and words[1].lower() in ("group", "repeat", "one", "multiple"):
        words = [f"{words[0]}_{words[1]}"] + words[2:]
    if not words:
        return "", ""
    return words[0].lower(), " ".join(words[1:])


def _localised(row: SheetRow, base: str) -> dict[str, str]:
    values = {}
    for column, value in row.values.items():
        if value and (column == base or column.startswith(base + "::")):
            values[column.split("::", 1)[1] if "::" in column else "vi"] = value
    return values


class _Loader:
    def __init__(self, sheets: dict[str, Sheet], text: str, source_name: str):
        self.sheets, self.text, self.source_name = sheets, text, source_name
        self.problems: list[tuple[int | None, str]] = []

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append((line, message))

    def load(self) -> Definition:
        for required in ("settings", "survey", "choices"):
            if required not in self.sheets:
                self.problem(None, f"missing sheet '{required}'")
        if self.problems:
            raise DefinitionError(self.source_name, self.problems)
        form_id, version, title, language = self._settings(self.sheets["settings"])
        choices = self._choices(self.sheets["choices"])
        self.metadata: list[Question] = []
        items = self._survey(self.sheets["survey"], choices)
        definition = Definition(form_id, version, title, language, items, choices, self.source_name, self.text)
        definition.metadata = self.metadata
        definition.by_name = {item.name: item for item in definition.walk()}
        definition.keys_within = {item.name: frozenset(_keys_within(item)) for item in definition.walk()
                                  if item.is_container}
        self._check_references(definition)
        if self.problems:
            raise DefinitionError(self.source_name, sorted(self.problems, key=lambda p: p[0] or 0))
        return definition

    def _settings(self, sheet: Sheet) -> tuple[str, str, dict[str, str], str]:
        if not sheet.rows:
            self.problem(sheet.line, "the settings sheet has no row")
            return "", "", {}, "vi"
        row = sheet.rows[0]
        form_id, version = row.get("form_id"), row.get("version")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,59}", form_id):
            self.problem(row.line, f"form_id must be lowercase letters, digits, '-', '_' or '.': {form_id!r}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,30}", version):
            self.problem(row.line, f"version is missing or not a short code: {version!r}")
        language = row.get("default_language") or "vi"
        title = _localised(row, "form_title")
        if row.get("form_title_en"):  # not form_title::en, which pyxform cannot write as an XForm title
            title["en"] = row.get("form_title_en")
        return form_id, version, title, language

    def _choices(self, sheet: Sheet) -> dict[str, list[Choice]]:
        choices: dict[str, list[Choice]] = {}
        extra_columns = [c for c in sheet.columns if c not in ("list_name", "name") and c.split("::")[0] not in _LOCALISED]
        self.choice_columns = set(extra_columns) | {"name"}
        for row in sheet.rows:
            list_name, name = row.get("list_name"), row.get("name")
            if not list_name or not name:
                self.problem(row.line, "a choice needs list_name and name")
                continue
            if any(c.name == name for c in choices.get(list_name, [])):
                self.problem(row.line, f"choice '{name}' appears twice in list '{list_name}'")
            label = _localised(row, "label")
            if not label:
                self.problem(row.line, f"choice '{name}' of list '{list_name}' has no label")
            extra = {column: row.get(column) for column in extra_columns if row.get(column)}
            choices.setdefault(list_name, []).append(Choice(name, label, extra))
        return choices

    def _survey(self, sheet: Sheet, choices: dict[str, list[Choice]]) -> list[Question]:
        unknown = [c for c in sheet.columns if c.split("::")[0] not in _SURVEY_COLUMNS | _LOCALISED]
        if unknown:
            self.problem(sheet.line + 1, f"unknown column(s): {', '.join(unknown)}")
        # Every language the survey labels are written in must label every question (vi and en in forms/).
        self.languages = [c.split("::", 1)[1] for c in sheet.columns if c.startswith("label::")] or ["vi"]
        root: list[Question] = []
        stack: list[Question] = []
        names: dict[str, int] = {}
        used_fields: dict[str, int] = {}
        for row in sheet.rows:
            kind, argument = _split_type(row.get("type"))
            if kind in ("end_group", "end_repeat"):
                self._close(row, kind, stack)
                continue
            if kind in METADATA_TYPES:
                self._metadata(row, kind, names)
                continue
            question = self._question(row, kind, argument.strip(), choices, stack)
            if question is None:
                continue
            if question.name in names:
                self.problem(row.line, f"name '{question.name}' is already used on line {names[question.name]}")
            names.setdefault(question.name, row.line)
            if question.establishment_field:
                if question.establishment_field in used_fields:
                    self.problem(row.line, f"establishment_field '{question.establishment_field}' is already "
                                           f"used on line {used_fields[question.establishment_field]}")
                used_fields.setdefault(question.establishment_field, row.line)
            (stack[-1].children if stack else root).append(question)
            if question.is_container:
                stack.append(question)
        for open_item in stack:
            self.problem(open_item.line, f"{open_item.kind} '{open_item.name}' is never closed")
        return root

    def _metadata(self, row: SheetRow, kind: str, names: dict[str, int]) -> None:
        name = row.get("name") or kind
        if not _NAME.match(name):
            self.problem(row.line, f"name {name!r} must be 1–40 letters, digits or '_', not starting with a digit")
            return
        if name in names:
            self.problem(row.line, f"name '{name}' is already used on line {names[name]}")
        names.setdefault(name, row.line)
        self.metadata.append(Question(kind=kind, name=name, line=row.line))

    def _close(self, row: SheetRow, kind: str, stack: list[Question]) -> None:
        expected = kind.removeprefix("end_")
        if not stack or stack[-1].kind != expected:
            self.problem(row.line, f"{kind} without a matching begin_{expected}")
            return
        if row.get("name") and row.get("name") != stack[-1].name:
            self.problem(row.line, f"{kind} '{row.get('name')}' closes '{stack[-1].name}'")
        stack.pop()

    def _question(self, row, kind, argument, choices, stack) -> Question | None:
        if kind in ("begin_group", "begin_repeat"):
            kind = kind.removeprefix("begin_")
        elif kind not in QUESTION_TYPES:
            self.problem(row.line, f"unknown question type '{row.get('type')}'")
            return None
        name = row.get("name")
        if not _NAME.match(name):
            self.problem(row.line, f"name {name!r} must be 1–40 letters, digits or '_', not starting with a digit")
            return None
        enclosing_repeat = next((item.name for item in reversed(stack) if item.kind == "repeat"), None)
        if kind == "repeat" and enclosing_repeat:
            self.problem(row.line, f"repeat '{name}' inside repeat '{enclosing_repeat}' is not supported")
        question = Question(
            kind=kind, name=name, line=row.line, label=_localised(row, "label"), hint=_localised(row, "hint"),
            required=row.get("required").lower() in ("yes", "true", "true()", "1"),
            required_message=_localised(row, "required_message"),
            constraint_message=_localised(row, "constraint_message"), appearance=row.get("appearance"),
            default=row.get("default"), unit=row.get("unit"), read_only=row.get("read_only").lower() == "yes",
            establishment_field=row.get("establishment_field") or None, repeat=enclosing_repeat,
        )
        if not question.label and kind not in ("group", *COMPUTED_TYPES):
            self.problem(row.line, f"'{name}' has no label")
        for language in self.languages:
            if question.label and language not in question.label:
                self.problem(row.line, f"'{name}' has no label::{language}")
        if kind in ("select_one", "select_multiple"):
            question.list_name = argument
            if not argument:
                self.problem(row.line, f"{kind} '{name}' names no choice list")
            elif argument not in choices:
                self.problem(row.line, f"choice list '{argument}' of '{name}' is not in the choices sheet")
        if question.unit not in UNITS:
            self.problem(row.line, f"unknown unit '{question.unit}' (one of: {', '.join(sorted(UNITS - {''}))})")
        if question.establishment_field and question.establishment_field not in ESTABLISHMENT_FIELDS:
            self.problem(row.line, f"unknown establishment_field '{question.establishment_field}'")
        elif question.establishment_field:
            self._check_field(row, question)
        question.max_accuracy_m = self._max_accuracy(row, kind)
        question.constraint, question.constraint_text = self._expression(row, "constraint")
        question.relevant, question.relevant_text = self._expression(row, "relevant")
        question.calculation, question.calculation_text = self._expression(row, "calculation")
        if kind == "calculate" and not question.calculation_text:
            self.problem(row.line, f"calculate '{name}' has no calculation")
        elif kind != "calculate" and question.calculation_text:
            self.problem(row.line, f"calculation applies to calculate rows only, not {kind}")
        question.choice_filter, question.choice_filter_text = self._expression(row, "choice_filter", columns=True)
        if question.choice_filter_text and kind not in ("select_one", "select_multiple"):
            self.problem(row.line, f"choice_filter applies to select_one and select_multiple questions, not {kind}")
        return question

    def _check_field(self, row: SheetRow, question: Question) -> None:
        kinds = FIELD_KINDS.get(question.establishment_field, set())
        if kinds and question.kind not in kinds:
            self.problem(row.line, f"establishment_field '{question.establishment_field}' needs a "
                                   f"{' or '.join(sorted(kinds))} question, not {question.kind}")
        if question.repeat:
            self.problem(row.line, f"establishment_field '{question.establishment_field}' cannot be set on a "
                                   f"question inside repeat '{question.repeat}'")

    def _max_accuracy(self, row: SheetRow, kind: str) -> float | None:
        text = row.get("max_accuracy_m").replace(",", ".")
        if not text:
            return None
        if kind != "geopoint":
            self.problem(row.line, f"max_accuracy_m applies to geopoint questions only, not {kind}")
            return None
        try:
            metres = float(text)
        except ValueError:
            metres = 0.0
        if not 0 < metres <= 10_000:
            self.problem(row.line, f"max_accuracy_m must be a number of metres above 0: {row.get('max_accuracy_m')!r}")
            return None
        return metres

    def _expression(self, row: SheetRow, column: str, columns: bool = False) -> tuple[list | None, str]:
        text = row.get(column)
        if not text:
            return None, ""
        try:
            return expressions.parse(text, columns), text
        except expressions.ExpressionError as error:
            self.problem(row.line, f"{column} {text!r}: {error}")
            return None, text

    def _check_references(self, definition: Definition) -> None:
        order = {item.name: index for index, item in enumerate(definition.walk())}
        for item in definition.walk():
            for column, ast in (("constraint", item.constraint), ("relevant", item.relevant),
                                ("calculation", item.calculation), ("choice_filter", item.choice_filter)):
                if ast is None:
                    continue
                for name in sorted(expressions.references(ast)):
                    if name not in definition.by_name:
                        self.problem(item.line, f"{column} of '{item.name}' refers to unknown field ${{{name}}}")
                    elif column == "calculation" and order[name] >= order[item.name]:
                        # computed in document order, at save and in the browser alike
                        self.problem(item.line, f"calculation of '{item.name}' refers to ${{{name}}}, which comes "
                                                f"after it")
                if column != "constraint" and expressions.uses_self(ast):
                    self.problem(item.line, f"{column} of '{item.name}' uses '.', which only constraints may")
                for name in sorted(expressions.columns_read(ast) - self.choice_columns):
                    self.problem(item.line, f"choice_filter of '{item.name}' reads column '{name}', which the "
                                            f"choices sheet does not have")
