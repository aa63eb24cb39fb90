"""Every Folium map of the app is built here: the choropleth (or, without boundaries, proportional
circles at the units' centroids), establishment points, legend, layer control.

Points come two ways. The page's map fetches the points of its view from the app (`LivePoints`:
clusters made by the database, see view_points.py), so a million establishments cost the page
nothing. A downloaded file must work without the app: it embeds the points and clusters them in
the browser with Leaflet.markercluster (`PointCluster`).

No CDN: Folium links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs by
default. Each map instance here gets its own `default_js`/`default_css` (never the class lists,
which every map in the process shares) naming only what this map runs: Leaflet, markercluster
(downloads) and `static/js/district_map.js`; none of Folium's jQuery, Bootstrap or awesome-markers.
Where the links point is the caller's choice (`AssetHref`): app URLs for the page, or `INLINE` for
a standalone file that carries every script and style in itself.

Content-Security-Policy: the page takes the map in pieces (`page_parts`): links, the map's <div>,
and the one inline script, which the template writes with the request's nonce. Folium's full-window
styles and its inline `L_NO_TOUCH` switches (defaults anyway) are left out of the page.
"""
from __future__ import annotations

import base64
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from markupsafe import escape

from .. import vendor
from .viewport import MAX_ZOOM

#: (package, file) → URL written into the map.
AssetHref = Callable[[str, str], str]
APP_STATIC = Path(__file__).resolve().parent.parent / "static"
MAP_JS = [("leaflet", "leaflet", "leaflet.js"), ("survey_map", "app", "js/district_map.js")]
MAP_CSS = [("leaflet_css", "leaflet", "leaflet.css"), ("survey_map_css", "app", "css/district_map.css")]
CLUSTER_JS = [("markerclusterjs", "leaflet-markercluster", "leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", "leaflet-markercluster", "MarkerCluster.css"),
               ("markerclusterdefaultcss", "leaflet-markercluster", "MarkerCluster.Default.css")]
_INLINE_PREFIX = "inline:"
OUTLINE = "#555555"


def INLINE(package: str, filename: str) -> str:  # noqa: N802 - used like a constant
    """Asset "URLs" for a standalone file; `standalone_html` replaces them by the files' contents."""
    return f"{_INLINE_PREFIX}{package}/{filename}"


def js_json(value) -> str:
    """JSON safe inside a <script> element: no "</script>", no "<!--", no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                       ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


@dataclass
class Area:
    """A district or commune on the map."""
    code: str
    name: str
    #: GeoJSON geometry, or None when the unit has no stored boundary.
    geometry: dict | None
    value: float | None
    #: [[name], [label, value], ...]: already formatted for the reader's language.
    tooltip: list[list[str]]
    lat: float | None = None
    lon: float | None = None


@dataclass
class Points:
    lat: list[float]
    lon: list[float]
    id: list[int]
    #: code, name, sector, legal_form lists for maps without a server (None: popups are fetched).
    details: dict[str, list] | None = None


@dataclass
class MapSpec:
    areas: list[Area]
    #: Fill colour of each area (by code), from the class breaks.
    colours: dict[str, str]
    #: {"title": ..., "items": [{"colour", "label"}], "note": ...}
    legend: dict
    #: [[south, west], [north, east]]
    bounds: list[list[float]]
    layer_names: dict[str, str]
    #: Points embedded in the map (downloads).
    points: Points | None = None
    #: labels, sectors, legalForms, popupUrl, linkBase for district_map.js.
    point_options: dict = field(default_factory=dict)
    #: Settings of points fetched for each view (the page): point_options plus pointsUrl, more labels.
    live_points: dict | None = None
    #: Optional background: (URL template, attribution as plain text).
    tiles: tuple[str, str] | None = None
    #: Plain text shown in the map's attribution corner (boundary source).
    attribution: str = ""
    #: Title block of a standalone file: {"title": ..., "lines": [...]}.
    info: dict | None = None


class _Raw(Element):
    """Text placed as is. Branca wraps each element's rendered script in a new Jinja template, so data
    containing "{{" would be evaluated (and 2 MB of points parsed as a template); raw text is not."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Call(MacroElement):
    """`SurveyMap.<function>(<parent layer or map>, <payload>)` in the map script."""

    def __init__(self, function: str, payload=None):
        super().__init__()
        self._name = "SurveyMapCall"
        self.function = function
        self.payload = None if payload is None else js_json(payload)

    def render(self, **kwargs):
        arguments = self._parent.get_name() + (f", {self.payload}" if self.payload is not None else "")
        self.get_root().script.add_child(_Raw(f"SurveyMap.{self.function}({arguments});\n"), name=self.get_name())


