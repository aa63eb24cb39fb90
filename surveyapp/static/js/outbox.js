// The outbox: questionnaires saved without a connection wait in IndexedDB (they survive reloads and
// browser restarts) and are sent to /api/v1/records when the connection returns, or on the button.
// Each item carries a UUID made here once: a resend after a lost answer is recognised by the server,
// so an interrupted sync never loses nor duplicates a record.
(function () {
  "use strict";
  var DB_NAME = "surveyapp";
  var STORE = "outbox";
  var textsElement = document.getElementById("outbox-texts");
  var texts = textsElement ? JSON.parse(textsElement.textContent) : {};
  var syncing = null;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "uuid" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function allItems() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
    });
  }

  function putItem(item) { return withStore("readwrite", function (store) { return store.put(item); }); }
  function getItem(uuid) { return withStore("readonly", function (store) { return store.get(uuid); }); }
  function removeItem(uuid) { return withStore("readwrite", function (store) { return store.delete(uuid); }); }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function say(template, n) { return (template || "").replace("{n}", String(n)); }

  function refreshBadge() {
    return allItems().then(function (items) {
      var waiting = items.filter(function (i) { return i.state !== "accepted"; }).length;
      Array.prototype.forEach.call(document.querySelectorAll("[data-outbox-count]"), function (element) {
        element.textContent = say(texts.waiting, waiting);
        element.setAttribute("data-outbox-count", String(waiting));
        element.classList.toggle("d-none", waiting === 0 && element.id === "outbox-badge");
      });
      renderList(items);
      return items;
    });
  }

  // --- the outbox page -----------------------------------------------------------------------------
  function renderList(items) {
    var list = document.getElementById("outbox-items");
    if (!list) { return; }
    list.textContent = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "list-group-item text-muted";
      empty.textContent = texts.empty || "";
      list.appendChild(empty);
      return;
    }
    items.forEach(function (item) {
      var row = document.createElement("li");
      row.className = "list-group-item outbox-item";
      row.setAttribute("data-uuid", item.uuid);
      row.setAttribute("data-state", item.state);
      var title = document.createElement("div");
      title.className = "fw-semibold";
      var registered = !item.registration || item.registration.code;
      title.textContent = item.establishment_name + " (" + (registered ? item.establishment_code : texts.new_establishment) + ")";
      var state = document.createElement("div");
      state.className = "small outbox-state " + ({ accepted: "text-success", pending: "text-secondary" }[item.state] || "text-danger");
      state.textContent = (texts["state_" + item.state] || item.state) + (item.message ? " — " + item.message : "");
      row.appendChild(title);
      row.appendChild(state);
      if (item.registration && (item.registration.likely_duplicates || []).length) {
        var flagged = document.createElement("div");
        flagged.className = "small text-warning-emphasis outbox-duplicate";
        flagged.textContent = (texts.flagged || "").replace("{codes}", item.registration.likely_duplicates.map(function (d) {
          return d.name + " (" + d.code + ")";
        }).join(", "));
        row.appendChild(flagged);
      }
      if (item.errors) {
        var errors = document.createElement("ul");
        errors.className = "small text-danger mb-1 outbox-errors";
        problemsOf(item).forEach(function (problem) {
          var line = document.createElement("li");
          line.textContent = problem.label ? problem.label + ": " + problem.message : problem.message;
          errors.appendChild(line);
        });
        row.appendChild(errors);
      }
      if (item.state === "invalid" || item.state === "conflict") {
        var fix = document.createElement("a");
        fix.className = "btn btn-sm btn-outline-primary me-2";
        fix.href = "/survey/offline?round=" + encodeURIComponent(item.round) + "#item=" + item.uuid;
        fix.textContent = texts.fix || "Fix";
        row.appendChild(fix);
      }
      if (item.state === "accepted" || item.state === "invalid" || item.state === "conflict") {
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "btn btn-sm btn-link text-danger outbox-remove";
        drop.textContent = texts.remove || "Remove";
        drop.addEventListener("click", function () { removeItem(item.uuid).then(refreshBadge); });
        row.appendChild(drop);
      }
      list.appendChild(row);
    });
  }

  // The server's messages, each with its question's label in the page's language (never a field name).
  function problemsOf(item) {
    if (item.problems) { return item.problems; }
    return Object.keys(item.errors).map(function (field) { return { field: field, label: "", message: item.errors[field] }; });
  }

  function setStatus(message) {
    var status = document.getElementById("outbox-status");
    if (status) { status.textContent = message; }
  }

  // --- sending ------------------------------------------------------------------------------------------
  function session() {
    return fetch("/api/v1/session", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status === 401 ? "signed-out" : "session " + response.status); }
        return response.json();
      });
  }

  function send(item, csrf) {
    var body = {
      uuid: item.uuid, establishment_code: item.establishment_code, round: item.round, answers: item.answers,
      status: item.status, supersedes: item.supersedes || null
    };
    return fetch("/api/v1/records", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // A questionnaire of an establishment registered on the phone: register it first (its own UUID makes a
  // resend return the same establishment), then the record names the code the server gave it.
  function registerFirst(item, csrf) {
    if (!item.registration || item.registration.code) { return Promise.resolve(true); }
    var body = Object.assign({ round: item.round }, item.registration);
    return fetch("/api/v1/establishments", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 200 || response.status === 201) {
          item.registration.code = data.code;
          item.registration.likely_duplicates = data.likely_duplicates || [];
          item.establishment_code = data.code;
          return putItem(item).then(function () { return true; });
        }
        if ([403, 404, 409, 422].indexOf(response.status) === -1) { throw new Error("server " + response.status); }
        return applyResult(item, { status: response.status, data: data }).then(function () { return false; });
      });
    });
  }

  // The photos of a questionnaire go before it (its answers name them): each is sent once, and a resend
  // after a lost answer stores nothing twice (the server names a photo by its content). A sent photo's
  // blob leaves IndexedDB at once.
  function uploadPhotos(item, csrf) {
    var waiting = (item.photos || []).filter(function (photo) { return !photo.uploaded; });
    return waiting.reduce(function (previous, photo) {
      return previous.then(function (ok) {
        if (!ok) { return false; }
        var url = "/api/v1/establishments/" + encodeURIComponent(item.establishment_code) + "/photos?question=" +
          encodeURIComponent(photo.question) + "&round=" + encodeURIComponent(item.round);
        return fetch(url, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "image/jpeg", Accept: "application/json", "X-CSRFToken": csrf },
          body: photo.blob
        }).then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            if (response.status === 200 || response.status === 201) {
              if (data.file_name !== photo.file_name) { renameAnswer(item.answers, photo.file_name, data.file_name); }
              photo.uploaded = true;
              photo.blob = null;
              return putItem(item).then(function () { return true; });
            }
            if ([403, 404, 413, 422].indexOf(response.status) === -1) { throw new Error("server " + response.status); }
            var error = (data && data.error) || {};
            var problem = { field: photo.question, label: "", message: error.message || "" };
            return applyResult(item, { status: 422, data: { error: { details: {
              errors: { [photo.question]: problem.message }, questions: [problem] } } } }).then(function () { return false; });
          });
        });
      });
    }, Promise.resolve(true));
  }

  function renameAnswer(answers, from, to) {
    Object.keys(answers).forEach(function (key) {
      if (answers[key] === from) { answers[key] = to; }
      if (Array.isArray(answers[key])) {
        answers[key].forEach(function (row) { if (row && typeof row === "object") { renameAnswer(row, from, to); } });
      }
    });
  }

  function applyResult(item, result) {
    var error = (result.data && result.data.error) || {};
    if (result.status === 200 || result.status === 201) {
      item.state = "accepted";
      item.message = texts.accepted_as ? say(texts.accepted_as, result.data.version_number) : "";
      item.errors = null;
      item.record_status = result.data.status;
    } else if (result.status === 422) {
      item.state = "invalid";
      item.message = "";  // the API's own words are English for programs; the state and problems say it
      item.errors = (error.details && error.details.errors) || null;
      item.problems = (error.details && error.details.questions) || null;
    } else if (result.status === 409 || result.status === 403 || result.status === 404) {
      item.state = "conflict";
      // in the page's words, by the error's code: the API's own message is English, for programs
      item.message = texts["error_" + error.code] || "";
      item.errors = null;
    } else {
      throw new Error("server " + result.status);  // try again later
    }
    item.sent_at = new Date().toISOString();
    return putItem(item);
  }

  function sync() {
    if (syncing) { return syncing; }
    if (!navigator.onLine) { setStatus(texts.offline || ""); return Promise.resolve(); }
    setStatus(texts.sending || "");
    syncing = session().then(function (me) {
      return allItems().then(function (items) {
        var queue = items.filter(function (i) { return i.state === "pending" && i.user === me.user.username; });
        return queue.reduce(function (previous, item) {
          return previous.then(function () {
            return registerFirst(item, me.csrf_token).then(function (registered) {
              return registered ? uploadPhotos(item, me.csrf_token) : false;
            }).then(function (ready) {
              if (!ready) { return null; }
              return send(item, me.csrf_token).then(function (result) { return applyResult(item, result); });
            });
          });
        }, Promise.resolve());
      });
    }).then(function () {
      setStatus(texts.done || "");
    }).catch(function (error) {
      // A cut connection stops the round: what was sent is marked, the rest stays pending.
      setStatus(error.message === "signed-out" ? (texts.signed_out || "") : (texts.interrupted || ""));
    }).then(function () {
      syncing = null;
      return refreshBadge();
    });
    return syncing;
  }

  function save(entry) {
    var item = {
      uuid: entry.uuid || newUuid(), user: entry.user, establishment_code: entry.establishment_code,
      establishment_name: entry.establishment_name, round: entry.round, status: entry.status,
      supersedes: entry.supersedes || null, answers: entry.answers, state: "pending", errors: null, message: "",
      registration: entry.registration || null, photos: entry.photos || [],
      saved_at: new Date().toISOString()
    };
    return putItem(item).then(refreshBadge).then(function () {
      if (navigator.onLine) { sync(); }
      return item;
    });
  }

  window.SurveyOutbox = {
    save: save, sync: sync, get: getItem, newUuid: newUuid, all: allItems, remove: removeItem, refresh: refreshBadge, texts: texts
  };

  var button = document.getElementById("outbox-sync");
  if (button) { button.addEventListener("click", function () { sync(); }); }
  window.addEventListener("online", function () { sync(); });
  refreshBadge().then(function () { if (navigator.onLine) { sync(); } });
})();
