"""surveyapp: census and survey of rural industrial establishments (cơ sở CNNT)."""
from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. `config` overrides everything else (tests pass their database here)."""
    app = Flask(__name__, instance_relative_config=True)
    from . import config as app_config

    app_config.configure(app, config)

    from flask_bootstrap import Bootstrap5
    from flask_wtf import CSRFProtect

    from . import cli, db, errors, i18n, web
    from .establishments.blueprint import bp as establishments_bp
    from .home.blueprint import bp as home_bp

    db.init_app(app)
    i18n.init_app(app)
    Bootstrap5(app)
    CSRFProtect(app)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(home_bp)
    app.register_blueprint(establishments_bp)
    return app
