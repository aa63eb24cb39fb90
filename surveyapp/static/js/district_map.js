// District maps: the helpers the Folium-generated map script calls (surveyapp/geo/maps.py).
// Every text that comes from data reaches the page through textContent, never innerHTML, so an
// establishment called "<script>…" stays text. Served by the app, and inlined into downloaded maps.
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

  function openPopup(marker, data, options) {
    var index = marker.surveyIndex;
    if (data.details) {
      marker.bindPopup(popupContent(detailsAt(data, index), options)).openPopup();
      return;
    }
    var holder = element("div", "survey-map-popup", options.labels.loading);
    marker.bindPopup(holder).openPopup();
    fetch(options.popupUrl + encodeURIComponent(data.id[index]), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (details) {
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
})(window);
