// The offline questionnaire: choose an establishment (its known answers fill the form), fill, save into
// the outbox. Also reopens an outbox item that the server refused (#item=<uuid>) to fix it.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  var picker = document.getElementById("offline-establishment");
  var dataElement = document.getElementById("offline-establishments");
  if (!form || !picker || !dataElement || !window.SurveyForm) { return; }
  var establishments = {};
  JSON.parse(dataElement.textContent).forEach(function (e) { establishments[e.code] = e; });
  var base = form.querySelector('input[name="base_uuid"]');
  var notice = document.getElementById("offline-notice");
  var replacing = null;
  var reopenedPhotos = [];
  // Counts the establishments chosen on this page. A save finishes a moment after the tap; if the
  // enumerator has already picked the next establishment by then, that choice (and what they began to
  // type) must stay: the form is cleared only when nothing was chosen since the save began.
  var choices = 0;
  var choicesAtSave = null;

  function show(message, kind) {
    notice.className = "alert alert-" + kind;
    notice.textContent = message;
    notice.scrollIntoView({ block: "center" });
  }

  function hideNotice() {
    notice.className = "d-none";
    notice.textContent = "";
  }

  function choose(code, answers) {
    var establishment = establishments[code];
    choices += 1;
    form.setAttribute("data-establishment", establishment ? code : "");
    form.setAttribute("data-establishment-name", establishment ? establishment.name : "");
    base.value = establishment && establishment.current_uuid ? establishment.current_uuid : "";
    window.SurveyForm.fill(answers || (establishment ? establishment.prefill : {}));
    if (window.SurveyGps) { window.SurveyGps.declare(establishment ? establishment.district_code : null); }
  }

  picker.addEventListener("change", function () { replacing = null; choose(picker.value); });

  document.addEventListener("survey:no-establishment", function () {
    show(window.SurveyOutbox.texts.choose_first || "", "warning");
    picker.focus();
  });

  document.addEventListener("survey:saving", function (event) {
    hideNotice();  // the next notice is about this save, never the previous one
    choicesAtSave = choices;
    // A reopened item's photos (its answers still name them) move to the item that replaces it.
    var entry = event.detail || {};
    if (replacing && reopenedPhotos.length && entry.photos) {
      var taken = entry.photos.map(function (photo) { return photo.file_name; });
      reopenedPhotos.forEach(function (photo) { if (taken.indexOf(photo.file_name) === -1) { entry.photos.push(photo); } });
    }
  });

  document.addEventListener("survey:save-failed", function (event) {
    show((window.SurveyOutbox.texts.save_failed || "").replace("{error}", event.detail.error), "danger");
  });

  document.addEventListener("survey:saved", function (event) {
    var done = replacing ? window.SurveyOutbox.remove(replacing) : Promise.resolve();
    replacing = null;
    done.then(function () {
      if (choices === choicesAtSave) {
        picker.value = "";
        choose("");
      }
      notice.setAttribute("data-saved-uuid", event.detail.uuid);
      show((window.SurveyOutbox.texts.saved || "").replace("{name}", event.detail.establishment_name), "success");
      window.SurveyOutbox.refresh();
    });
  });

  function showErrors(errors) {
    Object.keys(errors || {}).forEach(function (key) {
      var holder = document.getElementById("q-" + key);
      if (!holder) { return; }
      var message = document.createElement("div");
      message.className = "invalid-feedback d-block outbox-field-error";
      message.textContent = errors[key];
      holder.appendChild(message);
    });
    var first = document.querySelector(".outbox-field-error");
    if (first) { first.scrollIntoView({ block: "center" }); }
  }

  var match = /#item=([0-9a-f-]+)/.exec(window.location.hash);
  if (match) {
    window.SurveyOutbox.get(match[1]).then(function (item) {
      if (!item) { return; }
      replacing = item.uuid;
      reopenedPhotos = item.photos || [];
      picker.value = item.establishment_code;
      choose(item.establishment_code, item.answers);
      base.value = item.supersedes || "";
      showErrors(item.errors);
      document.dispatchEvent(new CustomEvent("survey:item-reopened", { detail: item }));
    });
  }
})();
