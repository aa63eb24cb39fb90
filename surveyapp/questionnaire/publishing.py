"""Questionnaires brought in as XLSForm (.xlsx) or the project's .md: checked, published as a version,
attached to a survey round.

A published version is a QuestionnaireVersion row (the canonical Markdown and its SHA-256), the same
row that keeps the text of a version records were filled with; `definition_for` serves it like a
forms/ file. A version in use never changes: a second upload of the same form_id and version must
carry the same questions, or be refused.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from ..audit import record_event
from ..imports.safety import DEFAULT_LIMITS, Limits
from ..models import QuestionnaireVersion, SurveyRound
from ..survey.queries import all_rounds, store_questionnaire_once
from .definition import ESTABLISHMENT_FIELDS, Definition, DefinitionError, load_definition
from . import queries
from .markdown import read_sheets
from .registry import Registry
from .xlsform import (
    Candidate, Place, Problem, XlsFormError, candidate_from_markdown, candidate_from_workbook, locate,
    pyxform_problems, read_workbook, rewrite_markdown,
)

UPLOAD_SUFFIXES = (".xlsx", ".md")
#: Most bytes of an uploaded questionnaire (the census form's .xlsx is about 40 kB).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class Checked:
    """An upload after every check: its Markdown and definition when clean, else its problems."""
    candidate: Candidate
    definition: Definition | None = None
    problems: list[Problem] = field(default_factory=list)
    #: The same form_id and version is published already with these very questions.
    already_published: bool = False

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.problems


class PublishError(ValueError):
    pass


def form_id_from_filename(filename: str) -> str:
    """"Phiếu CNNT 2020.xlsx" → "phieu-cnnt-2020": the form_id of a workbook whose settings name none."""
    stem = unicodedata.normalize("NFKD", Path(filename).stem.replace("đ", "d").replace("Đ", "D"))
    ascii_stem = stem.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9_.-]+", "-", ascii_stem).strip("-.")[:60] or "questionnaire"


def next_version(session: Session, registry: Registry, form_id: str) -> str:
    """One more than the highest numeric version of `form_id` known anywhere; "1" for a new form."""
    known = {row.version for row in queries.stored_versions(session) if row.form_id == form_id}
    known |= {d.version for d in registry.definitions() + registry.previous_definitions() if d.form_id == form_id}
    numbers = [int(v) for v in known if v.isdigit()]
    return str(max(numbers, default=0) + 1)


def check_upload(session: Session, registry: Registry, filename: str, data: bytes,
                 limits: Limits = DEFAULT_LIMITS) -> Checked:
    """Every problem of an uploaded questionnaire, placed by sheet, row and column; nothing is stored."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return Checked(Candidate(""), problems=[Problem(Place(), "upload an XLSForm .xlsx or a questionnaire .md")])
    if len(data) > MAX_UPLOAD_BYTES:
        return Checked(Candidate(""), problems=[Problem(Place(), "the file is larger than 5 MB")])
    if suffix == ".md":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Checked(Candidate(""), problems=[Problem(Place(), "the .md file is not UTF-8 text")])
        return check_candidate(session, registry, candidate_from_markdown(text), filename)
    try:
        sheets = read_workbook(data, limits)
    except XlsFormError as error:
        return Checked(Candidate(""), problems=error.problems)
    candidate = candidate_from_workbook(sheets, form_id_if_missing=form_id_from_filename(filename),
                                        version_if_missing=None)
    form_id = _settings_value(candidate.markdown, "form_id")
    if not _settings_value(candidate.markdown, "version") and form_id:
        candidate = candidate_from_workbook(sheets, form_id_if_missing=form_id_from_filename(filename),
                                            version_if_missing=next_version(session, registry, form_id))
    return check_candidate(session, registry, candidate, filename)


def _settings_value(markdown: str, column: str) -> str:
    try:
        settings = read_sheets(markdown).get("settings")
    except ValueError:
        return ""
    return settings.rows[0].get(column) if settings and settings.rows else ""


def check_candidate(session: Session, registry: Registry, candidate: Candidate, source_name: str) -> Checked:
    checked = Checked(candidate, problems=list(candidate.problems))
    if not candidate.markdown:
        return checked
    placed = {(p.place.sheet, p.place.row) for p in checked.problems}
    try:
        definition = load_definition(candidate.markdown, source_name)
    except DefinitionError as error:
        for line, message in error.problems:
            place = locate(candidate, line, message)
            message = re.sub(r"on line (\d+)", lambda m: f"on row {_row_of(candidate, int(m.group(1)))}", message)
            if (place.sheet, place.row) not in placed or place.sheet is None:
                checked.problems.append(Problem(place, message))
        return checked
    if checked.problems:
        return checked
    checked.problems += pyxform_problems(candidate)
    checked.problems += _version_problems(session, registry, candidate, definition)
    if not checked.problems:
        checked.definition = definition
        checked.already_published = _same_as_published(session, registry, definition)
    return checked


def _row_of(candidate: Candidate, line: int) -> int:
    return candidate.lines.get(line, Place(row=line)).row or line


def canonical(markdown: str) -> str:
    """The questionnaire's tables alone, written one way: two texts with the same questions compare equal."""
    return rewrite_markdown(markdown, lambda sheets: None)


def _published_text(session: Session, registry: Registry, form_id: str, version: str) -> str | None:
    stored = queries.stored_version(session, form_id, version)
    if stored is not None:
        return stored.source
    in_files = registry.get(form_id, version) or registry.previous(form_id, version)
    return in_files.source_text if in_files else None


