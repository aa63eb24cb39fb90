"""Every URL of maps, boundaries and GPS consistency."""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from .. import clock, reference
from ..accounts.access import READERS, allow, commune_scope, current_actor_id
from ..adminunits import queries as unit_queries
from ..audit import record_event
from ..db import get_session
from ..establishments import queries as establishment_queries
from ..establishments.blueprint import filter_choices
from ..establishments.filters import read_filter
from ..establishments.queries import any_demo_establishment
from ..i18n import format_day, format_number
from ..models import Role
from . import queries
from .forms import BoundaryUploadForm
from .gps import locate_points, recheck_gps_mismatch
from .indicators import DRAWN_LEVEL_LABELS, INDICATORS, LEVEL_LABELS, SCHEMES, parse_map_options
from .reading import SUFFIXES, BoundaryFileError, Limits
from .safe_files import disable_gdal_network
from .services import import_boundaries
from .view_points import points_or_clusters
from .viewport import parse_view
from ..web import MAX_ID, bounded_int, redirect_past_last_page

bp = Blueprint("geo", __name__, template_folder="templates")
bp.record_once(lambda _state: disable_gdal_network())
#: Side files accepted with an uploaded .shp.
UPLOAD_SUFFIXES = set(SUFFIXES) | {".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"}
#: Records flagged at GPS capture listed on the GPS data-quality page (the latest first).
FLAGGED_RECORDS_SHOWN = 50


def _page_href(package: str, filename: str) -> str:
    if package == "app":
        return url_for("static", filename=filename)
    return url_for("vendor.asset", package=package, filename=filename)


def _tiles() -> tuple[str, str] | None:
    url = current_app.config.get("MAP_TILES_URL")
    return (url, current_app.config.get("MAP_TILES_ATTRIBUTION") or "") if url else None


def _parsed_request():
    """The establishment filter and the map options of this request, with their errors merged."""
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    parsed = read_filter(session, request.args, province_code)
    options = parse_map_options(request.args)
    return parsed, options, {**parsed.errors, **options.errors}


def _district_map(parsed, options, standalone: bool):
    """The page's map fetches the points of each view; a standalone file embeds them (up to a cap)."""
    from .district_map import build_district_map  # folium: loaded by the first map, not by every process
    link_base = url_for("establishments.list_establishments", _external=standalone) + "/"
    points_url = None if standalone else url_for("geo.view_points", **parsed.filter.as_query_args())
    return build_district_map(
        get_session(), wanted=parsed.filter, options=options.options, scope=commune_scope(),
        province_code=current_app.config["PROVINCE_CODE"], tiles=_tiles(),
        popup_url=url_for("geo.establishment_popup") + "?id=", link_base=link_base, points_url=points_url,
        max_points=current_app.config["MAP_MAX_POINTS"], with_details=standalone)


@bp.get("/maps/districts")
@allow(*READERS)
def district_map():
    parsed, options, errors = _parsed_request()
    from . import maps
    result = _district_map(parsed, options, standalone=False)
    parts = maps.page_parts(maps.build_map(result.spec, _page_href))
    session = get_session()
    query_args = {**parsed.filter.as_query_args(), **options.options.as_query_args()}
    return render_template(
        "geo/district_map.html", parts=parts, result=result, filter=parsed.filter, options=options.options,
        errors=errors, query_args=query_args, choices=filter_choices(session, current_app.config["PROVINCE_CODE"]),
        indicators=INDICATORS, schemes={key: label for key, (label, _cls) in SCHEMES.items()},
        level_labels=LEVEL_LABELS, drawn_level_labels=DRAWN_LEVEL_LABELS,
    ), (400 if errors else 200)


@bp.get("/maps/points")
@allow(*READERS)
def view_points():
    """The filtered establishments in the map's view (`bbox`, `zoom`): points, or clusters when many."""
    session = get_session()
    parsed = read_filter(session, request.args, current_app.config["PROVINCE_CODE"])
    view, view_errors = parse_view(request.args)
    errors = {**parsed.errors, **view_errors}
    if errors:
        return jsonify(errors=errors), 400
    return jsonify(points_or_clusters(session, parsed.filter, commune_scope(), view,
                                      current_app.config["MAP_VIEW_POINTS"],
                                      current_app.config["MAP_VIEW_POINTS_AT_MAX_ZOOM"]))


