// GPS questions: fill latitude, longitude and accuracy from the device, and place or move the point
// on a small map. Leaflet is served by the app; the map draws the imported district and commune
// outlines (from the page's #gps-frame) and a tile layer only when the app is configured with one.
//
// A fix is judged at once, as the server judges it (surveyapp/geo/capture.py):
// - outside the province's box (plus its margin): refused, the fields keep what they had;
// - accuracy worse than the question's limit (data-max-accuracy): kept, with a warning and "Try again";
// - outside the declared commune's district (more than the tolerance): kept, with a warning; the
//   server flags the record for the supervisor.
(function () {
  "use strict";
  var language = document.documentElement.lang || "vi";
  var text = {
    vi: { locating: "Đang lấy vị trí…", done: "Đã lấy vị trí (±{a} m).", denied: "Không lấy được vị trí: {m}",
          unsupported: "Thiết bị không hỗ trợ định vị.",
          imprecise: "Vị trí chỉ chính xác ±{a} m, kém hơn mức yêu cầu {limit} m. Ra chỗ thoáng rồi bấm “Thử lại”, hoặc giữ vị trí này.",
          outsideProvince: "Vị trí ({lat}; {lon}) nằm ngoài {province}: không nhận. Kiểm tra GPS rồi thử lại, hoặc chạm bản đồ để đặt điểm.",
          outsideDistrict: "Vị trí nằm ngoài {district}, nơi có xã đã khai. Kiểm tra lại vị trí; vẫn lưu được, giám sát viên sẽ được báo.",
          province: "tỉnh" },
    en: { locating: "Locating…", done: "Position found (±{a} m).", denied: "Could not get the position: {m}",
          unsupported: "This device cannot give its position.",
          imprecise: "The position is only accurate to ±{a} m, worse than the {limit} m asked for. Move to open sky and press “Try again”, or keep this position.",
          outsideProvince: "The position ({lat}; {lon}) is outside {province}: not taken. Check the GPS and try again, or tap the map to place the point.",
          outsideDistrict: "The position is outside {district}, the district of the declared commune. Check it; you can still save, the supervisor will be told.",
          province: "the province" }
  }[language === "en" ? "en" : "vi"];
  var frameElement = document.getElementById("gps-frame");
  var frame = frameElement ? JSON.parse(frameElement.textContent) : {};

  function parse(value) {
    var number = parseFloat(String(value || "").replace(",", "."));
    return isNaN(number) ? null : number;
  }

  function show(value, digits) {
    var fixed = value.toFixed(digits);
    return language === "en" ? fixed : fixed.replace(".", ",");
  }

  function fillIn(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }

  // --- geometry: the same judgement as the server, to a metre or so ---------------------------------

  function insideBox(bounds, margin, lat, lon) {
    return lat >= bounds[0] - margin && lat <= bounds[2] + margin && lon >= bounds[1] - margin && lon <= bounds[3] + margin;
  }

  function polygonsOf(geometry) {
    if (!geometry) { return []; }
    return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  }

  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  // Metres from the point to the nearest edge, on a plane tangent at the point (fine for a few km).
  function metresToEdge(rings, lat, lon) {
    var perDegreeLat = 111320, perDegreeLon = 111320 * Math.cos(lat * Math.PI / 180), best = Infinity;
    rings.forEach(function (ring) {
      for (var i = 1; i < ring.length; i++) {
        var ax = (ring[i - 1][0] - lon) * perDegreeLon, ay = (ring[i - 1][1] - lat) * perDegreeLat;
        var bx = (ring[i][0] - lon) * perDegreeLon, by = (ring[i][1] - lat) * perDegreeLat;
        var dx = bx - ax, dy = by - ay, length = dx * dx + dy * dy;
        var t = length ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length)) : 0;
        best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
      }
    });
    return best;
  }

  function outsideOutline(geometry, lat, lon, tolerance) {
    var polygons = polygonsOf(geometry), rings = [];
    for (var p = 0; p < polygons.length; p++) {
      var polygon = polygons[p];
      if (inRing(polygon[0], lon, lat) && !polygon.slice(1).some(function (hole) { return inRing(hole, lon, lat); })) {
        return false;
      }
      rings = rings.concat(polygon);
    }
    return metresToEdge(rings, lat, lon) > tolerance;
  }

  // What to say about a point: {refused: message} or {warnings: [...]} (none: a good point).
  function judge(lat, lon, metres, limit) {
    if (frame.bounds && !insideBox(frame.bounds, frame.margin || 0, lat, lon)) {
      return { refused: fillIn(text.outsideProvince, { lat: show(lat, 5), lon: show(lon, 5), province: frame.province || text.province }) };
    }
    var warnings = [];
    if (metres !== null && limit && metres > limit) {
      warnings.push({ kind: "imprecise", message: fillIn(text.imprecise, { a: show(metres, 0), limit: show(limit, 0) }) });
    }
    if (frame.district && outsideOutline(frame.district.geometry, lat, lon, frame.tolerance_m || 0)) {
      warnings.push({ kind: "outside-district", message: fillIn(text.outsideDistrict, { district: frame.district.name }) });
    }
    return { warnings: warnings };
  }

  // --- the map ------------------------------------------------------------------------------------

  function outlineStyle(feature) {
    var p = feature.properties;
    if (p.level === "district") {
      return { color: p.declared ? "#0d6efd" : "#6c757d", weight: p.declared ? 2.5 : 1, fill: false };
    }
    return { color: p.declared ? "#0d6efd" : "#6c757d", weight: 1, dashArray: "4 3", fill: false };
  }

  function drawMap(holder) {
    var map = L.map(holder, { attributionControl: true });
    if (frame.tiles && frame.tiles.url) {
      L.tileLayer(frame.tiles.url, { attribution: frame.tiles.attribution || "", maxZoom: 19 }).addTo(map);
    }
    var features = frame.outlines ? frame.outlines.features : [];
    var declared = null;
    if (features.length) {
      map.surveyOutlines = L.geoJSON(frame.outlines, { style: outlineStyle, interactive: false }).addTo(map);
      declared = features.filter(function (f) { return f.properties.level === "district" && f.properties.declared; })[0];
    }
    var bounds = frame.bounds || null;
    if (declared) {
      map.fitBounds(L.geoJSON(declared).getBounds());
    } else if (bounds) {
      var box = L.latLngBounds([bounds[0], bounds[1]], [bounds[2], bounds[3]]);
      if (!features.length) { L.rectangle(box, { color: "#0d6efd", weight: 1, fill: false, interactive: false }).addTo(map); }
      map.fitBounds(box);
    } else {
      map.setView([16, 106], 5);
    }
    return map;
  }

  // The declared commune's outline, else its district's, as a Leaflet layer (null without outlines).
  function declaredUnit() {
    var features = frame.outlines ? frame.outlines.features : [];
    var declared = features.filter(function (f) { return f.properties.declared; });
    var commune = declared.filter(function (f) { return f.properties.level === "commune"; })[0];
    return commune || declared[0] ? L.geoJSON(commune || declared[0]) : null;
  }

  // The offline form declares the chosen establishment's district (null: none chosen) after the page
  // loaded; each point map then re-draws the declared outline and the current point is judged again.
  var declareListeners = [];

  function declare(districtCode) {
    var chosen = null;
    (frame.outlines ? frame.outlines.features : []).forEach(function (f) {
      if (f.properties.level !== "district") { return; }
      f.properties.declared = !!districtCode && f.properties.code === districtCode;
      if (f.properties.declared) { chosen = f; }
    });
    frame.district = chosen ? { code: districtCode, name: chosen.properties.name, geometry: chosen.geometry } : null;
    declareListeners.forEach(function (listener) { listener(); });
  }

  window.SurveyGps = { declare: declare };

  function setup(fieldset) {
    var id = fieldset.getAttribute("data-field");
    var lat = document.getElementById(id + "-lat");
    var lon = document.getElementById(id + "-lon");
    var accuracy = document.getElementById(id + "-accuracy");
    var status = fieldset.querySelector(".gps-status");
    var retry = fieldset.querySelector(".gps-retry");
    var locate = fieldset.querySelector(".gps-locate");
    var holder = fieldset.querySelector(".gps-map");
    var limit = parse(fieldset.getAttribute("data-max-accuracy"));
    if (!frame.bounds && fieldset.getAttribute("data-bounds")) {  // a page without #gps-frame (offline form)
      frame = { bounds: JSON.parse(fieldset.getAttribute("data-bounds")), margin: 0.02 };
    }
    var map = null;
    var marker = null;
    var declaredOutline = null;

    function say(message, tone, offerRetry) {
      status.textContent = message;
      status.className = "small gps-status " + (tone === "danger" ? "text-danger fw-semibold" : tone === "warning" ? "text-warning-emphasis fw-semibold" : "text-muted");
      fieldset.setAttribute("data-gps-state", tone || "");
      if (retry) { retry.hidden = !offerRetry; }
    }

    // Tells what the point is worth; false when it is refused.
    function verdict(latitude, longitude, metres, done) {
      var outcome = judge(latitude, longitude, metres, limit);
      if (outcome.refused) { say(outcome.refused, "danger", true); return false; }
      if (outcome.warnings.length) {
        say(outcome.warnings.map(function (w) { return w.message; }).join(" "), "warning",
            outcome.warnings.some(function (w) { return w.kind === "imprecise"; }) || done !== undefined);
      } else if (done) {
        say(done, "ok", false);
      } else {
        say("", "", false);
      }
      return true;
    }

    function place(latitude, longitude, zoom) {
      if (!map) { return; }
      if (!marker) {
        marker = L.marker([latitude, longitude], { draggable: true }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          if (verdict(p.lat, p.lng, null)) { fill(p.lat, p.lng, null); } else { restore(); }
        });
      } else {
        marker.setLatLng([latitude, longitude]);
      }
      if (declaredOutline && zoom) {  // a fix: show it with the declared commune's outline, to judge by
        map.fitBounds(declaredOutline.getBounds().extend([latitude, longitude]),
                      { maxZoom: zoom, paddingTopLeft: [12, 48], paddingBottomRight: [12, 12], animate: false });
      } else {
        map.setView([latitude, longitude], zoom || Math.max(map.getZoom(), 14), { animate: false });
      }
    }

    function restore() {  // the marker back where the fields say, after a refused move
      var a = parse(lat.value), b = parse(lon.value);
      if (marker && a !== null && b !== null) { marker.setLatLng([a, b]); }
      else if (marker) { map.removeLayer(marker); marker = null; }
    }

    function fill(latitude, longitude, metres) {
      lat.value = show(latitude, 6);
      lon.value = show(longitude, 6);
      accuracy.value = metres === null ? "" : show(metres, 1);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    }

    if (window.L && holder) {
      map = drawMap(holder);
      declaredOutline = declaredUnit();
      map.on("click", function (event) {
        if (!verdict(event.latlng.lat, event.latlng.lng, null)) { return; }
        fill(event.latlng.lat, event.latlng.lng, null);
        place(event.latlng.lat, event.latlng.lng);
      });
      var startLat = parse(lat.value), startLon = parse(lon.value);
      if (startLat !== null && startLon !== null) { place(startLat, startLon, 15); }
    }
    declareListeners.push(function () {
      if (map && map.surveyOutlines) {
        map.surveyOutlines.setStyle(outlineStyle);
        declaredOutline = declaredUnit();
        if (declaredOutline) { map.fitBounds(declaredOutline.getBounds(), { animate: false }); }
      }
      var a = parse(lat.value), b = parse(lon.value);
      if (a !== null && b !== null) { verdict(a, b, parse(accuracy.value)); } else { say("", "", false); }
    });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function (event) {
        var a = parse(lat.value), b = parse(lon.value);
        if (a === null || b === null) { return; }
        if (event.isTrusted) { verdict(a, b, parse(accuracy.value)); }  // typed by hand: judged too
        place(a, b);
      });
    });

    function locateNow() {
      if (!navigator.geolocation) { say(text.unsupported, "danger", false); return; }
      say(text.locating, "", false);
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        if (!verdict(c.latitude, c.longitude, c.accuracy, fillIn(text.done, { a: show(c.accuracy, 0) }))) { return; }
        fill(c.latitude, c.longitude, c.accuracy);
        place(c.latitude, c.longitude, 16);
      }, function (error) {
        say(fillIn(text.denied, { m: error.message }), "danger", true);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    }

    locate.addEventListener("click", locateNow);
    if (retry) { retry.addEventListener("click", locateNow); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("fieldset.geopoint"), setup);
})();
