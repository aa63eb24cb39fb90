// Evaluates form expressions (skip logic, constraints) in the browser. There is no parser here: the
// server parses expression text once (surveyapp/questionnaire/expressions.py) and sends the AST, and
// this file evaluates that AST with exactly the server's semantics. tests/test_expressions.py runs
// every case of tests/expression_cases.json through both. Nothing here turns text into code: an AST
// can only reach the functions below and the values that `lookup` returns.
(function () {
  "use strict";

  // name -> [fewest, most] arguments; null: no upper bound (as FUNCTIONS in expressions.py).
  var ARITY = {
    "selected": [2, 2], "count-selected": [1, 1], "string-length": [1, 1], "regex": [2, 2],
    "not": [1, 1], "true": [0, 0], "false": [0, 0], "today": [0, 0], "if": [3, 3],
    "coalesce": [2, 2], "number": [1, 1], "int": [1, 1], "string": [1, 1], "concat": [1, null],
    "count": [1, 1], "sum": [1, 1], "round": [2, 2]
  };
  var EDGES = /^[ \t\n\r]+|[ \t\n\r]+$/g; // XPath's whitespace only, as on the server
  var SPACES = /[ \t\n\r]+/;
  var DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
  var DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

  function isList(v) { return Array.isArray(v); }
  function isEmpty(v) { return v === null || v === undefined || v === "" || (isList(v) && v.length === 0); }
  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  function string(v) {
    if (v === null || v === undefined) { return ""; }
    if (typeof v === "boolean") { return v ? "true" : "false"; }
    if (typeof v === "number") { return String(v); }
    if (isList(v)) { return v.map(string).join(" "); }
    return String(v);
  }

  // Days since 1970-01-01 of a real calendar date (years 1-9999, as Python's datetime.date), else NaN.
  function days(year, month, day) {
    if (year < 1) { return NaN; }
    var date = new Date(0);
    date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0-99 as 1900-1999
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
      return NaN;
    }
    return date.getTime() / 86400000;
  }

  function number(v) {
    if (v === null || v === undefined) { return NaN; }
    if (typeof v === "boolean") { return v ? 1 : 0; }
    if (typeof v === "number") { return v; }
    if (isList(v)) { return v.length === 1 ? number(v[0]) : NaN; }
    var text = string(v).replace(EDGES, "");
    var date = DATE.exec(text);
    if (date) { return days(Number(date[1]), Number(date[2]), Number(date[3])); }
    return DECIMAL.test(text) ? Number(text) : NaN;
  }

  function boolean(v) {
    if (typeof v === "boolean") { return v; }
    if (typeof v === "number") { return v !== 0 && v === v; }
    if (v === null || v === undefined) { return false; }
    return isList(v) ? v.length > 0 : string(v) !== "";
  }

  // A select_multiple answer as choice names: a list's items, or a string split on whitespace.
  function items(v) {
    if (isList(v)) { return v.map(string); }
    return string(v).split(SPACES).filter(function (part) { return part !== ""; });
  }

  function equal(a, b) {
    if (typeof a === "boolean" || typeof b === "boolean") { return boolean(a) === boolean(b); }
    if (typeof a === "number" || typeof b === "number") { return number(a) === number(b); }
    var left = isList(a) && a.length ? a.map(string) : [string(a)];
    var right = isList(b) && b.length ? b.map(string) : [string(b)];
    return left.some(function (item) { return right.indexOf(item) !== -1; });
  }

  function binary(op, a, b) {
    if (op === "=") { return equal(a, b); }
    if (op === "!=") { return !equal(a, b); }
    var x = number(a), y = number(b);
    switch (op) {
      case "<": return x < y;
      case "<=": return x <= y;
      case ">": return x > y;
      case ">=": return x >= y;
      case "+": return x + y;
      case "-": return x - y;
      case "*": return x * y;
      case "div": return y === 0 ? NaN : x / y;
      case "mod": return y === 0 ? NaN : x % y;
    }
    throw new Error("unknown operator " + op);
  }

  // Half away from zero, scaling by an exact power of ten parsed from "1eN" (as the server does).
  function round(x, digits) {
    if (x !== x || digits !== digits) { return NaN; }
    var d = Math.trunc(Math.max(-308, Math.min(308, digits)));
    var scale = Number("1e" + Math.abs(d));
    var scaled = d >= 0 ? Math.abs(x) * scale : Math.abs(x) / scale;
    if (!isFinite(scaled)) { return x; }
    var rounded = Math.floor(scaled + 0.5);
    rounded = d >= 0 ? rounded / scale : rounded * scale;
    return x < 0 ? -rounded : rounded;
  }

  function sum(v) {
    var list = isList(v) ? v : (v === null || v === undefined ? [] : [v]);
    var total = 0;
    list.forEach(function (item) {
      var x = number(item);
      if (x === x) { total += x; }
    });
    return total;
  }

  function regex(value, pattern) {
    var compiled;
    try { compiled = new RegExp(string(pattern)); } catch (error) { return false; }
    return compiled.test(string(value));
  }

  // Today in the app's time zone (<html data-timezone>, as the server's today()), not the device's:
  // at 05:20 in Sóc Trăng a phone set to UTC still thinks it is yesterday.
  function appToday() {
    var zone = document.documentElement.getAttribute("data-timezone") || "Asia/Ho_Chi_Minh";
    var parts = {};
    new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }

  function call(name, args, ev, today) {
    if (!has(ARITY, name)) { throw new Error("unknown function " + name); }
    var arity = ARITY[name];
    if (args.length < arity[0] || (arity[1] !== null && args.length > arity[1])) {
      throw new Error(name + "() takes " + arity[0] + " arguments, got " + args.length);
    }
    switch (name) {
      case "if": return boolean(ev(args[0])) ? ev(args[1]) : ev(args[2]);
      case "true": return true;
      case "false": return false;
      case "today": return today;
    }
    var v = args.map(ev), x = v[0];
    switch (name) {
      case "selected": return items(x).indexOf(string(v[1])) !== -1;
      case "count-selected": return items(x).length;
      case "string-length": return Array.from(string(x)).length; // code points, as Python's len()
      case "regex": return regex(x, v[1]);
      case "not": return !boolean(x);
      case "coalesce": return isEmpty(x) ? v[1] : x;
      case "number": return number(x);
      case "int": return Math.trunc(number(x));
      case "string": return string(x);
      case "concat": return v.map(string).join("");
      case "count": return isList(x) ? x.length : (isEmpty(x) ? 0 : 1);
      case "sum": return sum(x);
      case "round": return round(number(x), number(v[1]));
    }
  }

  // lookup(name) gives the current value of ${name}; selfValue that of `.`; today is "YYYY-MM-DD";
  // columns: the cells of the choice a choice_filter judges (["col", name] nodes; missing reads as "").
  function evaluate(ast, lookup, selfValue, today, columns) {
    var day = today || appToday();
    function ev(node) {
      switch (node[0]) {
        case "num": case "str": return node[1];
        case "ref": return lookup(node[1]);
        case "self": return selfValue === undefined ? null : selfValue;
        case "col": return columns && has(columns, node[1]) ? columns[node[1]] : "";
        case "op": {
          var op = node[1], left = ev(node[2]);
          if (op === "and") { return boolean(left) && boolean(ev(node[3])); }
          if (op === "or") { return boolean(left) || boolean(ev(node[3])); }
          return binary(op, left, ev(node[3]));
        }
        case "neg": return -number(ev(node[1]));
        case "call": return call(node[1], node[2], ev, day);
      }
      throw new Error("cannot evaluate " + JSON.stringify(node));
    }
    return ev(ast);
  }

  // A calculation's result as stored, as answers.calculated_value: numbers as they are (NaN: null),
  // true/false as words, anything else as text ("" → null).
  function stored(v) {
    if (typeof v === "boolean") { return v ? "true" : "false"; }
    if (typeof v === "number") { return isFinite(v) ? v : null; }
    var text = string(v);
    return text === "" ? null : text;
  }

  // The choice names of a select question (info from data-questions) that its choice_filter keeps.
  function offered(info, lookup, today) {
    var names = info.choices || [];
    if (!info.choice_filter) { return names; }
    return names.filter(function (name) {
      return boolean(evaluate(info.choice_filter, lookup, null, today, (info.choice_columns || {})[name] || {}));
    });
  }

  window.SurveyExpressions = {
    evaluate: evaluate, boolean: boolean, number: number, string: string, stored: stored, offered: offered
  };
})();