class PointCluster(JSCSSMixin, Layer):
    """Establishment points clustered in the browser (Leaflet.markercluster, chunked loading)."""

    def __init__(self, points: Points, settings: dict, name: str, href: AssetHref):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "PointCluster"
        payload = {"lat": points.lat, "lon": points.lon, "id": points.id}
        if points.details is not None:
            payload["details"] = points.details
        self.data = js_json(payload)
        self.settings = js_json(settings)
        self.default_js = [(name, href(package, filename)) for name, package, filename in CLUSTER_JS]
        self.default_css = [(name, href(package, filename)) for name, package, filename in CLUSTER_CSS]

    def render(self, **kwargs):
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        script = f"var {self.get_name()} = SurveyMap.points({self._parent.get_name()}, {self.data}, {self.settings});\n"
        figure.script.add_child(_Raw(script), name=self.get_name())


class LivePoints(Layer):
    """Establishments of the current view, fetched from the app: grid clusters or points."""

    def __init__(self, settings: dict, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "LivePoints"
        self.settings = js_json(settings)

    def render(self, **kwargs):
        script = f"var {self.get_name()} = SurveyMap.livePoints({self._parent.get_name()}, {self.settings});\n"
        self.get_root().script.add_child(_Raw(script), name=self.get_name())


def build_map(spec: MapSpec, href: AssetHref) -> folium.Map:
    """The Folium map of a spec; asset links come from `href`."""
    (south, west), (north, east) = spec.bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=9, tiles=None,
                   control_scale=True, width="100%", height="100%")
    m.options.update(max_zoom=MAX_ZOOM, min_zoom=5)  # clusters need a maxZoom, and there may be no tiles
    m.default_js = [(name, href(package, filename)) for name, package, filename in MAP_JS]
    m.default_css = [(name, href(package, filename)) for name, package, filename in MAP_CSS]
    _Call("register").add_to(m)
    if spec.tiles:
        url, attribution = spec.tiles
        folium.TileLayer(tiles=url, attr=str(escape(attribution)), name=spec.layer_names["tiles"],
                         overlay=False, control=True, max_zoom=MAX_ZOOM).add_to(m)
    if any(area.geometry for area in spec.areas):
        _choropleth(spec).add_to(m)
    else:
        _circles(spec).add_to(m)
    if spec.live_points is not None:
        LivePoints(spec.live_points, spec.layer_names["points"]).add_to(m)
    elif spec.points is not None and spec.points.lat:
        PointCluster(spec.points, spec.point_options, spec.layer_names["points"], href).add_to(m)
    _Call("legend", spec.legend).add_to(m)
    if spec.info:
        _Call("info", spec.info).add_to(m)
    if spec.attribution:
        _Call("attribution", spec.attribution).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds(spec.bounds)
    return m


def _choropleth(spec: MapSpec) -> folium.GeoJson:
    features = [
        {"type": "Feature", "id": area.code, "geometry": area.geometry,
         "properties": {"code": area.code, "value": area.value}}
        for area in spec.areas if area.geometry
    ]
    colours = spec.colours

    def style(feature):
        return {"fillColor": colours.get(feature["id"], "#d9d9d9"), "color": OUTLINE, "weight": 1,
                "fillOpacity": 0.75}

    def highlight(_feature):
        return {"weight": 3, "color": "#222222", "fillOpacity": 0.9}

    layer = folium.GeoJson({"type": "FeatureCollection", "features": features}, name=spec.layer_names["areas"],
                           style_function=style, highlight_function=highlight, smooth_factor=0.5)
    # Texts stay out of the GeoJSON: Folium passes that through Jinja again (see _Raw).
    _Call("featureTooltips", {area.code: area.tooltip for area in spec.areas if area.geometry}).add_to(layer)
    return layer


