"""Form expressions: the parser, the Python evaluator, and the browser's evaluator agreeing with it.

tests/expression_cases.json is the shared contract: each case is evaluated in Python here and, in
headless Chromium, by surveyapp/static/js/expressions.js; both must give the expected value.
"""
from __future__ import annotations

import ast as python_ast
import builtins
import json
import math
import re
from pathlib import Path

import pytest

from surveyapp.questionnaire import expressions
from surveyapp.questionnaire.expressions import (
    FUNCTIONS, ExpressionError, boolean, evaluate, number, parse, references, string, uses_self,
)

ROOT = Path(__file__).resolve().parents[1]
JS_FILE = ROOT / "surveyapp" / "static" / "js" / "expressions.js"
CASES = json.loads((Path(__file__).parent / "expression_cases.json").read_text(encoding="utf-8"))
TODAY = "2026-11-26"


def run(case):
    values = case["values"]
    # "columns": a choice_filter's case, bare names reading the choice's columns
    return evaluate(parse(case["expr"], "columns" in case), values.get, case["self"], today=case.get("today", TODAY),
                    columns=case.get("columns"))


def canonical(value):
    """A comparable form that keeps types apart (True is not 1) and NaN equal to itself."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        return ("number", "NaN") if math.isnan(value) else ("number", float(value))
    if value is None:
        return ("null", None)
    if isinstance(value, list):
        return ("array", [canonical(item) for item in value])
    return ("string", value)


def expected(case):
    return ("number", "NaN") if case["expected"] == "NaN" else canonical(case["expected"])


def test_there_are_enough_cases_and_every_function_and_operator_is_covered():
    assert len(CASES) >= 80
    text = " ".join(case["expr"] for case in CASES)
    for name in FUNCTIONS:
        assert re.search(rf"(?<![a-z-]){re.escape(name)} ?\(", text), name
    for op in ("or", "and", "div", "mod"):
        assert f" {op} " in text, op
    for op in ("=", "!=", "<", "<=", ">", ">=", "+", "-", "*"):
        assert f" {op} " in text, op


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{c['expr'][:40]}" for i, c in enumerate(CASES)])
def test_python_evaluates_every_case(case):
    assert canonical(run(case)) == expected(case)


def test_asts_survive_json():
    for case in CASES:
        tree = parse(case["expr"], "columns" in case)
        assert json.loads(json.dumps(tree, allow_nan=False)) == tree


@pytest.mark.parametrize("text, message, position", [
    ("${a", "missing '}'", 3),
    ("1 +", "unexpected end of expression", 3),
    ("foo(1)", "unknown function 'foo'", 0),
    ("selected(1)", "selected() takes 2 arguments, got 1", 0),
    ("today(1)", "today() takes 0 arguments, got 1", 0),
    ("concat()", "concat() takes at least 1 argument, got 0", 0),
    ("regex(., '[')", "invalid regular expression '['", 9),
    ("regex(., '(?i)abc')", "invalid regular expression", 9),
    ("regex(., 'a++')", "invalid regular expression", 9),
    ("${}", "field name", 0),
    ("1 2", "unexpected '2'", 2),
    ("'unclosed", "unclosed string", 0),
    (")", "unexpected ')'", 0),
    ("(1 + 2))", "unexpected ')'", 7),
    ("1 = = 2", "unexpected '='", 4),
    ("abc = 1", "unexpected name 'abc'", 0),
    ("not 1", "unexpected name 'not'", 0),
    ("", "empty expression", 0),
    ("$x", "unexpected character '$'", 0),
    ("__import__('os')", "unexpected character '_'", 0),
    ("1" * 1001, "longer than 1000 characters", None),
    ("(" * 60 + "1" + ")" * 60, "nested deeper than 50", 50),
    ("-" * 60 + "1", "nested deeper than 50", 50),
    ("not(" * 60 + "1" + ")" * 60, "nested deeper than 50", 200),
])
def test_parse_errors_say_what_and_where(text, message, position):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert message in error.message
    assert error.position == position
    assert str(error) == (error.message if position is None else f"{error.message} at position {position}")
    assert isinstance(error, ValueError)


def test_the_example_message_of_the_spec():
    with pytest.raises(ExpressionError, match=r"^unexpected '\)' at position 7$"):
        parse("(1 + 2))")


def test_limits_still_allow_real_expressions():
    assert evaluate(parse("(" * 50 + "1" + ")" * 50), lambda name: None) == 1
    long_sum = "1" + "+1" * 499  # 999 characters, a left-nested tree 499 deep
    assert evaluate(parse(long_sum), lambda name: None) == 500


def test_references_and_uses_self():
    tree = parse("if(selected(${needs}, 'x'), . <= ${workers_total}, -${a} + count(${rows}) > 0)")
    assert references(tree) == {"needs", "workers_total", "a", "rows"}
    assert uses_self(tree)
    assert references(parse("1 + 2")) == set()
    assert not uses_self(parse("${a} = .5"))
    assert references(parse("${group.q-1} = ${group.q-1}")) == {"group.q-1"}
    assert uses_self(parse("regex(., '^[0-9]+$')"))
    assert parse("string-length(.)") == ["call", "string-length", [["self"]]]
    assert parse("-${a} div 2") == ["op", "div", ["neg", ["ref", "a"]], ["num", 2]]
    assert parse("'x' != \"y\"") == ["op", "!=", ["str", "x"], ["str", "y"]]


def test_coercions_are_public():
    assert string(3.0) == "3" and string(None) == "" and string(["a", 2]) == "a 2"
    assert number("2026-11-26") == 20783.0 and math.isnan(number("x")) and number(False) == 0
    assert boolean("false") is True and boolean(0.0) is False and boolean([]) is False


def test_default_today_is_the_apps_date():
    from surveyapp.clock import local_today

    assert evaluate(parse("today()"), lambda name: None) == local_today().isoformat()


def test_nothing_is_ever_handed_to_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec/compile called")

    expressions._regex.cache_clear()
    with monkeypatch.context() as patch:  # undone before pytest, which compiles, reports anything
        for name in ("eval", "exec", "compile"):
            patch.setattr(builtins, name, forbidden)
        results = [run(case) for case in CASES]
    assert [canonical(result) for result in results] == [expected(case) for case in CASES]


def test_the_module_names_no_dynamic_evaluation():
    source = python_ast.parse(Path(expressions.__file__).read_text(encoding="utf-8"))
    names = {node.id for node in python_ast.walk(source) if isinstance(node, python_ast.Name)}
    assert not names & {"eval", "exec", "compile", "__import__", "getattr"}


def test_javascript_knows_the_same_functions_and_never_evaluates_text():
    source = JS_FILE.read_text(encoding="utf-8")
    assert "eval(" not in source and "new Function" not in source
    arities = dict(re.findall(r'"([a-z-]+)": \[(\d+, (?:\d+|null))\]', source))
    assert arities == {name: f"{low}, {'null' if high is None else high}"
                       for name, (low, high) in FUNCTIONS.items()}


@pytest.mark.browser
def test_browser_evaluates_every_case_as_python_does(page):
    page.goto("about:blank")
    page.add_script_tag(path=str(JS_FILE))
    payload = [{"ast": parse(case["expr"], "columns" in case), "values": case["values"], "self": case["self"],
                "today": case.get("today", TODAY), "columns": case.get("columns")} for case in CASES]
    results = page.evaluate("""(cases) => {
        function tagged(v) {
            if (v === null || v === undefined) { return ["null", null]; }
            if (Array.isArray(v)) { return ["array", v.map(tagged)]; }
            if (typeof v === "number" && v !== v) { return ["number", "NaN"]; }
            return [typeof v, v];
        }
        return cases.map((c) => {
            const lookup = (name) => Object.prototype.hasOwnProperty.call(c.values, name) ? c.values[name] : null;
            try {
                return tagged(window.SurveyExpressions.evaluate(c.ast, lookup, c.self, c.today, c.columns));
            } catch (error) {
                return ["error", String(error)];
            }
        });
    }""", payload)
    assert len(results) == len(CASES)

    def untag(item):
        kind, value = item
        return (kind, [untag(v) for v in value]) if kind == "array" else \
            (kind, float(value)) if kind == "number" and value != "NaN" else (kind, value)

    mismatches = [(case["expr"], case["values"], case["self"], untag(js), canonical(run(case)))
                  for case, js in zip(CASES, results) if untag(js) != canonical(run(case))]
    assert mismatches == []
    assert all(canonical(run(case)) == expected(case) for case in CASES)
    helpers = page.evaluate("""() => [SurveyExpressions.string(3.0), SurveyExpressions.number(" 2026-11-26 "),
        SurveyExpressions.boolean("false"), SurveyExpressions.string([1.5, null, true])]""")
    assert helpers == [string(3.0), number(" 2026-11-26 "), boolean("false"), string([1.5, None, True])]
