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
    var named = row.querySelector("input[name], select[name], textarea[name]");  // not the Remove button's "action"
    var match = named && /^[^-]+-(\d+)-/.exec(named.name);
    return match ? match[1] : null;
  }

  function rowsOf(repeat) {
    var holder = form.querySelector('.repeat-rows[data-repeat="' + repeat + '"]');
    return holder ? Array.prototype.slice.call(holder.querySelectorAll(".repeat-row")) : [];
  }

  // A calculate has no field: its value is computed from the fields it reads (earlier ones only, so
  // this ends), in the given repeat row when it belongs to one.
  function calculated(info, row) {
    return window.SurveyExpressions.stored(window.SurveyExpressions.evaluate(info.calculation, lookupFor(row), null));
  }

  function lookupFor(row) {
    return function (name) {
      var info = questions[name];
      if (!info) { return null; }
      if (info.kind === "repeat") { return rowsOf(name).map(function () { return {}; }); }
      if (info.kind === "calculate") {
        if (!info.repeat) { return calculated(info, null); }
        if (row && row.getAttribute("data-repeat") === info.repeat) { return calculated(info, row); }
        return rowsOf(info.repeat).map(function (r) { return calculated(info, r); });
      }
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

  // Offer only the options a question's choice_filter keeps; a chosen option left out is cleared.
  function filterChoices() {
    Object.keys(questions).forEach(function (name) {
      var info = questions[name];
      if (!info.choice_filter) { return; }
      Array.prototype.forEach.call(form.querySelectorAll('.question[data-name="' + name + '"]'), function (holder) {
        if (holder.closest("template")) { return; }
        var kept = window.SurveyExpressions.offered(info, lookupFor(holder.closest(".repeat-row")));
        Array.prototype.forEach.call(holder.querySelectorAll("option, input[type=radio], input[type=checkbox]"),
          function (option) {
            if (option.value === "") { return; }
            var offered = kept.indexOf(option.value) !== -1;
            if (option.tagName === "OPTION") {
              option.hidden = !offered;
              option.disabled = !offered;  // some phones' pickers show hidden options anyway
              if (!offered && option.selected) { option.parentNode.value = ""; }
            } else {
              option.closest(".form-check").classList.toggle("is-hidden", !offered);
              if (!offered) { option.checked = false; }
            }
          });
      });
    });
  }

  function refresh() {
    filterChoices();
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

  // --- answers as data, for the outbox (offline) ---------------------------------------------------
  function rawValue(fieldName, kind, scope) {
    if (kind === "geopoint") {
      var parts = ["lat", "lon", "accuracy"].map(function (part) { return inputsNamed(fieldName + "-" + part, scope)[0]; });
      if (!parts[0] || parts[0].disabled || (!parts[0].value && !parts[1].value)) { return null; }
      return { lat: parts[0].value, lon: parts[1].value, accuracy: parts[2] ? parts[2].value : "" };
    }
    var inputs = inputsNamed(fieldName, scope).filter(function (i) { return !i.disabled; });
    if (!inputs.length) { return null; }
    if (kind === "select_multiple") {
      return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (inputs[0].type === "radio") {
      var checked = inputs.filter(function (i) { return i.checked; })[0];
      return checked ? checked.value : null;
    }
    return inputs[0].value === "" ? null : inputs[0].value;
  }

  function collectAnswers() {
    var answers = {};
    Object.keys(questions).forEach(function (name) {
      var info = questions[name];
      if (info.repeat || info.kind === "group" || info.kind === "note") { return; }
      if (info.kind === "repeat") {
        answers[name] = rowsOf(name).map(function (row) {
          var index = rowIndex(row);
          var values = {};
          Object.keys(questions).forEach(function (child) {
            if (questions[child].repeat === name) {
              values[child] = rawValue(name + "-" + index + "-" + child, questions[child].kind, row);
            }
          });
          return values;
        });
        return;
      }
      answers[name] = rawValue(name, info.kind);
    });
    return answers;
  }

  function shown(value, kind) {
    if (value === null || value === undefined) { return ""; }
    if (typeof value === "number" && (kind === "decimal" || kind === "integer")) {
      var text = Number.isInteger(value) ? String(value) : String(value);
      return language === "en" ? text : text.replace(".", ",");
    }
    return String(value);
  }

  function setValue(fieldName, kind, value, scope) {
    if (kind === "geopoint") {
      ["lat", "lon", "accuracy"].forEach(function (part) {
        var input = inputsNamed(fieldName + "-" + part, scope)[0];
        if (input) { input.value = value && value[part] !== null && value[part] !== undefined ? shown(value[part], "decimal") : ""; }
      });
      return;
    }
    var inputs = inputsNamed(fieldName, scope);
    if (!inputs.length) { return; }
    if (inputs[0].type === "radio" || inputs[0].type === "checkbox") {
      var chosen = Array.isArray(value) ? value : (value === null || value === undefined ? [] : [String(value)]);
      inputs.forEach(function (input) { input.checked = chosen.indexOf(input.value) !== -1; });
    } else {
      inputs[0].value = shown(value, kind);
    }
  }

  function fillForm(answers) {
    form.reset();
    Object.keys(questions).forEach(function (name) {
      var info = questions[name];
      if (info.kind === "repeat") {
        rowsOf(name).forEach(function (row) { row.remove(); });
        (answers[name] || []).forEach(function (values) {
          addRow(name);
          var rows = rowsOf(name);
          var row = rows[rows.length - 1];
          var index = rowIndex(row);
          Object.keys(values).forEach(function (child) {
            if (questions[child]) { setValue(name + "-" + index + "-" + child, questions[child].kind, values[child], row); }
          });
        });
      } else if (!info.repeat && info.kind !== "group" && info.kind !== "note") {
        setValue(name, info.kind, answers[name]);
      }
    });
    refresh();
  }

  window.SurveyForm = { collect: collectAnswers, fill: fillForm, refresh: refresh };

  // --- saving into the outbox: always on the offline form, on other forms when the device is offline ---
  var alwaysOffline = form.hasAttribute("data-offline");
  form.addEventListener("submit", function (event) {
    var action = event.submitter ? event.submitter.value : "draft";
    if (!window.SurveyOutbox || (!alwaysOffline && navigator.onLine) || action.indexOf(":") !== -1) { return; }
    event.preventDefault();
    var chosen = form.getAttribute("data-establishment");
    if (!chosen) {
      document.dispatchEvent(new CustomEvent("survey:no-establishment"));
      return;
    }
    if (form.getAttribute("data-saving")) { return; }  // a double tap saves once
    var base = form.querySelector('input[name="base_uuid"]');
    var entry = {
      user: form.getAttribute("data-user"), establishment_code: chosen,
      establishment_name: form.getAttribute("data-establishment-name") || chosen,
      round: form.getAttribute("data-round"), status: action === "submit" ? "submitted" : "draft",
      supersedes: base && base.value ? base.value : null, answers: collectAnswers(),
      photos: window.SurveyPhotos ? window.SurveyPhotos.collect() : []
    };
    savingStarted();
    document.dispatchEvent(new CustomEvent("survey:saving", { detail: entry }));
    window.SurveyOutbox.save(entry).then(function (item) {
      savingEnded();
      document.dispatchEvent(new CustomEvent("survey:saved", { detail: item }));
    }, function (error) {
      savingEnded();  // the answers stay on the page: nothing is lost
      document.dispatchEvent(new CustomEvent("survey:save-failed", { detail: { error: String(error) } }));
    });
  });

  function savingStarted() {
    form.setAttribute("data-saving", "1");
    Array.prototype.forEach.call(form.querySelectorAll('button[type="submit"]'), function (b) { b.disabled = true; });
  }

  function savingEnded() {
    form.removeAttribute("data-saving");
    Array.prototype.forEach.call(form.querySelectorAll('button[type="submit"]'), function (b) { b.disabled = false; });
  }

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
