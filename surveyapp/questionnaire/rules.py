"""What a constraint says about the range of a numeric answer, read from its AST (no evaluation).

`forms check` warns about an integer or decimal question whose constraint sets no lower bound: a
count or an amount that may be negative is almost always a forgotten `. >= 0`. Only bounds that
hold whatever the other answers are count: `. >= 0`, `. > 0`, `0 <= .`, `. = 1`, a negative number
(`. >= -10`), or `if()` choosing between numbers (`. >= if(${visit_type} = 'update', 2018, 2012)`
guarantees 2012), each alone or as one side of a top-level `and`. `. >= ${workers_hired}` is not
a bound: the other answer may itself be negative. A bound inside `or` or `not()` is not one either.
"""
from __future__ import annotations

from typing import Iterator

from .definition import Definition, Question

NUMERIC_TYPES = ("integer", "decimal")
#: Comparison → the same comparison with its sides swapped (`0 <= .` is `. >= 0`).
_MIRRORED = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "=": "="}
_LOWER = (">=", ">", "=")
_UPPER = ("<=", "<", "=")


def _conjuncts(ast) -> Iterator[list]:
    """The parts of a top-level `a and b and c`, without recursion into anything else."""
    stack = [ast]
    while stack:
        node = stack.pop()
        if node[0] == "op" and node[1] == "and":
            stack += [node[3], node[2]]
        else:
            yield node


def _constant(node, lowest: bool) -> float | None:
    """The value a node is guaranteed to reach at least (lowest) or at most, if it is a number."""
    if node[0] == "num":
        return float(node[1])
    if node[0] == "neg":
        inner = _constant(node[1], not lowest)
        return None if inner is None else -inner
    if node[0] == "call" and node[1] == "if":
        branches = [_constant(branch, lowest) for branch in node[2][1:]]
        if None in branches:
            return None
        return min(branches) if lowest else max(branches)
    return None


def _self_comparisons(ast) -> Iterator[tuple[str, list]]:
    """(operator, other side) of each conjunct comparing `.` with something, written `. op other`."""
    for node in _conjuncts(ast):
        if node[0] != "op" or node[1] not in _MIRRORED:
            continue
        left, right = node[2], node[3]
        if left == ["self"]:
            yield node[1], right
        elif right == ["self"]:
            yield _MIRRORED[node[1]], left


def lower_bound(constraint) -> float | None:
    """The smallest value a constraint allows whatever the other answers are, or None."""
    return _tightest(constraint, _LOWER, lowest=True, pick=max)


def upper_bound(constraint) -> float | None:
    """The largest value a constraint allows whatever the other answers are, or None."""
    return _tightest(constraint, _UPPER, lowest=False, pick=min)


def _tightest(constraint, operators, lowest: bool, pick) -> float | None:
    if constraint is None:
        return None
    bounds = [_constant(other, lowest=lowest) for op, other in _self_comparisons(constraint) if op in operators]
    bounds = [bound for bound in bounds if bound is not None]
    return pick(bounds) if bounds else None


def unbounded_below(definition: Definition) -> list[Question]:
    """Integer and decimal questions whose constraint sets no lower bound."""
    return [question for question in definition.walk()
            if question.kind in NUMERIC_TYPES and lower_bound(question.constraint) is None]


def warnings(definition: Definition) -> list[str]:
    """What `forms check` warns about (not errors: the file still loads and works)."""
    return [f"{definition.source_name}, line {question.line}: {question.kind} question '{question.name}' has no "
            "lower bound in its constraint (e.g. '. >= 0')" for question in unbounded_below(definition)]