def _circles(spec: MapSpec) -> folium.FeatureGroup:
    """Without boundaries: a circle per unit at its centroid, its area proportional to the value."""
    group = folium.FeatureGroup(name=spec.layer_names["areas"])
    largest = max((area.value or 0 for area in spec.areas), default=0) or 1
    for area in spec.areas:
        if area.lat is None or area.lon is None:
            continue
        radius = 4 + 26 * ((area.value or 0) / largest) ** 0.5
        circle = folium.CircleMarker([area.lat, area.lon], radius=radius, color=OUTLINE, weight=1,
                                     fill=True, fill_color=spec.colours.get(area.code, "#d9d9d9"), fill_opacity=0.8)
        _Call("tooltip", area.tooltip).add_to(circle)
        circle.add_to(group)
    return group


@dataclass
class MapParts:
    """A map cut for a page: stylesheet and script URLs, the map's <div>, its inline script."""
    css: list[str]
    js: list[str]
    html: str
    script: str


def _render_children(m: folium.Map) -> Figure:
    figure = m.get_root()
    for child in figure._children.values():
        child.render()
    return figure


def page_parts(m: folium.Map) -> MapParts:
    """The pieces a page template places itself; the script must be written with the CSP nonce."""
    figure = _render_children(m)
    css, js = [], []
    for name, child in figure.header._children.items():
        if isinstance(child, CssLink):
            css.append(child.url)
        elif isinstance(child, JavascriptLink):
            js.append(child.url)
        elif name not in (m.get_name(), "meta_http"):
            raise RuntimeError(f"unexpected map header element {name}: place it in the page on purpose")
    _check_local(css + js)
    return MapParts(css, js, figure.html.render(), figure.script.render())


def _check_local(urls: list[str]) -> None:
    foreign = [url for url in urls if not (url.startswith("/") and not url.startswith("//"))
               and not url.startswith(_INLINE_PREFIX)]
    if foreign:
        raise RuntimeError(f"map assets must be served by the app, not {foreign}")


def standalone_html(m: folium.Map, title: str) -> str:
    """One HTML file that works offline: every asset inlined (images in CSS as data: URLs)."""
    figure = _render_children(m)
    figure.title = str(escape(title))
    _check_local([c.url for c in figure.header._children.values() if isinstance(c, (CssLink, JavascriptLink))])
    for name, child in list(figure.header._children.items()):
        if isinstance(child, JavascriptLink):
            code = _asset_path(child.url).read_text(encoding="utf-8")
            code = re.sub(r"//# sourceMappingURL=\S+\s*$", "", code).replace("</script", "<\\/script")
            figure.header._children[name] = _Raw(f"<script>{code}</script>")
        elif isinstance(child, CssLink):
            figure.header._children[name] = _Raw(f"<style>{_inline_css(_asset_path(child.url))}</style>")
    return figure._template.render(this=figure, kwargs={})


def _asset_path(url: str) -> Path:
    package, _, filename = url.removeprefix(_INLINE_PREFIX).partition("/")
    if not url.startswith(_INLINE_PREFIX):
        raise RuntimeError(f"not an inline asset: {url}")
    if package == "app":
        return APP_STATIC / filename
    return vendor.asset_file(package, filename)


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def data_url(match: re.Match) -> str:
        target = (path.parent / match.group(2)).resolve()
        if not target.is_file():
            return match.group(0)
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return f"url(data:{kind};base64,{base64.b64encode(target.read_bytes()).decode('ascii')})"

    return re.sub(r"url\((['\"]?)(?!data:|#|https?:)([^'\")]+)\1\)", data_url, css).replace("</style", "<\\/style")
