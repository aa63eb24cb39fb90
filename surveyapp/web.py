"""What every page's template can use: labels, the demo-data banner, links that keep filters."""
from __future__ import annotations

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response
from sqlalchemy.exc import SQLAlchemyError
from flask_babel import get_locale

from . import reference
from .db import get_session
from .establishments.queries import any_demo_establishment


def init_app(app: Flask) -> None:
    app.context_processor(_template_context)
    app.jinja_env.globals.update(url_with=url_with, label=reference.label)


def _template_context() -> dict:
    language = str(get_locale() or "vi")
    return {
        "demo_data": _demo_data_present(),
        "legal_form_labels": reference.LEGAL_FORM_LABELS,
        "record_status_labels": reference.RECORD_STATUS_LABELS,
        "establishment_status_labels": reference.ESTABLISHMENT_STATUS_LABELS,
        "project_levels": reference.PROJECT_LEVELS, "promotion_activities": reference.PROMOTION_ACTIVITIES,
        "certificate_levels": reference.CERTIFICATE_LEVELS, "product_groups": reference.PRODUCT_GROUPS,
        "sectors": {code: division.name(language) for code, division in reference.vsic_divisions().items()},
    }


def _demo_data_present() -> bool:
    """Checked once per request: pages over synthetic data must say so."""
    if not request:
        return False
    session = get_session()
    try:
        return any_demo_establishment(session)
    except SQLAlchemyError:  # an unmigrated or unreachable database must still render the error page
        session.rollback()
        return False


def url_with(endpoint: str, args: dict, **changes) -> str:
    """url_for with the current filter arguments, some changed or removed (None)."""
    merged = {**args, **changes}
    return url_for(endpoint, **{key: value for key, value in merged.items() if value not in (None, "")})


def redirect_past_last_page(endpoint: str, args: dict, page: int, pages: int, total: int) -> Response | None:
    """A page beyond the last of a list that has rows: a 302 to its last page, every other argument kept.

    A list with no rows at all stays where it is and says there is nothing to show.
    """
    if total and page > pages:
        return redirect(url_with(endpoint, args, page=pages if pages > 1 else None))
    return None
