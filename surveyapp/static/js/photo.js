// Photo questions: the picture taken (or chosen) is shrunk here to PHOTO_MAX_PX on its long side and
// re-encoded as JPEG before it is sent, so a 4000 × 3000 camera photo travels as a few hundred kB. The
// answer (the hidden input) becomes "<sha256>.jpg" of the shrunk file, the name the server stores it
// under, so the outbox can keep the photo and its answer together until it syncs. Without JavaScript
// the plain file input sends the original and the server shrinks it.
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form) { return; }
  var textsElement = document.getElementById("photo-texts");
  var texts = textsElement ? JSON.parse(textsElement.textContent) : {};
  var busy = 0;
  var QUALITY = 0.85;

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // SHA-256 in plain script for pages served without HTTPS, where crypto.subtle is missing.
  function sha256Plain(bytes) {
    var K = [], H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var n = 2, found = 0;
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) { if (n % d === 0) { prime = false; break; } }
      if (prime) { K[found++] = (Math.pow(n, 1 / 3) % 1) * 4294967296 | 0; }
      n++;
    }
    var length = bytes.length, padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
    padded.set(bytes);
    padded[length] = 0x80;
    var view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(length / 536870912));
    view.setUint32(padded.length - 4, (length * 8) >>> 0);
    var w = new Array(64);
    for (var offset = 0; offset < padded.length; offset += 64) {
      for (var i = 0; i < 16; i++) { w[i] = view.getUint32(offset + i * 4); }
      for (i = 16; i < 64; i++) {
        var a = w[i - 15], b = w[i - 2];
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var h = H.slice();
      for (i = 0; i < 64; i++) {
        var e = h[4], x = h[0];
        var t1 = (h[7] + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
                  ((e & h[5]) ^ (~e & h[6])) + K[i] + w[i]) | 0;
        var t2 = ((((x >>> 2) | (x << 30)) ^ ((x >>> 13) | (x << 19)) ^ ((x >>> 22) | (x << 10))) +
                  ((x & h[1]) ^ (x & h[2]) ^ (h[1] & h[2]))) | 0;
        h = [(t1 + t2) | 0, x, h[1], h[2], (h[3] + t1) | 0, e, h[5], h[6]];
      }
      for (i = 0; i < 8; i++) { H[i] = (H[i] + h[i]) | 0; }
    }
    return H.map(function (v) { return ("0000000" + (v >>> 0).toString(16)).slice(-8); }).join("");
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buffer) {
      if (window.crypto && crypto.subtle) { return crypto.subtle.digest("SHA-256", buffer).then(hex); }
      return sha256Plain(new Uint8Array(buffer));
    });
  }

  function loaded(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      image.src = url;
    });
  }

  // The picture upright (browsers apply the camera's orientation), at most maxPx on its long side.
  function shrink(file, maxPx) {
    return loaded(file).then(function (image) {
      var scale = Math.min(1, maxPx / Math.max(image.naturalWidth, image.naturalHeight));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // transparent parts of a PNG: white, as the server makes them
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) { resolve({ blob: blob, width: canvas.width, height: canvas.height }); } else { reject(new Error("encode")); }
        }, "image/jpeg", QUALITY);
      });
    });
  }

  function megabytes(size) {
    var text = (size / 1000000).toFixed(1);
    return document.documentElement.lang === "en" ? text : text.replace(".", ",");
  }

  function setBusy(delta) {
    busy += delta;
    form.toggleAttribute("data-photo-busy", busy > 0);
    Array.prototype.forEach.call(form.querySelectorAll('button[type="submit"]'), function (button) {
      button.disabled = busy > 0 || form.hasAttribute("data-saving");
    });
  }

  function preview(holder, blob) {
    var box = holder.querySelector(".photo-preview");
    box.textContent = "";
    if (!blob) { return; }
    var image = document.createElement("img");
    image.className = "img-thumbnail photo-thumb";
    image.alt = "";
    image.src = URL.createObjectURL(blob);
    box.appendChild(image);
  }

  function chosen(input) {
    var holder = input.closest(".photo-question");
    var answer = holder.querySelector('input[type="hidden"]');
    var status = holder.querySelector(".photo-status");
    var file = input.files && input.files[0];
    if (!file) { return; }
    var maxPx = Number(input.getAttribute("data-max-px")) || 1600;
    status.textContent = texts.shrinking || "";
    setBusy(1);
    shrink(file, maxPx).then(function (result) {
      return sha256(result.blob).then(function (digest) {
        var name = digest + ".jpg";
        var shrunk = new File([result.blob], name, { type: "image/jpeg" });
        var transfer = new DataTransfer();
        transfer.items.add(shrunk);
        input.files = transfer.files;  // the form sends the shrunk photo, not the camera's file
        answer.value = name;
        input.setAttribute("data-photo", name);
        preview(holder, result.blob);
        status.textContent = (texts.ready || "").replace("{width}", result.width).replace("{height}", result.height)
          .replace("{size}", megabytes(result.blob.size));
        holder.setAttribute("data-photo-ready", name);
      });
    }).catch(function () {
      input.value = "";
      status.textContent = "";
      preview(holder, null);
      status.textContent = texts.not_a_photo || "";
    }).then(function () {
      setBusy(-1);
      answer.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("photo-input")) { chosen(event.target); }
  });

  form.addEventListener("reset", function () {
    Array.prototype.forEach.call(form.querySelectorAll(".photo-question"), function (holder) {
      preview(holder, null);
      holder.querySelector(".photo-status").textContent = "";
      holder.removeAttribute("data-photo-ready");
    });
  });

  // The photos taken on this page, for the outbox: [{file_name, question, blob}] (blobs keep in IndexedDB).
  function collect() {
    var photos = [];
    Array.prototype.forEach.call(form.querySelectorAll(".photo-input"), function (input) {
      var file = input.files && input.files[0];
      var name = input.getAttribute("data-photo");
      if (!file || !name || input.disabled) { return; }
      photos.push({ file_name: name, question: input.name.split("-").pop(), blob: file, uploaded: false });
    });
    return photos;
  }

  window.SurveyPhotos = { collect: collect, shrink: shrink, sha256: sha256, sha256Plain: sha256Plain };
})();
