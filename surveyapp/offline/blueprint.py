"""Every URL of offline capture: the installable web app's files, the offline form, the outbox."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale

from ..accounts.access import allow, commune_scope, public
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..geo.capture import capture_frame, gps_rules, map_tiles
from ..models import Role
from ..questionnaire.builder import build_form_class
from ..questionnaire.registry import registry
from ..questionnaire.validation import browser_questions, browser_texts
from ..survey import queries as survey_queries
from ..survey.forms import RegistrationForm
from ..survey.services import definition_for, prefill_from

bp = Blueprint("offline", __name__, template_folder="templates")
CAPTURE = (Role.admin, Role.enumerator)


def precached_assets() -> list[str]:
    """Every asset a questionnaire page needs, fetched once when the service worker installs."""
    return [
        url_for("bootstrap.static", filename="css/bootstrap.min.css"),
        url_for("bootstrap.static", filename="umd/popper.min.js"),
        url_for("bootstrap.static", filename="js/bootstrap.min.js"),
        url_for("static", filename="css/app.css"), url_for("static", filename="favicon.svg"),
        *(url_for("static", filename=f"js/{name}") for name in
          ("filters.js", "expressions.js", "questionnaire.js", "photo.js", "validation.js", "gps.js", "outbox.js", "pwa.js",
           "offline.js")),
        url_for("static", filename="js/offline_registration.js"),
        url_for("vendor.asset", package="leaflet", filename="leaflet.css"),
        url_for("vendor.asset", package="leaflet", filename="leaflet.js"),
        *(url_for("vendor.asset", package="leaflet", filename=f"images/{name}") for name in
          ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")),
        url_for("offline.manifest"),
    ]


@lru_cache(maxsize=1)
def _assets_version(static_folder: str) -> str:
    """Changes when any of our static files changes, so browsers fetch the new ones."""
    digest = hashlib.sha256()
    for path in sorted(Path(static_folder).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + str(path.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
@public
def service_worker():
    version = _assets_version(current_app.static_folder) + "-" + current_app.config.get("ASSETS_VERSION", "1")
    body = render_template("offline/sw.js", version=version, assets=json.dumps(precached_assets()),
                           pages=json.dumps([url_for("offline.outbox"), url_for("offline.offline_form")]))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
@public
def manifest():
    body = {
        "name": "Điều tra cơ sở công nghiệp nông thôn", "short_name": "Điều tra CNNT", "lang": "vi",
        "start_url": url_for("survey.choose_commune"), "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#0d6efd",
        "icons": [{"src": url_for("static", filename="favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


def _offline_establishments(session, definition, survey_round) -> list[dict]:
    """What the offline form needs of each establishment: name, pre-filled answers, current version."""
    rows = survey_queries.establishments_for_offline(session, survey_round, commune_scope(survey_round.id))
    communes = {u.code: u for u in unit_queries.communes_of_province(session, current_app.config["PROVINCE_CODE"])}
    return [{
        "code": e.code, "name": e.name,
        "commune": communes[e.commune_code].name if e.commune_code in communes else e.commune_code,
        "commune_code": e.commune_code,
        "district_code": communes[e.commune_code].parent_code if e.commune_code in communes else e.district_code,
        "search": f"{e.search_text} {e.code}",
        "prefill": prefill_from(definition, e, registered),
        "current_uuid": record.uuid if record else None, "current_status": record.status if record else None,
    } for e, record, registered in rows]


@bp.get("/survey/offline")
@allow(*CAPTURE)
def offline_form():
    session = get_session()
    rounds = survey_queries.open_rounds(session)
    survey_round = next((r for r in rounds if r.code == request.args.get("round")), rounds[0] if rounds else None)
    if survey_round is None:
        abort(404)
    definition = definition_for(session, registry(), survey_round.questionnaire_id, survey_round.questionnaire_version)
    language = str(get_locale())
    province = unit_queries.unit_by_code(session, current_app.config["PROVINCE_CODE"])
    form = build_form_class(definition, language)(formdata=None)
    row_templates = {item.name: form[item.name].unbound_field.args[0](prefix=f"{item.name}-__index__-", formdata=None)
                     for item in definition.walk() if item.kind == "repeat"}
    return render_template(
        "offline/offline.html", form=form, definition=definition, survey_round=survey_round, language=language,
        row_templates=row_templates, establishments=_offline_establishments(session, definition, survey_round),
        province=province,
        # No commune is declared at load: the page declares the chosen establishment's district (gps.js).
        gps_frame={**capture_frame(session, province, None, gps_rules(current_app.config)),
                   "tiles": map_tiles(current_app.config)},
        question_index=json.dumps(browser_questions(definition, language)),
        validation_texts=json.dumps(browser_texts(language)),
        registration=RegistrationForm(prefix="reg", formdata=None, meta={"csrf": False}),
        communes=_capture_communes(session, survey_round),
    )


def _capture_communes(session, survey_round) -> list:
    """The communes where this user may register an establishment for the round."""
    communes = unit_queries.communes_of_province(session, current_app.config["PROVINCE_CODE"])
    scope = commune_scope(survey_round.id)
    return [c for c in communes if scope is None or c.code in scope]


@bp.get("/survey/outbox")
@allow(*CAPTURE)
def outbox():
    return render_template("offline/outbox.html")
