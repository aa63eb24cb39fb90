"""Skip logic (`relevant`) and checks (`constraint`): the XLSForm subset of XPath, without eval.

There is one parser, here: it turns expression text into an AST of nested lists that survives JSON,
so a form can carry its ASTs to the browser. Two small evaluators read that AST with the same
semantics: `evaluate` below on the server, static/js/expressions.js for skip logic in the browser.
tests/expression_cases.json holds the cases both must agree on. Nothing is handed to eval/exec: an
expression can only reach the functions in FUNCTIONS and the values the caller's `lookup` returns.
"""
from __future__ import annotations

import datetime
import functools
import math
import operator
import re
from decimal import Decimal

from .. import clock

MAX_LENGTH = 1000
MAX_DEPTH = 50
NAN = float("nan")
EPOCH = datetime.date(1970, 1, 1)

# Allowed functions: name -> (fewest, most) arguments; None means no upper bound.
FUNCTIONS = {
    "selected": (2, 2), "count-selected": (1, 1), "string-length": (1, 1), "regex": (2, 2),
    "not": (1, 1), "true": (0, 0), "false": (0, 0), "today": (0, 0), "if": (3, 3),
    "coalesce": (2, 2), "number": (1, 1), "int": (1, 1), "string": (1, 1), "concat": (1, None),
    "count": (1, 1), "sum": (1, 1), "round": (2, 2),
}
KEYWORDS = {"and", "or", "div", "mod"}
# Binary operators by precedence, lowest first (XPath 1.0); all left-associative.
LEVELS = [("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod")]

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<name>[a-z][a-z0-9-]*)
  | (?P<op>!=|<=|>=|[=<>+*-])
  | (?P<punct>[(),])
  | (?P<self>\.)
