"""Skip logic in words for the paper questionnaire: "Nếu câu 12 = Có thì trả lời câu 13".

The common shapes of a `relevant` AST (comparisons of a question with a value, `selected`, and/or/not)
read as words with question NUMBERS and choice LABELS; any other shape reads as "a condition on
questions 12, 14", never as the expression itself. Sentences come from the message catalogue.
"""
from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import gettext as _

from .definition import Definition, Question
from .expressions import references

SYMBOLS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
#: A comparison read the other way round: 5 < ${q} is ${q} > 5.
FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class _Unsupported(Exception):
    """A shape that has no wording: the caller words the whole condition generically."""


def question_numbers(definition: Definition) -> dict[str, int]:
    """Question name → its number on paper (answerable questions in order, repeats' included)."""
    return {question.name: number for number, question in enumerate(definition.questions(), start=1)}


def skip_instruction(item: Question, definition: Definition, numbers: dict[str, int], language: str) -> str | None:
    """The sentence printed above an item that is only asked under a condition (None when always asked)."""
    if item.relevant is None:
        return None
    condition = condition_in_words(item.relevant, definition, numbers, language)
    inside = [numbers[q.name] for q in definition.walk(item.children) if q.name in numbers]
    if item.name in numbers:
        inside = [numbers[item.name]]
    if not inside:
        return _("If %(condition)s, read this note.", condition=condition)
    if len(inside) == 1:
        return _("If %(condition)s, answer question %(number)s.", condition=condition, number=inside[0])
    return _("If %(condition)s, answer questions %(first)s–%(last)s.", condition=condition,
             first=inside[0], last=inside[-1])


def condition_in_words(ast: list, definition: Definition, numbers: dict[str, int], language: str) -> str:
    try:
        return _Wording(definition, numbers, language).condition(ast)
    except _Unsupported:
        return _generic(ast, numbers)


def _generic(ast: list, numbers: dict[str, int]) -> str:
    cited = sorted(numbers[name] for name in references(ast) if name in numbers)
    if not cited:
        return _("a condition holds")
    return _("a condition on %(questions)s holds", questions=_questions(cited))


def _questions(cited: list[int]) -> str:
    if len(cited) == 1:
        return _("question %(number)s", number=cited[0])
    return _("questions %(numbers)s", numbers=", ".join(str(n) for n in cited))


class _Wording:
    def __init__(self, definition: Definition, numbers: dict[str, int], language: str):
        self.definition, self.numbers, self.language = definition, numbers, language

    def condition(self, node: list, parent: str | None = None) -> str:
        kind = node[0]
        if kind == "op" and node[1] in ("and", "or"):
            text = self._joined(node, node[1])
            return f"({text})" if parent is not None and parent != node[1] else text
        if kind == "op" and node[1] in SYMBOLS:
            return self._comparison(node[1], node[2], node[3])
        if kind == "call" and node[1] == "selected":
            return self._selected(node[2], negated=False)
        if kind == "call" and node[1] == "not":
            inner = node[2][0]
            if inner[0] == "call" and inner[1] == "selected":
                return self._selected(inner[2], negated=True)
            return _("not (%(condition)s)", condition=self.condition(inner))
        raise _Unsupported

    def _joined(self, node: list, word: str) -> str:
        left, right = self.condition(node[2], word), self.condition(node[3], word)
        if word == "and":
            return _("%(left)s and %(right)s", left=left, right=right)
        return _("%(left)s or %(right)s", left=left, right=right)

    def _question(self, node: list) -> Question:
        if node[0] != "ref" or node[1] not in self.numbers:
            raise _Unsupported
        return self.definition.by_name[node[1]]

    def _value(self, node: list, question: Question) -> str:
        """A choice's label (`'yes'` → Có, and `3` → "3 sao" too), a number as the reader writes it, or text."""
        if node[0] not in ("str", "num"):
            raise _Unsupported
        if question.list_name:
            name = node[1] if node[0] == "str" else f"{node[1]:g}"
            return self.definition.choice_label(question.list_name, name, self.language)
        if node[0] == "num":
            return format_decimal(node[1], format="#,##0.###", locale="en" if self.language == "en" else "vi")
        return f"“{node[1]}”"

    def _comparison(self, op: str, left: list, right: list) -> str:
        if left[0] != "ref":
            left, right, op = right, left, FLIPPED[op]
        question = self._question(left)
        subject = _("question %(number)s", number=self.numbers[question.name])
        if right[0] == "ref":
            other = _("question %(number)s", number=self.numbers[self._question(right).name])
            return f"{subject} {SYMBOLS[op]} {other}"
        if right == ["str", ""] and op in ("=", "!="):
            if op == "=":
                return _("%(question)s is not answered", question=subject)
            return _("%(question)s is answered", question=subject)
        return f"{subject} {SYMBOLS[op]} {self._value(right, question)}"

    def _selected(self, args: list, negated: bool) -> str:
        question = self._question(args[0])
        subject = _("question %(number)s", number=self.numbers[question.name])
        choice = self._value(args[1], question)
        if negated:
            return _("%(question)s does not include %(choice)s", question=subject, choice=choice)
        return _("%(question)s includes %(choice)s", question=subject, choice=choice)
