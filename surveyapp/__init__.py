"""surveyapp: census and survey of rural industrial establishments (cơ sở CNNT)."""
from __future__ import annotations

import gc
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. `config` overrides everything else (tests pass their database here)."""
    # The first call imports the app's modules: hundreds of thousands of objects that live as long as the
    # process. The cycle collector, run every 700 new objects, would scan them again and again and free
    # nothing (a tenth of start-up); it runs as usual once the app is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_app(config)
    finally:
        if collecting:
            gc.enable()


def _build_app(config: dict[str, Any] | None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    from . import config as app_config

    app_config.configure(app, config)
    from .private_files import protect_instance

    protect_instance(app)  # before the engine: SQLite would create the database readable by all

    from flask_bootstrap import Bootstrap5

    from . import cli, db, errors, i18n, security, web
    from .accounts import access
    from .accounts.blueprint import bp as accounts_bp
    from .admin.blueprint import bp as admin_bp
    from .api.blueprint import bp as api_bp
    from .coverage.blueprint import bp as coverage_bp
    from .dataquality.blueprint import bp as dataquality_bp
    from .duplicates.blueprint import bp as duplicates_bp
    from .establishments.blueprint import bp as establishments_bp
    from .exports.blueprint import bp as exports_bp
    from .extensions import csrf
    from .geo.blueprint import bp as geo_bp
    from .home.blueprint import bp as home_bp
    from .imports.blueprint import bp as imports_bp
    from .offline.blueprint import bp as offline_bp
    from .openrosa.blueprint import bp as openrosa_bp
    from .photos.blueprint import bp as photos_bp
    from .printing.blueprint import bp as printing_bp
    from .promotion.blueprint import bp as promotion_bp
    from .questionnaire import registry
    from .reports.blueprint import bp as reports_bp
    from .review.blueprint import bp as review_bp
    from .survey.blueprint import bp as survey_bp
    from .vendor import bp as vendor_bp

    db.init_app(app)
    i18n.init_app(app)
    Bootstrap5(app)
    csrf.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    access.init_app(app)
    registry.init_app(app)
    cli.init_app(app)
    blueprints = (
        home_bp, establishments_bp, survey_bp, review_bp, offline_bp, api_bp, openrosa_bp, printing_bp,  # registry, capture, paper
        photos_bp,
        geo_bp, exports_bp, imports_bp, reports_bp, promotion_bp,  # maps, lists out and in, reports
        duplicates_bp, coverage_bp, dataquality_bp,  # data quality
        accounts_bp, admin_bp, vendor_bp,  # people and assets
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app