""", re.VERBOSE)
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)?(\})?")
_WHITESPACE = " \t\n\r"  # XPath's, not Python's or JavaScript's wider sets: both sides agree
_SPLIT = re.compile(r"[ \t\n\r]+")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# JavaScript's \s: its WhiteSpace and LineTerminator characters.
_JS_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class ExpressionError(ValueError):
    """An expression that cannot be parsed (or an AST that cannot be evaluated); says where."""

    def __init__(self, message: str, position: int | None = None):
        self.message, self.position = message, position
        super().__init__(message if position is None else f"{message} at position {position}")


# ---- parsing -------------------------------------------------------------------------------------

def _tokens(text: str, columns: bool = False):
    """Yield (kind, value, position, raw) and a final ("end", ...); kinds: num str ref self func op ( ) ,
    and with `columns` (a choice_filter) col: a bare name, the column of the choice being filtered."""
    pos = 0
    while pos < len(text):
        column = _COLUMN.match(text, pos) if columns else None
        if column and column.group() not in KEYWORDS \
                and not text[column.end():].lstrip(_WHITESPACE).startswith("("):
            yield "col", column.group(), pos, column.group()
            pos = column.end()
            continue
        if text.startswith("${", pos):
            ref = _REF.match(text, pos)
            if not ref.group(1):
                raise ExpressionError("expected a field name in ${...}", pos)
            if not ref.group(2):
                raise ExpressionError(f"missing '}}' after '${{{ref.group(1)}'", ref.end())
            yield "ref", ref.group(1), pos, ref.group(0)
            pos = ref.end()
            continue
        match = _TOKEN.match(text, pos)
        if not match:
            if text[pos] in "'\"":
                raise ExpressionError("unclosed string", pos)
            raise ExpressionError(f"unexpected character {text[pos]!r}", pos)
        kind, raw = match.lastgroup, match.group()
        if kind == "num":
            value = float(raw)
            if not math.isfinite(value):  # JSON has no Infinity
                raise ExpressionError("number too large", pos)
            yield kind, int(value) if value.is_integer() else value, pos, raw
        elif kind == "str":
            yield kind, raw[1:-1], pos, raw
        elif kind == "name":
            if raw in KEYWORDS:
                yield "op", raw, pos, raw
            elif text[match.end():].lstrip(_WHITESPACE).startswith("("):
                yield "func", raw, pos, raw
            else:
                raise ExpressionError(f"unexpected name '{raw}' (a field is written ${{{raw}}})", pos)
        elif kind != "space":
            yield (raw if kind == "punct" else kind), raw, pos, raw
        pos = match.end()
    yield "end", None, len(text), ""


class _Parser:
    """Recursive descent over the tokens; `depth` counts parentheses, calls and unary minus."""

    def __init__(self, text: str, columns: bool = False):
        self.tokens, self.index, self.depth = list(_tokens(text, columns)), 0, 0

    def peek(self):
        return self.tokens[self.index]

    def take(self):
        self.index += 1
        return self.tokens[self.index - 1]

    def unexpected(self, token) -> ExpressionError:
        kind, _, pos, raw = token
        what = "end of expression" if kind == "end" else f"string {raw}" if kind == "str" else f"'{raw}'"
        return ExpressionError(f"unexpected {what}", pos)

    def expect(self, kind: str) -> None:
        if self.peek()[0] != kind:
            raise self.unexpected(self.peek())
        self.take()

    def nested(self, position: int, parse):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels", position)
        node = parse()
        self.depth -= 1
        return node

    def expression(self, level: int = 0):
        if level == len(LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in LEVELS[level]:
            left = ["op", self.take()[1], left, self.expression(level + 1)]
        return left

    def unary(self):
        kind, value, pos, _ = self.peek()
        if (kind, value) == ("op", "-"):
            self.take()
            return ["neg", self.nested(pos, self.unary)]
        return self.primary()

    def primary(self):
        token = self.take()
        kind, value, pos, _ = token
        if kind in ("num", "str", "ref", "col"):
            return [kind, value]
        if kind == "self":
            return ["self"]
        if kind == "(":
            node = self.nested(pos, self.expression)
            self.expect(")")
            return node
        if kind == "func":
            return self.nested(pos, lambda: self.call(value, pos))
        raise self.unexpected(token)

    def call(self, name: str, pos: int):
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function '{name}'", pos)
        self.expect("(")
        args, starts = [], []
        if self.peek()[0] != ")":
            starts.append(self.peek()[2])
            args.append(self.expression())
            while self.peek()[0] == ",":
                self.take()
                starts.append(self.peek()[2])
                args.append(self.expression())
        self.expect(")")
        _check_arity(name, len(args), pos)
        if name == "regex" and args[1][0] == "str":
            try:
                _regex(args[1][1])
            except re.error as error:
                message = f"invalid regular expression {args[1][1]!r}: {error.msg}"
                raise ExpressionError(message, starts[1]) from None
        return ["call", name, args]


def _check_arity(name: str, count: int, pos: int | None) -> None:
    fewest, most = FUNCTIONS[name]
    if count < fewest or (most is not None and count > most):
        want = f"{fewest}" if most == fewest else f"at least {fewest}"
        noun = "argument" if fewest == 1 else "arguments"
        raise ExpressionError(f"{name}() takes {want} {noun}, got {count}", pos)


def parse(text: str, columns: bool = False) -> list:
    """Expression text -> AST; ExpressionError (with a position) for anything we do not accept.
    `columns`: a choice_filter, where a bare name is a column of the choices sheet (["col", name])."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    if not text.strip(_WHITESPACE):
        raise ExpressionError("empty expression", 0)
    parser = _Parser(text, columns)
    ast = parser.expression()
    if parser.peek()[0] != "end":
        raise parser.unexpected(parser.peek())
    return ast


def _walk(ast):
    """Every node, without recursion (a + b + c + ... nests as deep as it is long)."""
    stack = [ast]
    while stack:
        node = stack.pop()
        yield node
        if node[0] in ("op", "neg"):
            stack += node[2:] if node[0] == "op" else node[1:]
        elif node[0] == "call":
            stack += node[2]


def references(ast) -> set[str]:
    """The fields an expression reads, e.g. to know which answers must trigger re-evaluation."""
    return {node[1] for node in _walk(ast) if node[0] == "ref"}


def columns_read(ast) -> set[str]:
    """The choice columns a choice_filter reads."""
    return {node[1] for node in _walk(ast) if node[0] == "col"}


