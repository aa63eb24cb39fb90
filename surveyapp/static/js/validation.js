// Answers checked as they are entered, from the one definition: `check` below is answers.check_answers
// of the server (types as typed in the page's language, skip logic, required, constraints) in the
// browser, on the same parsed ASTs (evaluated by expressions.js) and with the same messages, which the
// page carries (data-questions, data-validation-texts). tests/validation_cases.json holds the cases
// both sides must agree on. The server stays the judge: it checks everything again.
(function () {
  "use strict";
  var E = window.SurveyExpressions;
  if (!E) { return; }

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  function isEmpty(v) {
    if (v === null || v === undefined || v === "") { return true; }
    if (Array.isArray(v)) { return v.length === 0; }
    return typeof v === "object" && Object.keys(v).length === 0;
  }

  function Invalid(message) { this.message = message; }

  // --- typed values, as answers.coerce --------------------------------------------------------------
  var PLAIN_INTEGER = /^[+-]?\d+$/;
  var GROUPED_INTEGER = /^[+-]?\d{1,3}([.,\s]\d{3})+$/;
  var DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
  var ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
  var FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

  function integer(raw, texts) {
    if (typeof raw === "number" && Number.isInteger(raw)) { return raw; }
    var text = String(raw).trim().replace(/\u00a0/g, " ");
    if (PLAIN_INTEGER.test(text)) { return Number(text); }
    if (GROUPED_INTEGER.test(text)) { return Number(text.replace(/[.,\s]/g, "")); }
    throw new Invalid(texts.integer);
  }

  function decimal(raw, texts) {
    if (typeof raw === "number") { return raw; }
    var text = String(raw).trim().replace(/[ \u00a0]/g, "");
    var english = texts.language === "en";
    var group = english ? "," : ".", point = english ? "." : ",";
    var grouped = new RegExp("^[+-]?\\d{1,3}(\\" + group + "\\d{3})+(\\" + point + "\\d+)?$");
    if (grouped.test(text)) {
      text = text.split(group).join("").replace(point, ".");
    } else if (/^[+-]?(\d+([.,]\d+)?|[.,]\d+)$/.test(text)) {
      text = text.replace(",", ".");
    } else {
      throw new Invalid(texts.decimal);
    }
    return Number(text);
  }

  function isoDate(year, month, day) {
    var date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    if (year < 1 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
      return null;
    }
    return ("000" + year).slice(-4) + "-" + ("0" + month).slice(-2) + "-" + ("0" + day).slice(-2);
  }

  function date(raw, texts) {
    var text = String(raw).trim();
    var parts = DMY.exec(text);
    var value = parts ? isoDate(Number(parts[3]), Number(parts[2]), Number(parts[1])) : null;
    if (!parts && (parts = ISO.exec(text))) { value = isoDate(Number(parts[1]), Number(parts[2]), Number(parts[3])); }
    if (value === null) { throw new Invalid(texts.date); }
    return value;
  }

  function multiple(info, raw, texts) {
    var values = typeof raw === "string" ? raw.split(/\s+/).filter(Boolean) : [].concat(raw).map(String);
    var allowed = info.choices || [];
    var unknown = values.filter(function (v) { return allowed.indexOf(v) === -1; });
    if (unknown.length) { throw new Invalid(texts.unknown_option.replace("{value}", unknown.join(", "))); }
    var chosen = allowed.filter(function (name) { return values.indexOf(name) !== -1; });
    return chosen.length ? chosen : null;
  }

  function coordinate(value, texts) {
    var text = String(value === null || value === undefined ? "" : value).replace(/,/g, ".").trim();
    if (!FLOAT.test(text)) { throw new Invalid(texts.geopoint_numbers); }
    return Number(text);
  }

  function geopoint(raw, texts) {
    if (typeof raw === "string") {
      var parts = raw.split(/\s+/).filter(Boolean);
      raw = { lat: parts[0], lon: parts.length > 1 ? parts[1] : "", accuracy: parts.length > 3 ? parts[3] : "" };
    }
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) { throw new Invalid(texts.geopoint_missing); }
    if (isEmpty(raw.lat) && isEmpty(raw.lon)) { return null; }
    var lat = coordinate(raw.lat, texts), lon = coordinate(raw.lon, texts);
    var accuracy = isEmpty(raw.accuracy) ? null : Math.round(coordinate(raw.accuracy, texts) * 10) / 10;
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) || (accuracy !== null && accuracy < 0)) {
      throw new Invalid(texts.geopoint_range);
    }
    return { lat: lat, lon: lon, accuracy: accuracy };
  }

  function coerce(info, raw, texts) {
    if (info.kind === "note" || isEmpty(raw)) { return null; }
    switch (info.kind) {
      case "text": {
        var text = String(raw).trim();
        if (Array.from(text).length > texts.max_text) { throw new Invalid(texts.too_long); }
        return text || null;
      }
      case "integer": return integer(raw, texts);
      case "decimal": return decimal(raw, texts);
      case "date": return date(raw, texts);
      case "select_one": {
        var value = String(raw).trim();
        if ((info.choices || []).indexOf(value) === -1) { throw new Invalid(texts.choose); }
        return value;
      }
      case "select_multiple": return multiple(info, raw, texts);
      case "geopoint": return geopoint(raw, texts);
      case "image": {
        // the stored photo's file name, "<sha256>.jpg", as answers.PHOTO_NAME
        if (typeof raw !== "string" || !/^[0-9a-f]{64}\.jpg$/.test(raw.trim())) { throw new Invalid(texts.photo); }
        return raw.trim();
      }
    }
    return raw;
  }

  // --- the checker, as answers._Checker -------------------------------------------------------------
  function childrenOf(questions) {
    var children = { "": [] };
    Object.keys(questions).forEach(function (name) {
      var parent = questions[name].parent || "";
      (children[parent] = children[parent] || []).push(name);
    });
    return children;
  }

  // questions: the page's data-questions; raw: answers as collected; options.submit: check required and
  // constraints (a draft is only typed); options.today: "YYYY-MM-DD" (else the app's today).
  // Returns { answers: typed, errors: { key: message } in document order }.
  function check(questions, texts, raw, options) {
    var submit = !options || options.submit !== false;
    var today = options && options.today;
    var children = childrenOf(questions);
    var answers = {}, errors = {};

    function lookupFor(row) {
      return function (name) {
        var info = questions[name];
        if (!info) { return null; }
        if (info.repeat && row && has(row, name)) { return row[name]; }
        if (info.repeat) {
          return (answers[info.repeat] || []).map(function (r) { return has(r, name) ? r[name] : null; });
        }
        return has(answers, name) ? answers[name] : null;
      };
    }

    function isTrue(ast, row, selfValue) {
      return E.boolean(E.evaluate(ast, lookupFor(row), selfValue === undefined ? null : selfValue, today));
    }

    function answer(info, value, row, key, shown) {
      if (!shown) { return null; }
      var typed;
      try {
        typed = coerce(info, value, texts);
      } catch (error) {
        if (!(error instanceof Invalid)) { throw error; }
        errors[key] = error.message;
        return null;
      }
      if (typed !== null && info.choice_filter) {
        var kept = E.offered(info, lookupFor(row), today);
        if ([].concat(typed).some(function (name) { return kept.indexOf(name) === -1; })) {
          errors[key] = texts.filtered_out;
          return null;
        }
      }
      if (!submit) { return typed; }
      if (typed === null) {
        if (info.required) { errors[key] = info.required; }
        return typed;
      }
      if (info.constraint && !isTrue(info.constraint, row, typed)) { errors[key] = info.constraint_message; }
      return typed;
    }

    function repeat(name, rawRows, shown) {
      var rows = [];
      answers[name] = rows;
      if (!shown || !rawRows || isEmpty(rawRows)) { return; }
      if (!Array.isArray(rawRows) || rawRows.length > texts.max_rows) {
        errors[name] = texts.too_many_rows;
        return;
      }
      rawRows.forEach(function (rawRow, index) {
        rawRow = rawRow && typeof rawRow === "object" && !Array.isArray(rawRow) ? rawRow : {};
        if (Object.keys(rawRow).every(function (k) { return isEmpty(rawRow[k]); })) { return; }
        var row = {};
        rows.push(row);
        items(children[name] || [], rawRow, row, name + "-" + index + "-", true);
      });
    }

    function items(names, values, row, prefix, relevant) {
      var target = row || answers;
      names.forEach(function (name) {
        var info = questions[name];
        var shown = relevant && (!info.relevant || isTrue(info.relevant, row));
        if (info.kind === "group") {
          items(children[name] || [], values, row, prefix, shown);
        } else if (info.kind === "repeat") {
          repeat(name, values[name], shown);
        } else if (info.kind === "calculate") {  // computed, whatever was sent for it, as on the server
          target[name] = shown ? E.stored(E.evaluate(info.calculation, lookupFor(row), null, today)) : null;
        } else if (info.kind !== "note") {
          target[name] = answer(info, has(values, name) ? values[name] : null, row, prefix + name, shown);
        }
      });
    }

    items(children[""], raw || {}, null, "", true);
    return { answers: answers, errors: errors };
  }

  // "Sản phẩm chính 2 · Tên sản phẩm" for "products-1-product_name"; the question's label otherwise.
  function labelOf(questions, key) {
    var parts = key.split("-");
    if (parts.length === 3 && /^\d+$/.test(parts[1]) && questions[parts[0]] && questions[parts[2]]) {
      return questions[parts[0]].label + " " + (Number(parts[1]) + 1) + " · " + questions[parts[2]].label;
    }
    return questions[key] ? questions[key].label : "";
  }

  function named(questions, key, message) {
    var label = labelOf(questions, key);
    return label ? label + ": " + message : message;
  }

  window.SurveyValidation = { check: check, labelOf: labelOf, named: named };

  // --- the questionnaire page: messages beside the fields, and a summary that blocks a bad save --------
  var form = document.getElementById("questionnaire");
  if (!form || !window.SurveyForm || !form.getAttribute("data-validation-texts")) { return; }
  var questions = JSON.parse(form.getAttribute("data-questions") || "{}");
  var texts = JSON.parse(form.getAttribute("data-validation-texts"));
  var touched = {};  // keys whose message shows: answered (changed or left) by the enumerator, or sent
  var latest = { errors: {} };

  function rowsOf(repeatName) {
    var holder = form.querySelector('.repeat-rows[data-repeat="' + repeatName + '"]');
    return holder ? Array.prototype.slice.call(holder.querySelectorAll(".repeat-row")) : [];
  }

  // The error key of a field's holder: its name, or "<repeat>-<row position>-<name>" in a repeat row.
  function keyOf(holder) {
    var name = holder.getAttribute("data-name");
    var row = holder.closest(".repeat-row");
    if (!row) { return name; }
    var repeatName = row.getAttribute("data-repeat");
    return repeatName + "-" + rowsOf(repeatName).indexOf(row) + "-" + name;
  }

  function holderOf(key) {
    var parts = key.split("-");
    if (parts.length === 3 && /^\d+$/.test(parts[1]) && questions[parts[2]]) {
      var row = rowsOf(parts[0])[Number(parts[1])];
      return row ? row.querySelector('.question[data-name="' + parts[2] + '"]') : null;
    }
    return form.querySelector('.question[data-name="' + key + '"]:not(.repeat-row .question)') ||
      form.querySelector('.q-repeat[data-name="' + key + '"]');
  }

  function show(key, message) {
    var holder = holderOf(key);
    if (!holder) { return; }
    var live = holder.querySelector(":scope > .live-error, :scope > fieldset > .live-error");
    var inputs = holder.querySelectorAll("input:not([type=hidden]), select, textarea");
    Array.prototype.forEach.call(inputs, function (input) { input.classList.toggle("is-invalid", !!message); });
    if (!message) {
      if (live) { live.remove(); }
      return;
    }
    if (!live) {
      live = document.createElement("div");
      live.className = "invalid-feedback d-block live-error";
      live.setAttribute("aria-live", "polite");
      (holder.querySelector(":scope > fieldset") || holder).appendChild(live);
    }
    live.textContent = message;
  }

  function dropServerMessages(holder) {
    Array.prototype.forEach.call(holder.querySelectorAll(".invalid-feedback:not(.live-error)"), function (element) {
      element.remove();
    });
  }

  function refresh(submit) {
    latest = check(questions, texts, window.SurveyForm.collect(), { submit: submit });
    Object.keys(touched).forEach(function (key) { show(key, latest.errors[key] || ""); });
  }

  // A changed answer re-checks the questions whose constraint reads it (female ≤ total both ways).
  function touchDependents(name) {
    Object.keys(latest.errors).forEach(function (key) {
      var question = questions[key.split("-").pop()];
      if (question && question.constraint && latest.errors[key] === question.constraint_message &&
          JSON.stringify(question.constraint).indexOf('["ref","' + name + '"]') !== -1) {
        touched[key] = true;
      }
    });
  }

  function answered(event) {
    var holder = event.target.closest && event.target.closest(".question");
    if (!holder || !form.contains(holder) || !event.target.name) { return; }
    var key = keyOf(holder);
    if (event.type === "change") { dropServerMessages(holder); }
    touched[key] = true;
    refresh(true);
    touchDependents(holder.getAttribute("data-name"));
    refresh(true);
  }

  form.addEventListener("change", answered);
  form.addEventListener("focusout", answered);
  form.addEventListener("input", function () { refresh(true); });  // a message goes as soon as it is fixed

  // A form filled afresh (the offline page's next establishment) or saved starts with no messages.
  function forget() {
    Object.keys(touched).forEach(function (key) { show(key, ""); });
    touched = {};
    latest = { errors: {} };
    var box = document.getElementById("error-summary");
    if (box && box.hasAttribute("data-live")) { box.remove(); }
  }

  form.addEventListener("reset", forget);
  document.addEventListener("survey:saving", forget);

  function summarise(errors) {
    var box = document.getElementById("error-summary");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-live", "");
      box.id = "error-summary";
      box.className = "alert alert-danger";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = "";
    var heading = document.createElement("strong");
    heading.textContent = texts.summary;
    var list = document.createElement("ul");
    list.className = "mb-0";
    Object.keys(errors).forEach(function (key) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      var holder = holderOf(key);
      link.href = "#" + (holder && holder.id ? holder.id : "");
      link.textContent = named(questions, key, errors[key]);
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
    box.focus({ preventScroll: true });  // focus alone would scroll only as far as the box's middle
    box.scrollIntoView({ block: "start" });
  }

  // A summary's link (the server's or ours) brings its field to the middle of the screen, ready to type:
  // at the top it would sit under the header, and a phone would still need a tap to open the keyboard.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('#error-summary a[href^="#q-"]');
    var holder = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!holder) { return; }
    event.preventDefault();
    holder.scrollIntoView({ block: "center" });
    var input = holder.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (input) { input.focus({ preventScroll: true }); }
  });

  // Before the page's own handlers (capture on the document): a save that breaks a rule goes nowhere,
  // neither to the server nor into the outbox. A draft is held back only for answers of the wrong type,
  // which the server would refuse too; missing or out-of-range answers may wait in a draft.
  document.addEventListener("submit", function (event) {
    if (event.target !== form) { return; }
    var action = event.submitter ? event.submitter.value : "draft";
    if (action.indexOf(":") !== -1) { return; }
    var result = check(questions, texts, window.SurveyForm.collect(), { submit: action === "submit" });
    if (!Object.keys(result.errors).length) { return; }
    event.preventDefault();
    event.stopPropagation();
    Object.keys(result.errors).forEach(function (key) { touched[key] = true; });
    latest = result;
    Object.keys(touched).forEach(function (key) { show(key, result.errors[key] || ""); });
    summarise(result.errors);
  }, true);
})();
