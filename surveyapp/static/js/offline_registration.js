// The offline form's establishment search (diacritics ignored, đ = d) and the registration of a newly
// found establishment. A new one is chosen as "new:<uuid>" and its registration rides along in the
// outbox item of its first questionnaire; outbox.js registers it, then sends the record.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  var picker = document.getElementById("offline-establishment");
  var search = document.getElementById("offline-search");
  var count = document.getElementById("offline-search-count");
  var register = document.getElementById("offline-register-form");
  var dataElement = document.getElementById("offline-establishments");
  var textsElement = document.getElementById("offline-registration-texts");
  if (!form || !picker || !search || !register || !dataElement || !textsElement) { return; }
  var texts = JSON.parse(textsElement.textContent);
  var establishments = JSON.parse(dataElement.textContent);
  var notice = document.getElementById("offline-notice");
  var FIELDS = ["commune_code", "name", "owner", "legal_form", "vsic_code", "address", "phone"];
  var pending = null;  // the registration chosen for the questionnaire on the page

  /** Lowercase, without Vietnamese diacritics (đ → d), single spaces: as the server's text.fold. */
  function fold(text) {
    return String(text || "").replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }
  window.SurveyFold = fold;

  // --- search -------------------------------------------------------------------------------------
  function showMatches() {
    var words = fold(search.value).split(" ").filter(Boolean);
    var kept = picker.value;
    var shown = 0;
    while (picker.options.length > 1) { picker.remove(1); }
    establishments.forEach(function (e) {
      var haystack = e.search + " " + fold(e.commune);
      if (!words.every(function (word) { return haystack.indexOf(word) !== -1; })) { return; }
      picker.add(new Option(e.name + " · " + e.commune + " · " + e.code, e.code));
      shown += 1;
    });
    picker.value = kept;
    if (picker.value !== kept) { picker.value = ""; }
    count.textContent = !words.length ? "" : shown ? texts.matches.replace("{n}", String(shown)) : texts.none;
  }
  search.addEventListener("input", showMatches);

  // --- registration -------------------------------------------------------------------------------
  function input(name) { return document.getElementById("reg-" + name); }

  function values() {
    var result = {};
    FIELDS.forEach(function (name) { result[name] = input(name).value.trim(); });
    return result;
  }

  function problems(entry) {
    var found = {};
    if (!entry.commune_code) { found.commune_code = texts.commune; }
    if (!entry.name) { found.name = texts.required; }
    if (!entry.legal_form) { found.legal_form = texts.required; }
    if (!/^\d{4,5}$/.test(entry.vsic_code)) { found.vsic_code = entry.vsic_code ? texts.vsic : texts.required; }
    if (entry.phone && !/^0\d{9,10}$/.test(entry.phone)) { found.phone = texts.phone; }
    return found;
  }

  function showProblems(found) {
    Array.prototype.forEach.call(register.querySelectorAll(".reg-error"), function (e) { e.remove(); });
    FIELDS.forEach(function (name) {
      input(name).classList.toggle("is-invalid", Boolean(found[name]));
      if (!found[name]) { return; }
      var message = document.createElement("div");
      message.className = "invalid-feedback d-block reg-error";
      message.textContent = found[name];
      input(name).parentNode.appendChild(message);
    });
  }

  function fill(entry) {
    FIELDS.forEach(function (name) { if (entry[name] !== undefined && entry[name] !== null) { input(name).value = entry[name]; } });
  }

  function use(registration, code) {
    pending = registration;
    picker.value = "";
    form.setAttribute("data-establishment", code || "new:" + registration.uuid);
    form.setAttribute("data-establishment-name", registration.name);
    form.querySelector('input[name="base_uuid"]').value = "";
    var commune = input("commune_code").querySelector('option[value="' + registration.commune_code + '"]');
    if (window.SurveyGps) { window.SurveyGps.declare(commune ? commune.getAttribute("data-district") : null); }
    notice.className = "alert alert-info";
    notice.textContent = texts.chosen.replace("{name}", registration.name);
  }

  register.addEventListener("submit", function (event) {
    event.preventDefault();
    var entry = values();
    var found = problems(entry);
    showProblems(found);
    if (Object.keys(found).length) { input(Object.keys(found)[0]).focus(); return; }
    entry.uuid = window.SurveyOutbox.newUuid();
    use(entry);
    window.SurveyForm.fill({ establishment_name: entry.name, owner_name: entry.owner, address: entry.address });
    document.getElementById("offline-register").open = false;
    form.scrollIntoView({ block: "start" });
  });

  // The name searched for and not found is most likely the one to register.
  document.getElementById("offline-register").addEventListener("toggle", function (event) {
    if (event.target.open && !input("name").value) { input("name").value = search.value.trim(); }
  });

  picker.addEventListener("change", function () { pending = null; });

  // The questionnaire being saved carries the registration it belongs to (outbox.js sends both).
  document.addEventListener("survey:saving", function (event) {
    var chosen = form.getAttribute("data-establishment") || "";
    if (!pending || (chosen !== "new:" + pending.uuid && chosen !== pending.code)) { return; }
    if (!pending.code) { Object.assign(pending, values()); }  // fixes typed since, until the server has it
    event.detail.registration = pending;
  });

  document.addEventListener("survey:saved", function (event) {
    if (pending && event.detail.registration && event.detail.registration.uuid === pending.uuid) {
      pending = null;
      register.reset();
    }
  });

  // A refused item opened to be fixed: a new establishment comes back with its registration.
  document.addEventListener("survey:item-reopened", function (event) {
    var item = event.detail;
    if (!item.registration) { return; }
    fill(item.registration);
    use(item.registration, item.registration.code);
    showProblems(item.registration.code ? {} : (item.errors || {}));
    if (!item.registration.code && item.errors) { document.getElementById("offline-register").open = true; }
  });
})();
