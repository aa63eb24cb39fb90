"""Stored answers that break the rules of their questionnaire's current version (`/data-quality/answers`).

Rules change (a count that must not be negative, a ceiling on money answers) while records made before
stay as they were: this report finds them so a supervisor can have them corrected. Each current record
is judged by `rule_violations` against the current version of its questionnaire (the file in forms/),
whatever version it was filled with: the same judge as a submission, so the report and the form agree.

Records are streamed in batches (`queries.BATCH`) and judged one by one; only the asked page of
problems is kept, with counts per question, so memory does not grow with the number of records.
Every rule is judged in Python: a pre-filter in SQL would have to translate every rule (patterns,
choices, other answers, skip logic) to stay correct, and a partial one would drop records.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlmodel import Session

from ..questionnaire import expressions
from ..questionnaire.answers import rule_violations
from ..questionnaire.definition import Definition, DefinitionError, Question
from ..questionnaire.registry import Registry
from ..survey.services import definition_for
from . import queries


@dataclass(frozen=True)
class AnswerFilter:
    round_code: str | None = None
    district_code: str | None = None
    #: "form_id:question_name", e.g. "cnnt-2019:workers_female".
    question: str | None = None


@dataclass
class BrokenAnswer:
    record_uuid: str
    record_status: str
    establishment_code: str
    establishment_name: str
    round_code: str
    definition: Definition  #: the rules it was judged by
    question: Question
    key: str  #: "workers_female", "products-0-product_value_million_vnd"
    row: int | None  #: repeat row, from 1
    value: Any
    message: str

    @property
    def question_id(self) -> str:
        return f"{self.definition.form_id}:{self.question.name}"


@dataclass
class QuestionCount:
    definition: Definition
    question: Question
    count: int

    @property
    def question_id(self) -> str:
        return f"{self.definition.form_id}:{self.question.name}"


@dataclass
class AnswerReport:
    rows: list[BrokenAnswer]
    #: Problems matching the filter (every page).
    total: int
    #: Records with at least one of them.
    records: int
    #: Problems per question (the question filter aside), most first.
    per_question: list[QuestionCount] = field(default_factory=list)
    page: int = 1
    pages: int = 1


def current_rules(session: Session, registry: Registry, form_id: str, version: str) -> Definition:
    """The current version of a questionnaire (the file), else the version the record was filled with."""
    return registry.get(form_id) or definition_for(session, registry, form_id, version)


def broken_answers(session: Session, registry: Registry, wanted: AnswerFilter, *, reviewer_id: int | None,
                   language: str) -> Iterator[BrokenAnswer]:
    """Every answer of the current records in scope that breaks a rule, by establishment code."""
    rules: dict[tuple[str, str], Definition | None] = {}
    for record in queries.current_records(session, round_code=wanted.round_code, district_code=wanted.district_code,
                                          reviewer_id=reviewer_id):
        key = (record.questionnaire_id, record.questionnaire_version)
        if key not in rules:
            try:
                rules[key] = current_rules(session, registry, *key)
            except (LookupError, DefinitionError):
                rules[key] = None  # a questionnaire found nowhere: nothing to judge by
        definition = rules[key]
        if definition is None:
            continue
        answers = record.answers if isinstance(record.answers, dict) else {}
        for violation in rule_violations(definition, answers, language=language):
            broken = BrokenAnswer(record.uuid, record.status, record.establishment_code, record.establishment_name,
                                  record.round_code, definition, violation.question, violation.key,
                                  _repeat_row(violation.key, violation.question), violation.value, violation.message)
            if wanted.question in (None, broken.question_id):
                yield broken


def _repeat_row(key: str, question: Question) -> int | None:
    if not question.repeat:
        return None
    return int(key.split("-")[1]) + 1  # "products-0-product_value" → row 1


def answer_report(session: Session, registry: Registry, wanted: AnswerFilter, *, reviewer_id: int | None,
                  language: str, page: int, page_size: int) -> AnswerReport:
    """One page of broken answers, with totals and counts per question over every page."""
    first = (page - 1) * page_size
    rows: list[BrokenAnswer] = []
    counts: Counter = Counter()
    questions: dict[str, tuple[Definition, Question]] = {}
    records: set[str] = set()
    total = 0
    unfiltered = AnswerFilter(wanted.round_code, wanted.district_code)
    for broken in broken_answers(session, registry, unfiltered, reviewer_id=reviewer_id, language=language):
        counts[broken.question_id] += 1
        questions.setdefault(broken.question_id, (broken.definition, broken.question))
        if wanted.question not in (None, broken.question_id):
            continue
        if first <= total < first + page_size:
            rows.append(broken)
        total += 1
        records.add(broken.record_uuid)
    per_question = [QuestionCount(*questions[question_id], count) for question_id, count in counts.most_common()]
    return AnswerReport(rows, total, len(records), per_question, page, max(1, -(-total // page_size)))


CSV_FIELDS = ("establishment_code", "establishment_name", "round", "record_status", "question", "question_label",
              "row", "value", "message", "record_uuid")


def csv_rows(session: Session, registry: Registry, wanted: AnswerFilter, *, reviewer_id: int | None,
             language: str) -> Iterator[dict]:
    """The report as row dicts (CSV_FIELDS): labels and messages in `language`, values as stored."""
    for broken in broken_answers(session, registry, wanted, reviewer_id=reviewer_id, language=language):
        yield {"establishment_code": broken.establishment_code, "establishment_name": broken.establishment_name,
               "round": broken.round_code, "record_status": broken.record_status, "question": broken.question.name,
               "question_label": broken.question.text("label", language), "row": broken.row or "",
               "value": broken.value if _is_number(broken.value) else stored_text(broken.value),
               "message": broken.message, "record_uuid": broken.record_uuid}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def stored_text(value: Any) -> str:
    """A stored answer as plain text: 99999999999999, 12.5, "a b" for a list, JSON for an object."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return expressions.string(value)