def uses_self(ast) -> bool:
    """Whether `.` (the question's own value) appears."""
    return any(node[0] == "self" for node in _walk(ast))


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern:
    """Compile `pattern` so that it matches where JavaScript's `new RegExp(pattern)` does.

    re.ASCII gives \\d, \\w and \\b their JavaScript (ASCII) meaning; \\s, \\S and `.` are spelled out
    with JavaScript's character sets. A bare `$` becomes `\\Z`: Python's `$` also matches before a
    final newline, so "0312345678\\n" would pass on the server and not in the browser. Syntax that
    only Python reads, or reads otherwise, is refused so that no pattern means two things: (?P<..>,
    (?i), (?#..), atomic groups, possessive quantifiers, {,n}, [] and [^], \\A \\Z \\a \\U \\N.
    """
    out, i, in_class, previous = [], 0, False, ""
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escape = pattern[i:i + 2]
            if escape[1:] in ("A", "Z", "a", "U", "N") or (escape == "\\S" and in_class):
                raise re.error(f"{escape} is not read the same way by browsers")
            if escape == "\\s":
                escape = _JS_SPACE if in_class else f"[{_JS_SPACE}]"
            elif escape == "\\S":
                escape = f"[^{_JS_SPACE}]"
            out.append(escape)
            i, previous = i + 2, "\\"
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[" and pattern.startswith(("]", "^]"), i + 1):
            raise re.error("[] and [^] are not read the same way by browsers")
        elif char == "[":
            in_class = True
        elif char == "(" and pattern.startswith("?", i + 1) \
                and not pattern.startswith(("?:", "?=", "?!", "?<=", "?<!"), i + 1):
            raise re.error("only (?:, (?=, (?!, (?<= and (?<! groups are read the same way by browsers")
        elif char == "+" and previous in ("*", "+", "?", "}"):
            raise re.error("possessive quantifiers are not read the same way by browsers")
        elif pattern.startswith("{,", i):
            raise re.error("{,n} is not read the same way by browsers")
        elif char == "$":
            char = r"\Z"
        elif char == ".":
            char = r"[^\n\r\u2028\u2029]"
        out.append(char)
        i, previous = i + 1, ("" if in_class else char)
    return re.compile("".join(out), re.ASCII)


# ---- values --------------------------------------------------------------------------------------

def _format_number(x: float) -> str:
    """JavaScript's Number#toString, so that string(1e21) or string(0.1) reads the same on both sides."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    _, digit_tuple, exponent = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), len(digits) + exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return ("-" if x < 0 else "") + body


def _is_list(value) -> bool:
    return isinstance(value, (list, tuple))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _empty(value) -> bool:
    return value is None or value == "" or (_is_list(value) and not value)


def string(value) -> str:
    """XPath string(): empty -> "", numbers as JavaScript prints them, a list's items joined by spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return _format_number(number(value))
    if _is_list(value):
        return " ".join(string(item) for item in value)
    return value if isinstance(value, str) else str(value)


def number(value) -> float:
    """XPath number(), plus ISO dates as days since 1970-01-01 so that dates compare and subtract."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _is_number(value):
        try:
            return float(value)
        except OverflowError:  # an int beyond float range
            return math.inf if value > 0 else -math.inf
    if value is None:
        return NAN
    if _is_list(value):
        return number(value[0]) if len(value) == 1 else NAN
    text = string(value).strip(_WHITESPACE)
    if date := _DATE.fullmatch(text):
        try:
            return float((datetime.date(*map(int, date.groups())) - EPOCH).days)
        except ValueError:
            return NAN
    return float(text) if _DECIMAL.fullmatch(text) else NAN


def boolean(value) -> bool:
    """XPath boolean(): numbers other than 0 and NaN, non-empty strings and non-empty lists are true."""
    if isinstance(value, bool):
        return value
    if _is_number(value):
        x = number(value)
        return x == x and x != 0
    if value is None:
        return False
    return len(value) > 0 if _is_list(value) else string(value) != ""


def _items(value) -> list[str]:
    """A select_multiple answer as choice names: a list's items, or a string split on whitespace."""
    if _is_list(value):
        return [string(item) for item in value]
    return [part for part in _SPLIT.split(string(value)) if part]


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return boolean(a) == boolean(b)
    if _is_number(a) or _is_number(b):
        return number(a) == number(b)
    left = [string(item) for item in a] if _is_list(a) and a else [string(a)]
    right = [string(item) for item in b] if _is_list(b) and b else [string(b)]
    return any(item in right for item in left)


