// District maps: the helpers the Folium-generated map script calls (surveyapp/geo/maps.py).
// Every text that comes from data reaches the page through textContent, never innerHTML, so an
// establishment called "<script>…" stays text. Served by the app, and inlined into downloaded maps.
// The page's points are fetched for each view (livePoints); a downloaded map embeds them (points).
(function (global) {
  "use strict";
  var SurveyMap = global.SurveyMap = global.SurveyMap || {};
  SurveyMap.maps = SurveyMap.maps || [];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // Keep a handle on each map (tests and the page's own script find it on its container).
  SurveyMap.register = function (map) {
    SurveyMap.maps.push(map);
    map.getContainer().surveyMap = map;
    return map;
  };

  // [[title], [label, value], ...] as a small table.
  SurveyMap.table = function (rows) {
    var table = element("table", "survey-map-table");
    (rows || []).forEach(function (row) {
      var tr = element("tr");
      if (row.length === 1) {
        var th = element("th", "survey-map-title", row[0]);
        th.colSpan = 2;
        tr.appendChild(th);
      } else {
        tr.appendChild(element("th", null, row[0]));
        tr.appendChild(element("td", null, row[1]));
      }
      table.appendChild(tr);
    });
    return table;
  };

  var tooltipOptions = { sticky: true, className: "survey-map-tooltip", direction: "top", offset: [0, -8] };

  // A tooltip on every feature of a GeoJSON layer: rows = {feature id: [[title], [label, value], ...]}.
  // Each shape's SVG path is labelled with its unit code and name (for assistive tools and tests).
  SurveyMap.featureTooltips = function (layer, rows) {
    layer.bindTooltip(function (item) { return SurveyMap.table(rows[item.feature.id]); }, tooltipOptions);
    layer.eachLayer(function (item) {
      function label() {
        var path = item.getElement && item.getElement();
        if (!path) { return; }
        path.setAttribute("data-code", item.feature.id);
        path.setAttribute("aria-label", (rows[item.feature.id] || [[""]])[0][0]);
      }
      item.on("add", label);
      label();
    });
  };

  SurveyMap.tooltip = function (layer, rows) {
    layer.bindTooltip(SurveyMap.table(rows), tooltipOptions);
  };

  // The legend: {title, items: [{colour, label}], note}.
  SurveyMap.legend = function (map, spec) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = element("div", "survey-map-legend leaflet-control");
      box.setAttribute("data-testid", "map-legend");
      box.appendChild(element("div", "survey-map-legend-title", spec.title));
      (spec.items || []).forEach(function (item) {
        var row = element("div", "survey-map-legend-row");
        var swatch = element("span", "survey-map-swatch");
        swatch.style.backgroundColor = item.colour;
        if (item.round) { swatch.style.borderRadius = "50%"; }
        row.appendChild(swatch);
        row.appendChild(element("span", null, item.label));
        box.appendChild(row);
      });
      if (spec.note) { box.appendChild(element("div", "survey-map-legend-note", spec.note)); }
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  };

  // Plain text in the attribution corner (Leaflet writes attributions as HTML: escape first).
  SurveyMap.attribution = function (map, text) {
    var holder = element("span", null, text);
    map.attributionControl.addAttribution(holder.innerHTML);
  };

  // A title block for downloaded maps: {title, lines: [...]}.
  SurveyMap.info = function (map, spec) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = element("div", "survey-map-info leaflet-control");
      box.appendChild(element("div", "survey-map-info-title", spec.title));
      (spec.lines || []).forEach(function (line) { box.appendChild(element("div", null, line)); });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  };

  function popupContent(details, options) {
    var labels = options.labels;
    var box = element("div", "survey-map-popup");
    box.appendChild(element("div", "survey-map-popup-name", details.name));
    box.appendChild(SurveyMap.table([
      [labels.code, details.code],
      [labels.sector, details.sector + " – " + (options.sectors[details.sector] || "")],
      [labels.legalForm, options.legalForms[details.legal_form] || details.legal_form]
    ]));
    var link = element("a", "survey-map-popup-link", labels.open);
    link.setAttribute("href", options.linkBase + encodeURIComponent(details.code));
    if (options.newWindow) { link.setAttribute("target", "_blank"); link.setAttribute("rel", "noopener"); }
    box.appendChild(link);
    return box;
  }

  function detailsAt(data, index) {
    var d = data.details;
    return { code: d.code[index], name: d.name[index], sector: d.sector[index], legal_form: d.legal_form[index] };
  }

  function getJson(url, signal) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, signal: signal })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      });
  }

  function fetchDetails(id, options) {
    return getJson(options.popupUrl + encodeURIComponent(id));
  }

  function openPopup(marker, data, options) {
    var index = marker.surveyIndex;
    if (data.details) {
      marker.bindPopup(popupContent(detailsAt(data, index), options)).openPopup();
      return;
    }
    var holder = element("div", "survey-map-popup", options.labels.loading);
    marker.bindPopup(holder).openPopup();
    fetchDetails(data.id[index], options).then(function (details) {
      marker.setPopupContent(popupContent(details, options));
    }).catch(function () {
      holder.textContent = options.labels.failed;
    });
  }

  // Blue clusters, so they do not read as part of the yellow-to-red choropleth.
  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var size = count < 100 ? "small" : (count < 1000 ? "medium" : "large");
    var inner = element("div");
    inner.appendChild(element("span", null, count.toLocaleString(document.documentElement.lang || undefined)));
    return L.divIcon({ html: inner, className: "marker-cluster survey-cluster survey-cluster-" + size,
                       iconSize: L.point(40, 40) });
  }

  // Establishment points, clustered: data = {lat: [], lon: [], id: [], details?: {code: [], name: [], ...}}.
  // Markers are circle markers (no marker images to serve), added in chunks so 100,000 stay responsive;
  // popups are built on click, from the embedded details or fetched from the app.
  SurveyMap.points = function (map, data, options) {
    var cluster = L.markerClusterGroup({
      chunkedLoading: true, chunkInterval: 120, chunkDelay: 30, showCoverageOnHover: false,
      maxClusterRadius: 60, spiderfyOnMaxZoom: true, removeOutsideVisibleBounds: true,
      iconCreateFunction: clusterIcon,
      chunkProgress: function (processed, total) { cluster.surveyLoaded = processed >= total; }
    });
    cluster.surveyLoaded = false;
    var style = { radius: 6, weight: 1, color: "#08306b", fillColor: "#2171b5", fillOpacity: 0.9 };
    var markers = new Array(data.lat.length);
    for (var i = 0; i < data.lat.length; i++) {
      var marker = L.circleMarker([data.lat[i], data.lon[i]], style);
      marker.surveyIndex = i;
      markers[i] = marker;
    }
    cluster.on("click", function (event) { openPopup(event.layer, data, options); });
    // On the map first: before that, markercluster checks each new marker against every queued one
    // (quadratic: ten seconds for 100,000); on the map it clusters in chunks between frames.
    map.addLayer(cluster);
    cluster.addLayers(markers);
    if (!markers.length) { cluster.surveyLoaded = true; }
    map.getContainer().surveyPoints = cluster;
    return cluster;
  };
  // 1234567 → "1.234.567" with the separator of the page's language (as the app's `number` filter).
  function grouped(count, separator) {
    return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  }

  function filled(text, count, separator) {
    return text.replace("{count}", grouped(count, separator));
  }

  function pagerButton(text, label) {
    var button = element("button", "survey-map-pager-button", text);
    button.type = "button";
    button.setAttribute("aria-label", label);
    button.title = label;
    return button;
  }

  // The popup of one place: its establishment, or "‹ 2 / 5 ›" through the several sharing the spot.
  // Details are fetched when shown; an answer for an establishment no longer shown is dropped.
  function openPlacePopup(marker, ids, options) {
    var labels = options.labels;
    var box = element("div", "survey-map-place");
    var body = element("div", "survey-map-popup", labels.loading);
    var position = element("span", "survey-map-pager-position");
    var index = 0;
    var asked = 0;
    if (ids.length > 1) {
      box.appendChild(element("div", "survey-map-place-count", filled(labels.here, ids.length, options.thousands)));
    }
    box.appendChild(body);
    function show(wanted) {
      index = (wanted + ids.length) % ids.length;
      position.textContent = grouped(index + 1, options.thousands) + " / " + grouped(ids.length, options.thousands);
      var mine = ++asked;
      fetchDetails(ids[index], options).then(function (details) {
        if (mine !== asked) { return; }
        body.replaceChildren(popupContent(details, options));
        if (marker.isPopupOpen()) { marker.getPopup().update(); }
      }).catch(function () {
        if (mine === asked) { body.textContent = labels.failed; }
      });
    }
    if (ids.length > 1) {
      var pager = element("div", "survey-map-pager");
      var previous = pagerButton("‹", labels.previous);
      var next = pagerButton("›", labels.next);
      previous.addEventListener("click", function () { show(index - 1); });
      next.addEventListener("click", function () { show(index + 1); });
      pager.appendChild(previous);
      pager.appendChild(position);
      pager.appendChild(next);
      box.appendChild(pager);
    }
    marker.bindPopup(box, { minWidth: 220 }).openPopup();
    show(0);
  }

  // Points within about a metre of each other (the app rounds positions) become one place.
  function placesOf(points) {
    var byPosition = {};
    var places = [];
    points.forEach(function (point) {
      var key = point[1] + "," + point[2];
      if (!byPosition[key]) {
        byPosition[key] = { key: key, lat: point[1], lon: point[2], ids: [] };
        places.push(byPosition[key]);
      }
      byPosition[key].ids.push(point[0]);
    });
    return places;
  }

  // A line under the map saying what the layer shows (and, for screen readers, when it changes).
  function statusControl() {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = element("div", "survey-map-status leaflet-control");
      box.setAttribute("data-testid", "map-points-status");
      box.setAttribute("role", "status");
      L.DomEvent.disableClickPropagation(box);
      control.box = box;
      return box;
    };
    control.say = function (text, loading) {
      if (!control.box) { return; }
      if (text !== null) { control.box.textContent = text; }
      control.box.classList.toggle("is-loading", Boolean(loading));
    };
    return control;
  }

  // Establishments of the current view, fetched from the app (options.pointsUrl carries the filter):
  // grid clusters drawn as circles with their count (a click zooms to their box), or points whose
  // popups are fetched on click. Each move (pan or zoom) asks again after a short pause; a newer
  // question cancels the one in flight, and an answer to an older one is never drawn.
  SurveyMap.livePoints = function (map, options) {
    var labels = options.labels;
    var layer = L.featureGroup();
    // Points in a pane of their own above the choropleth (its SVG would otherwise take their clicks);
    // that pane's SVG lets every click off a point through to the districts (district_map.css).
    if (!map.getPane("surveyPoints")) { map.createPane("surveyPoints"); }
    var renderer = L.svg({ pane: "surveyPoints" });
    var style = { radius: 6, weight: 1, color: "#08306b", fillColor: "#2171b5", fillOpacity: 0.9,
                  renderer: renderer };
    var status = statusControl();
    var timer = null;
    var inFlight = null;
    var asked = 0;
    var kept = null;  // the place whose popup is open: drawn again, its popup stays
    var drawn = null;  // the URL of the answer on the map

    function viewUrl() {
      var bounds = map.getBounds();
      var box = [Math.max(-180, bounds.getWest()), Math.max(-90, bounds.getSouth()),
                 Math.min(180, bounds.getEast()), Math.min(90, bounds.getNorth())];
      var separator = options.pointsUrl.indexOf("?") < 0 ? "?" : "&";
      var bbox = box.map(function (value) { return value.toFixed(6); }).join(",");
      return options.pointsUrl + separator + "bbox=" + bbox + "&zoom=" + Math.round(map.getZoom());
    }

    function clusterMarker(cluster) {
      var count = cluster[0];
      var size = count < 100 ? "small" : (count < 10000 ? "medium" : "large");
      var pixels = { small: 34, medium: 42, large: 52 }[size];
      var inner = element("div");
      inner.appendChild(element("span", null, grouped(count, options.thousands)));
      var marker = L.marker([cluster[1], cluster[2]], {
        icon: L.divIcon({ html: inner, className: "survey-map-cluster survey-map-cluster-" + size,
                          iconSize: L.point(pixels, pixels) }),
        title: filled(labels.cluster, count, options.thousands), riseOnHover: true
      });
      marker.surveyCount = count;
      marker.on("click", function () {
        var box = cluster[3];
        var bounds = L.latLngBounds([box[0], box[1]], [box[2], box[3]]);
        var zoom = Math.min(map.getMaxZoom(), Math.max(map.getZoom() + 1, map.getBoundsZoom(bounds)));
        map.setView(bounds.getCenter(), zoom);
      });
      return marker;
    }

    function placeMarker(place) {
      var several = place.ids.length > 1;
      var marker = L.circleMarker([place.lat, place.lon], several ?
        L.extend({}, style, { radius: 8, weight: 3 }) : style);
      marker.surveyPlace = place;
      marker.on("click", function () { openPlacePopup(marker, place.ids, options); });
      return marker;
    }

    function draw(answer, url, zoom) {
      drawn = url;
      layer.eachLayer(function (item) { if (item !== kept) { layer.removeLayer(item); } });
      (answer.clusters || []).forEach(function (cluster) { layer.addLayer(clusterMarker(cluster)); });
      if (kept) { kept.surveyStale = true; }
      placesOf(answer.points || []).forEach(function (place) {
        if (kept && kept.surveyPlace.key === place.key) {
          kept.surveyStale = false;
        } else {
          layer.addLayer(placeMarker(place));
        }
      });
      layer.surveyKind = answer.kind;
      layer.surveyTotal = answer.total;
      layer.surveyZoom = zoom;
      layer.surveyFailed = false;
      layer.surveyLoaded = true;
      status.say(filled(labels.inView, answer.total, options.thousands) +
                 (answer.kind === "clusters" ? " " + labels.clustered : ""), false);
    }

    function cancel() {
      asked += 1;
      if (timer) { clearTimeout(timer); timer = null; }
      if (inFlight) { inFlight.abort(); inFlight = null; }
    }

    function load() {
      timer = null;
      var url = viewUrl();
      var zoom = map.getZoom();
      if (url === drawn) {  // the view came back to where it was (or the map only settled)
        layer.surveyLoaded = true;
        status.say(null, false);
        return;
      }
      var mine = ++asked;
      inFlight = typeof AbortController === "function" ? new AbortController() : null;
      getJson(url, inFlight && inFlight.signal).then(function (answer) {
        if (mine !== asked) { return; }
        inFlight = null;
        draw(answer, url, zoom);
      }).catch(function () {
        if (mine !== asked) { return; }  // cancelled, or overtaken by a newer question
        inFlight = null;
        drawn = null;
        layer.surveyFailed = true;
        layer.surveyLoaded = true;
        status.say(labels.pointsFailed, false);
      });
    }

    function schedule() {
      cancel();
      layer.surveyLoaded = false;
      status.say(null, true);
      timer = setTimeout(load, 150);
    }

    layer.on("popupopen", function (event) { kept = event.layer || null; });
    layer.on("popupclose", function (event) {
      if (kept !== event.layer) { return; }
      if (kept.surveyStale) { layer.removeLayer(kept); }  // not in the view's latest answer
      kept = null;
    });
    layer.on("add", function () {
      status.addTo(map);
      map.on("moveend", schedule);
      schedule();  // after the page's script has fitted the map to the province
    });
    layer.on("remove", function () {
      map.off("moveend", schedule);
      cancel();
      map.removeControl(status);
      layer.surveyLoaded = true;
    });
    layer.surveyLoaded = false;
    map.addLayer(layer);
    map.getContainer().surveyPoints = layer;
    return layer;
  };
})(window);
