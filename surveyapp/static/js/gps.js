// GPS questions: fill latitude, longitude and accuracy from the device, and place or move the point
// on a small map. Leaflet is served by the app and there is no online base map (no internet in the
// field, and the Content-Security-Policy allows only this site): the province's box gives the frame.
(function () {
  "use strict";
  var language = document.documentElement.lang || "vi";
  var text = {
    vi: { locating: "Đang lấy vị trí…", done: "Đã lấy vị trí (±{a} m).", denied: "Không lấy được vị trí: {m}",
          unsupported: "Thiết bị không hỗ trợ định vị." },
    en: { locating: "Locating…", done: "Position found (±{a} m).", denied: "Could not get the position: {m}",
          unsupported: "This device cannot give its position." }
  }[language === "en" ? "en" : "vi"];

  function parse(value) {
    var number = parseFloat(String(value || "").replace(",", "."));
    return isNaN(number) ? null : number;
  }

  function show(value, digits) {
    var fixed = value.toFixed(digits);
    return language === "en" ? fixed : fixed.replace(".", ",");
  }

  function setup(fieldset) {
    var id = fieldset.getAttribute("data-field");
    var lat = document.getElementById(id + "-lat");
    var lon = document.getElementById(id + "-lon");
    var accuracy = document.getElementById(id + "-accuracy");
    var status = fieldset.querySelector(".gps-status");
    var holder = fieldset.querySelector(".gps-map");
    var bounds = JSON.parse(fieldset.getAttribute("data-bounds") || "null");
    var map = null;
    var marker = null;

    function place(latitude, longitude, zoom) {
      if (!map) { return; }
      if (!marker) {
        marker = L.marker([latitude, longitude], { draggable: true }).addTo(map);
        marker.on("dragend", function () { var p = marker.getLatLng(); fill(p.lat, p.lng, null); });
      } else {
        marker.setLatLng([latitude, longitude]);
      }
      map.setView([latitude, longitude], zoom || Math.max(map.getZoom(), 14));
    }

    function fill(latitude, longitude, metres) {
      lat.value = show(latitude, 6);
      lon.value = show(longitude, 6);
      accuracy.value = metres === null ? "" : show(metres, 1);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    }

    if (window.L && holder) {
      map = L.map(holder, { attributionControl: true });
      var frame = bounds ? L.latLngBounds([bounds[0], bounds[1]], [bounds[2], bounds[3]]) : null;
      if (frame) {
        L.rectangle(frame, { color: "#0d6efd", weight: 1, fill: false, interactive: false }).addTo(map);
        map.fitBounds(frame);
      } else {
        map.setView([16, 106], 5);
      }
      map.on("click", function (event) { fill(event.latlng.lat, event.latlng.lng, null); place(event.latlng.lat, event.latlng.lng); });
      var startLat = parse(lat.value), startLon = parse(lon.value);
      if (startLat !== null && startLon !== null) { place(startLat, startLon, 15); }
      [lat, lon].forEach(function (input) {
        input.addEventListener("change", function () {
          var a = parse(lat.value), b = parse(lon.value);
          if (a !== null && b !== null) { place(a, b); }
        });
      });
    }

    fieldset.querySelector(".gps-locate").addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = text.unsupported; return; }
      status.textContent = text.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        fill(c.latitude, c.longitude, c.accuracy);
        place(c.latitude, c.longitude, 16);
        status.textContent = text.done.replace("{a}", show(c.accuracy, 0));
      }, function (error) {
        status.textContent = text.denied.replace("{m}", error.message);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("fieldset.geopoint"), setup);
})();
