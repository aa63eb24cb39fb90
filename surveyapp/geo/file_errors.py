"""What can be wrong with a boundary file: a `kind` and plain details, worded in English here (the CLI)
and translated by the web page, so services never need a request."""
from __future__ import annotations

_MESSAGES = {
    "unsupported": "Unsupported file type {suffix!r}: use GeoJSON, GeoPackage, a Shapefile (.shp with its "
                   ".shx, .dbf and .prj) or a zipped Shapefile (.zip).",
    "missing_parts": "The Shapefile lacks its side files {parts}: give the .shp together with them, or zip them.",
    "unreadable": "The file cannot be read as GIS data: {detail}",
    "layers": "The file has several layers; choose one with --layer: {layers}.",
    "no_layer": "The file has no layer {layer!r}; its layers: {layers}.",
    "empty": "The file has no features.",
    "no_crs": "The file does not say its coordinate reference system and its coordinates are not "
              "longitude/latitude (a Shapefile needs its .prj).",
    "bad_crs": "The coordinates cannot be converted to WGS 84: {detail}",
    "no_field": "The file has no attribute {field!r}; its attributes: {fields}.",
    "no_polygons": "No feature of the file is a polygon.",
    "not_local": "Only a local file can be imported, not {path!r}.",
    "not_gis": "The contents of {name!r} are not GeoJSON, GeoPackage or a Shapefile.",
    "external": "The file refers to other files or addresses ({what}); only a self-contained file can be imported.",
    "zip_unsafe": "The zip file holds a member that cannot be extracted safely: {member!r}.",
    "too_big": "The file is larger than {limit} bytes.",
    "too_many_features": "The file has more than {limit} features.",
    "too_many_vertices": "The file has more than {limit} vertices: simplify it first.",
    "too_slow": "Reading the file took longer than {limit} s: simplify or split it.",
    "unclosed_ring": "A polygon ring of the file is not closed (its last point must repeat its first).",
    "bad_geometry": "A geometry of the file is broken: {detail}",
    "outside": "Coordinates lie outside the province: check the coordinate system (the file says {crs}); "
               "features: {features}.",
    "bad_shapes": "The shapes of {units} become empty or invalid: check the coordinate system.",
}


class BoundaryFileError(ValueError):
    """A boundary file that cannot be used; nothing was changed."""

    def __init__(self, kind: str, **details):
        self.kind = kind
        self.details = details
        super().__init__(_MESSAGES[kind].format(**details))