@bp.get("/maps/districts/download")
@allow(*READERS)
def download_district_map():
    """The same map as one HTML file that opens without the app or the internet."""
    parsed, options, errors = _parsed_request()
    if errors:
        abort(400, description="; ".join(errors.values()))
    from . import maps
    result = _district_map(parsed, options, standalone=True)
    session = get_session()
    title = result.spec.legend["title"]
    lines = _description(session, parsed.filter)
    if result.points_shown < result.points_total:
        lines.append(_("Too many establishments to carry in one file: %(total)s have a GPS point, more than "
                       "%(limit)s; the colours count them all. The map in the app shows every one.",
                       total=format_number(result.points_total),
                       limit=format_number(current_app.config["MAP_MAX_POINTS"])))
    result.spec.info = {"title": title, "lines": lines}
    html = maps.standalone_html(maps.build_map(result.spec, maps.INLINE), title)
    record_event(session, "export", "map", "districts", actor_id=current_actor_id(), ip_address=request.remote_addr,
                 after={**parsed.filter.as_query_args(), **options.options.as_query_args(),
                        "points": result.points_shown})
    session.commit()
    name = f"map-{result.level}-{options.options.indicator}-{clock.local_today().isoformat()}.html"
    return Response(html, mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _description(session, wanted) -> list[str]:
    """Lines under the title of a downloaded map: the filter in words, the date, the demo warning."""
    names = unit_queries.names_by_code(session, {code for code in (wanted.district, wanted.commune) if code})
    labels = {"district": _("District"), "commune": _("Commune"), "sector": _("Sector"), "legal_form": _("Legal form"),
              "round": _("Survey round"), "status": _("Status"), "q": _("Search"), "gps_mismatch": _("GPS point")}
    parts = []
    for key, value in wanted.as_query_args().items():
        if key in ("district", "commune"):
            value = names.get(value, value)
        elif key == "legal_form":
            value = reference.label(reference.LEGAL_FORM_LABELS, value)
        elif key == "gps_mismatch":
            value = _("outside its declared unit") if value == "1" else _("inside its declared unit")
        parts.append(f"{labels.get(key, key)}: {value}")
    lines = [_("Filter: %(filter)s", filter="; ".join(parts)) if parts else _("All establishments")]
    lines.append(_("Made on %(day)s by surveyapp", day=format_day(clock.local_today())))
    if any_demo_establishment(session):
        lines.append(_("Synthetic demo data: not real census results."))
    return lines


@bp.get("/maps/popup")
@allow(*READERS)
def establishment_popup():
    """Name, code, sector and legal form of one establishment, for a point's popup."""
    establishment_id = bounded_int(request.args.get("id"), 1, MAX_ID)
    establishment = queries.establishment_by_id(get_session(), establishment_id) if establishment_id else None
    scope = commune_scope()
    if establishment is None or (scope is not None and establishment.commune_code not in scope):
        abort(404)
    return jsonify(code=establishment.code, name=establishment.name, sector=establishment.sector,
                   legal_form=establishment.legal_form)


@bp.get("/data-quality/gps")
@allow(*READERS)
def gps_mismatches():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    parsed = read_filter(session, request.args, province_code)
    base = dataclasses.replace(parsed.filter, gps_mismatch=None)
    scope = commune_scope()
    page = establishment_queries.establishments_page(
        session, dataclasses.replace(base, gps_mismatch="1"), parsed.page, current_app.config["PAGE_SIZE"], scope)
    moved = None if parsed.errors else redirect_past_last_page(
        "geo.gps_mismatches", base.as_query_args(), page.page, page.pages, page.total)
    if moved:
        return moved
    found = locate_points(session, province_code, [(row.id, row.lat, row.lon) for row in page.rows])
    flagged_total, flagged = queries.flagged_records(session, province_code, scope, FLAGGED_RECORDS_SHOWN)
    codes = {row.commune_code for row in page.rows} | {row.district_code for row in page.rows}
    codes |= {row.district_code for row in flagged}
    codes |= {code for where in found.values() for code in where.values()}
    return render_template(
        "geo/gps.html", filter=base, errors=parsed.errors, result=page, found=found,
        unit_names=unit_queries.names_by_code(session, codes), counts=queries.gps_counts(session, base, scope),
        boundary_counts=queries.boundary_counts(session, province_code),
        last_check=queries.latest_event(session, "gps_check"), tolerance_m=current_app.config["GPS_TOLERANCE_M"],
        choices=filter_choices(session, province_code), flagged=flagged, flagged_total=flagged_total,
    ), (400 if parsed.errors else 200)


@bp.post("/data-quality/gps/check")
@allow(Role.admin)
def recheck_gps():
    session = get_session()
    summary = _recheck(session, current_app.config["PROVINCE_CODE"])
    session.commit()
    flash(_("GPS points checked: %(checked)s, outside their declared unit: %(outside)s, unchecked: %(unchecked)s.",
            checked=format_number(summary.checked), outside=format_number(summary.outside),
            unchecked=format_number(summary.unchecked)), "success")
    return redirect(url_for("geo.gps_mismatches"))


def _recheck(session, province_code: str):
    """Recompute every GPS flag, committing chunk by chunk (a big registry must not lock writers long)."""
    return recheck_gps_mismatch(session, province_code, tolerance_m=current_app.config["GPS_TOLERANCE_M"],
                                after_chunk=session.commit, actor_id=current_actor_id())


@bp.route("/admin/boundaries", methods=["GET", "POST"])
@allow(Role.admin)
def boundaries():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    form = BoundaryUploadForm()
    report, error, gps = None, None, None
    if form.validate_on_submit():
        uploads = [upload for upload in request.files.getlist(form.files.name) if upload and upload.filename]
        if not uploads:
            form.files.errors.append(_("Choose a boundary file."))
        else:
            try:
                report = _import_upload(form, uploads, province_code)
            except BoundaryFileError as problem:
                error = _file_error_message(problem)
    if report is not None and report.applied:
        gps = _recheck_with_import(session, province_code)
    else:
        session.rollback()
    failed = bool(form.errors or error) or (report is not None and not report.applied and not report.dry_run)
    return render_template("geo/boundaries.html", form=form, report=report, error=error, gps=gps,
                           summary=queries.boundary_summary(session, province_code),
                           level_labels=LEVEL_LABELS), (422 if failed else 200)


def _recheck_with_import(session, province_code: str):
    """The new boundaries and the GPS flags they imply commit together, or not at all."""
    try:
        gps = recheck_gps_mismatch(session, province_code, tolerance_m=current_app.config["GPS_TOLERANCE_M"],
                                   actor_id=current_actor_id())
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return gps


def _import_upload(form: BoundaryUploadForm, uploads: list, province_code: str):
    """Save the uploaded file(s) in a temporary folder and import the main one."""
    with tempfile.TemporaryDirectory(prefix="boundaries-") as folder:
        saved = []
        for upload in uploads:
            name = secure_filename(upload.filename) or "upload"
            if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
                raise BoundaryFileError("unsupported", suffix=Path(upload.filename).suffix or upload.filename)
            upload.save(Path(folder) / name)
            saved.append(Path(folder) / name)
        main = [path for path in saved if path.suffix.lower() in SUFFIXES]
        if len(main) != 1:
            raise BoundaryFileError("unsupported", suffix=", ".join(p.name for p in saved) or "–")
        return import_boundaries(
            get_session(), main[0], level=form.level.data, province_code=province_code,
            code_field=form.code_field.data or None, name_field=form.name_field.data or None,
            layer=form.layer.data or None, dry_run=form.dry_run.data, file_name=main[0].name,
            actor_id=current_actor_id(), limits=Limits.from_config(current_app.config))


def _file_error_message(error: BoundaryFileError) -> str:
    details = error.details
    messages = {
        "unsupported": lambda: _("This file cannot be imported (%(name)s): choose a GeoJSON, a GeoPackage, a zipped "
                                 "Shapefile, or a .shp together with its .shx, .dbf and .prj.", name=details["suffix"]),
        "missing_parts": lambda: _("The Shapefile lacks its side files %(parts)s: choose them together with the .shp, "
                                   "or upload a zip.", parts=details["parts"]),
        "unreadable": lambda: _("The file cannot be read as GIS data: %(detail)s", detail=details["detail"]),
        "layers": lambda: _("The file has several layers: enter one of %(layers)s.", layers=details["layers"]),
        "no_layer": lambda: _("The file has no layer %(layer)s; its layers: %(layers)s.", **details),
        "empty": lambda: _("The file has no features."),
        "no_crs": lambda: _("The file does not say its coordinate system and its coordinates are not longitude/"
                            "latitude (a Shapefile needs its .prj)."),
        "bad_crs": lambda: _("The coordinates cannot be converted to WGS 84: %(detail)s", detail=details["detail"]),
        "no_field": lambda: _("The file has no attribute %(field)s; its attributes: %(fields)s.", **details),
        "no_polygons": lambda: _("No feature of the file is a polygon."),
        **_safety_messages(details),
    }
    return messages[error.kind]()


def _safety_messages(details: dict) -> dict:
    """Refusals of hostile or oversized files and of shapes in the wrong place (issue 20)."""
    return {
        "not_local": lambda: _("Only a local file can be imported."),
        "not_gis": lambda: _("The contents of %(name)s are not GeoJSON, GeoPackage or Shapefile.", **details),
        "external": lambda: _("The file refers to other files or addresses (%(what)s): only a self-contained "
                              "file can be imported.", **details),
        "zip_unsafe": lambda: _("The zip file holds a member that cannot be extracted safely: %(member)s.",
                                **details),
        "too_big": lambda: _("The file is larger than %(limit)s bytes.", limit=format_number(details["limit"])),
        "too_many_features": lambda: _("The file has more than %(limit)s features.",
                                       limit=format_number(details["limit"])),
        "too_many_vertices": lambda: _("The file has more than %(limit)s vertices: simplify it first.",
                                       limit=format_number(details["limit"])),
        "too_slow": lambda: _("Reading the file took longer than %(limit)s s: simplify or split it.",
                              limit=format_number(details["limit"])),
        "unclosed_ring": lambda: _("A polygon ring of the file is not closed (its last point must repeat its "
                                   "first)."),
        "bad_geometry": lambda: _("A geometry of the file is broken: %(detail)s", **details),
        "outside": lambda: _("Coordinates lie outside the province: check the coordinate system (the file says "
                             "%(crs)s); features: %(features)s.", **details),
        "bad_shapes": lambda: _("The shapes of %(units)s become empty or invalid: check the coordinate system.",
                                **details),
    }