def _same_as_published(session: Session, registry: Registry, definition: Definition) -> bool:
    text = _published_text(session, registry, definition.form_id, definition.version)
    return text is not None and canonical(text) == canonical(definition.source_text)


def _version_problems(session: Session, registry: Registry, candidate: Candidate,
                      definition: Definition) -> list[Problem]:
    text = _published_text(session, registry, definition.form_id, definition.version)
    if text is None or canonical(text) == canonical(definition.source_text):
        return []
    place = next((p for line, p in sorted(candidate.lines.items()) if p.sheet == "settings" and line > 2),
                 Place("settings"))
    letter = candidate.letters.get(("settings", "version"))
    return [Problem(Place("settings", place.row, letter),
                    f"version {definition.version} of {definition.form_id} is already published with other "
                    "questions; a version in use never changes: give this one a new version")]


def publish(session: Session, registry: Registry, markdown: str, source_name: str,
            actor_id: int | None) -> QuestionnaireVersion:
    """Store a checked questionnaire as a version (once); PublishError lists what still stops it."""
    checked = check_candidate(session, registry, candidate_from_markdown(markdown), source_name)
    if not checked.ok:
        raise PublishError("; ".join(p.message for p in checked.problems))
    definition = checked.definition
    stored = queries.stored_version(session, definition.form_id, definition.version)
    if stored is not None:
        return stored  # the same questions, published before
    in_files = registry.get(definition.form_id, definition.version) or registry.previous(
        definition.form_id, definition.version)
    text = in_files.source_text if in_files is not None else definition.source_text
    store_questionnaire_once(session, definition.form_id, definition.version, text,
                             load_definition(text, source_name).sha256)
    session.flush()
    stored = queries.stored_version(session, definition.form_id, definition.version)
    record_event(session, "publish", "questionnaire", f"{definition.form_id}@{definition.version}",
                 after={"sha256": stored.sha256, "questions": len(definition.questions()), "source": source_name},
                 actor_id=actor_id)
    return stored


def attach_version(session: Session, definition: Definition, survey_round: SurveyRound,
                   actor_id: int | None) -> bool:
    """The round's new records use this version from now on (drafts keep theirs); False if it had it."""
    before = {"questionnaire": survey_round.questionnaire_id, "version": survey_round.questionnaire_version}
    after = {"questionnaire": definition.form_id, "version": definition.version}
    if before == after:
        return False
    if queries.other_forms_in_round(session, survey_round.id, definition.form_id):
        raise PublishError(f"round {survey_round.code} has records of another questionnaire")
    survey_round.questionnaire_id, survey_round.questionnaire_version = definition.form_id, definition.version
    session.add(survey_round)
    record_event(session, "questionnaire_version", "survey_round", survey_round.code, before=before, after=after,
                 actor_id=actor_id)
    return True


def with_mappings(markdown: str, mappings: dict[str, str]) -> str:
    """The Markdown with each question's establishment_field set as chosen on the mapping screen
    (question name → attribute, "" for none); the column is added if the upload had none."""
    unknown = set(mappings.values()) - ESTABLISHMENT_FIELDS - {""}
    if unknown:
        raise PublishError(f"unknown establishment_field: {', '.join(sorted(unknown))}")

    def change(sheets) -> None:
        survey = sheets["survey"]
        if "establishment_field" not in survey.columns:
            survey.columns.append("establishment_field")
        for row in survey.rows:
            if row.get("name") in mappings:
                row.values["establishment_field"] = mappings[row.get("name")]

    return rewrite_markdown(markdown, change)


@dataclass
class VersionRow:
    """One version of a questionnaire as /admin/questionnaires lists it."""
    form_id: str
    version: str
    title: str
    origin: str  #: "forms/", "forms/previous/" or "database" (published here)
    stored: bool
    records: int = 0
    rounds: list[str] = field(default_factory=list)


def known_versions(session: Session, registry: Registry, language: str = "vi") -> list[VersionRow]:
    """Every version of every questionnaire: the files of forms/ and the versions stored in the database."""
    rows: dict[tuple[str, str], VersionRow] = {}
    for origin, definitions in (("forms/", registry.definitions()), ("forms/previous/", registry.previous_definitions())):
        for definition in definitions:
            rows.setdefault((definition.form_id, definition.version), VersionRow(
                definition.form_id, definition.version, definition.title_in(language), origin, False))
    for stored in queries.stored_versions(session):
        key = (stored.form_id, stored.version)
        if key in rows:
            rows[key].stored = True
            continue
        title = _stored_title(stored, language)
        rows[key] = VersionRow(stored.form_id, stored.version, title, "database", True)
    for (form_id, version), count in queries.record_counts(session).items():
        if (form_id, version) in rows:
            rows[(form_id, version)].records = count
    for survey_round in all_rounds(session):
        key = (survey_round.questionnaire_id or "", survey_round.questionnaire_version or "")
        if key in rows:
            rows[key].rounds.append(survey_round.code)
    return sorted(rows.values(), key=lambda r: (r.form_id, _version_order(r.version)))


def _version_order(version: str) -> tuple:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def _stored_title(stored: QuestionnaireVersion, language: str) -> str:
    """The title from the settings row alone (loading the whole form for a list would be slow)."""
    english = _settings_value(stored.source, "form_title_en")
    return (english if language == "en" and english else _settings_value(stored.source, "form_title")) or stored.form_id