# Operators on number() of both sides; comparisons with NaN are false, as in JavaScript.
_NUMERIC = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "div": lambda x, y: NAN if y == 0 else x / y,  # not XPath's Infinity: NaN, and never an exception
    "mod": lambda x, y: NAN if y == 0 or math.isinf(x) else math.fmod(x, y),  # JS %: sign of the dividend
}


def _trunc(x: float) -> float:
    return float(math.trunc(x)) if math.isfinite(x) else x


def _round(x: float, digits: float) -> float:
    """Half away from zero, scaling by an exact power of ten (parsed "1eN", as JavaScript does)."""
    if x != x or digits != digits:
        return NAN
    d = int(max(-308.0, min(308.0, _trunc(digits))))
    scale = float(f"1e{abs(d)}")
    scaled = abs(x) * scale if d >= 0 else abs(x) / scale
    if not math.isfinite(scaled):
        return x
    rounded = math.floor(scaled + 0.5)
    rounded = rounded / scale if d >= 0 else rounded * scale
    return -rounded if x < 0 else float(rounded)


def _sum(value) -> float:
    total = 0.0  # a plain loop: the same additions in the same order as in JavaScript
    for item in (value if _is_list(value) else [] if value is None else [value]):
        x = number(item)
        if x == x:
            total += x
    return total


def _regex_test(value, pattern) -> bool:
    try:
        return _regex(string(pattern)).search(string(value)) is not None
    except re.error:  # only a pattern read from a field can be invalid here
        return False


_EAGER = {
    "selected": lambda x, v: string(v) in _items(x),
    "count-selected": lambda x: len(_items(x)),
    "string-length": lambda x: len(string(x)),
    "regex": _regex_test,
    "not": lambda x: not boolean(x),
    "coalesce": lambda a, b: b if _empty(a) else a,
    "number": number,
    "int": lambda x: _trunc(number(x)),
    "string": string,
    "concat": lambda *values: "".join(string(v) for v in values),
    "count": lambda x: len(x) if _is_list(x) else 0 if _empty(x) else 1,
    "sum": _sum,
    "round": lambda x, digits: _round(number(x), number(digits)),
}


def evaluate(ast, lookup, self_value=None, today: str | None = None, columns: dict | None = None):
    """The value of `ast`; `lookup(name)` gives the current value of ${name}, `self_value` that of `.`,
    `columns` the cells of the choice a choice_filter is judging (a missing column reads as "")."""
    today = today or clock.local_today().isoformat()

    def ev(node):
        kind = node[0]
        if kind in ("num", "str"):
            return node[1]
        if kind == "ref":
            return lookup(node[1])
        if kind == "self":
            return self_value
        if kind == "col":
            return (columns or {}).get(node[1], "")
        if kind == "op":  # the left operand in this frame: long a + b + c chains stay shallow
            op, left = node[1], ev(node[2])
            if op == "and":
                return boolean(left) and boolean(ev(node[3]))
            if op == "or":
                return boolean(left) or boolean(ev(node[3]))
            if op in ("=", "!="):
                return _equal(left, ev(node[3])) == (op == "=")
            if op in _NUMERIC:
                return _NUMERIC[op](number(left), number(ev(node[3])))
        if kind == "neg":
            return -number(ev(node[1]))
        if kind == "call" and node[1] in FUNCTIONS:
            name, args = node[1], node[2]
            _check_arity(name, len(args), None)
            if name == "if":
                return ev(args[1]) if boolean(ev(args[0])) else ev(args[2])
            if name in ("true", "false", "today"):
                return {"true": True, "false": False, "today": today}[name]
            return _EAGER[name](*[ev(arg) for arg in args])
        raise ExpressionError(f"cannot evaluate {node!r}")

    return ev(ast)
