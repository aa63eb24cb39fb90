// Skip logic and repeat rows of a questionnaire page, in the browser.
// The server checks everything again (answers to hidden questions are dropped there too); this only
// keeps the page short and lets rows be added without a round trip. Expressions arrive parsed (JSON
// ASTs in data-relevant) and are evaluated by expressions.js: no eval anywhere.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form || !window.SurveyExpressions) { return; }
  var questions = JSON.parse(form.getAttribute("data-questions") || "{}");
  var language = document.documentElement.lang || "vi";

  // "1.500.000" or "12,5" as typed in Vietnamese (the reverse in English) → a number, or the text.
  function typedNumber(text) {
    var value = String(text).trim().replace(/\s/g, "");
    if (value === "") { return ""; }
    var group = language === "en" ? "," : ".";
    var point = language === "en" ? "." : ",";
    var grouped = new RegExp("^[+-]?\\d{1,3}(\\" + group + "\\d{3})+(\\" + point + "\\d+)?$");
    if (grouped.test(value)) {
      value = value.split(group).join("").replace(point, ".");
    } else {
      value = value.replace(",", ".");
    }
    var number = Number(value);
    return isNaN(number) ? text : number;
  }

  function inputsNamed(name, scope) {
    return Array.prototype.filter.call((scope || form).querySelectorAll("[name]"), function (input) {
      return input.name === name;
    });
  }

  function fieldValue(fieldName, kind, scope) {
    if (kind === "geopoint") {
      var lat = inputsNamed(fieldName + "-lat", scope)[0];
      var lon = inputsNamed(fieldName + "-lon", scope)[0];
      return lat && lat.value && lon && lon.value ? lat.value + " " + lon.value : "";
    }
    var inputs = inputsNamed(fieldName, scope);
    if (kind === "select_multiple") {
      return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (kind === "select_one" && inputs.length && inputs[0].type === "radio") {
      var checked = inputs.filter(function (i) { return i.checked; })[0];
      return checked ? checked.value : "";
    }
    var value = inputs.length ? inputs[0].value : "";
    return kind === "integer" || kind === "decimal" ? typedNumber(value) : value;
  }

  function rowIndex(row) {
    var named = row.querySelector("[name]");
    var match = named && /^[^-]+-(\d+)-/.exec(named.name);
    return match ? match[1] : null;
  }

  function rowsOf(repeat) {
    var holder = form.querySelector('.repeat-rows[data-repeat="' + repeat + '"]');
    return holder ? Array.prototype.slice.call(holder.querySelectorAll(".repeat-row")) : [];
  }

  function lookupFor(row) {
    return function (name) {
      var info = questions[name];
      if (!info) { return null; }
      if (info.kind === "repeat") { return rowsOf(name).map(function () { return {}; }); }
      if (info.repeat) {
        var rows = row && row.getAttribute("data-repeat") === info.repeat ? [row] : null;
        var values = (rows || rowsOf(info.repeat)).map(function (r) {
          return fieldValue(info.repeat + "-" + rowIndex(r) + "-" + name, info.kind, r);
        });
        return rows ? values[0] : values;
      }
      return fieldValue(name, info.kind);
    };
  }

  function refresh() {
    var hidden = [];
    Array.prototype.forEach.call(form.querySelectorAll("[data-relevant]"), function (element) {
      if (element.closest("template")) { return; }
      var insideHidden = hidden.some(function (h) { return h.contains(element); });
      var row = element.closest(".repeat-row");
      var shown = !insideHidden && window.SurveyExpressions.boolean(
        window.SurveyExpressions.evaluate(JSON.parse(element.getAttribute("data-relevant")), lookupFor(row), null));
      element.classList.toggle("is-hidden", !shown);
      Array.prototype.forEach.call(element.querySelectorAll("input, select, textarea"), function (input) {
        input.disabled = !shown;
      });
      if (!shown) { hidden.push(element); }
    });
  }

  function addRow(repeat) {
    var template = form.querySelector('template.row-template[data-repeat="' + repeat + '"]');
    var holder = form.querySelector('.repeat-rows[data-repeat="' + repeat + '"]');
    var used = rowsOf(repeat).map(function (r) { return Number(rowIndex(r)); });
    var next = used.length ? Math.max.apply(null, used) + 1 : 0;
    var html = template.innerHTML.split("__index__").join(String(next))
      .split("__number__").join(String(used.length + 1));
    holder.insertAdjacentHTML("beforeend", html);
    var added = holder.lastElementChild;
    var first = added.querySelector("input, select, textarea");
    if (first) { first.focus(); }
    refresh();
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    if (button.classList.contains("add-row")) {
      event.preventDefault();
      addRow(button.getAttribute("data-repeat"));
    } else if (button.classList.contains("remove-row")) {
      event.preventDefault();
      button.closest(".repeat-row").remove();
      refresh();
    }
  });
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  // Disabled (hidden) fields are not sent: the server stores them empty, as it would anyway.
  refresh();

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
