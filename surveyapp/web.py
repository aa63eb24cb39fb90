"""What every page's template can use: labels, the demo-data banner, links that keep filters; and how every
request's URL is read: query arguments without control characters, path values a database can hold."""
from __future__ import annotations

import re

from flask import Flask, abort, redirect, request, url_for
from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter
from werkzeug.wrappers import Response
from sqlalchemy.exc import SQLAlchemyError
from flask_babel import get_locale, gettext as _

from . import reference
from .db import get_session
from .i18n import format_number
from .text import has_control_characters, without_control_characters
from .establishments.queries import any_demo_establishment

#: Past any list's last page; a larger page number is read as this one.
MAX_PAGE = 1_000_000
#: The largest id a row can have (INTEGER primary keys are 32-bit on PostgreSQL).
MAX_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]{1,18}\s*")  # ASCII digits only: int("²") fails, int("١٢") is 12


class QueryArguments(ImmutableMultiDict):
    """An ImmutableMultiDict whose get() of an absent name returns the default at once: MultiDict's raises
    and catches a BadRequestKeyError, and a list asks for twenty names, most of them absent."""

    def get(self, key, default=None, type=None):
        if key not in self:
            return default
        return super().get(key, default, type)


class Request(FlaskRequest):
    """request.args with each control character a space: a NUL byte reaches no query, page or link."""

    parameter_storage_class = QueryArguments

    @property
    def args(self) -> MultiDict[str, str]:
        if "_clean_args" not in self.__dict__:
            raw = super().args
            pairs = list(raw.items(multi=True))
            if any(has_control_characters(value) for _name, value in pairs):
                raw = self.parameter_storage_class([(name, without_control_characters(value)) for name, value in pairs])
            self.__dict__["_clean_args"] = raw
        return self.__dict__["_clean_args"]


class TextConverter(UnicodeConverter):
    """A path segment without control characters (a code with a NUL byte matches no route: 404)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


class IdConverter(IntegerConverter):
    """<int:...> up to the largest id a row can have; a larger number matches no route (404)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max = MAX_ID if self.max is None else min(self.max, MAX_ID)


def init_app(app: Flask) -> None:
    """Before any blueprint: the converters apply to the routes added after them."""
    app.request_class = Request
    app.url_map.converters.update(default=TextConverter, string=TextConverter, int=IdConverter)
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


def bounded_int(raw: str | None, low: int, high: int) -> int | None:
    """A query argument as a whole number from low to high; None when missing, malformed or outside."""
    if raw is None or not _WHOLE_NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def page_number(raw: str | None) -> int:
    """The `page` argument: 1 when absent, 400 when not a whole number from 1; past MAX_PAGE reads as MAX_PAGE."""
    if raw is None or raw.strip() == "":
        return 1
    page = bounded_int(raw, 1, 10**18)
    if page is None:
        abort(400, description=_("Page must be a whole number from 1 to %(n)s.", n=format_number(MAX_PAGE)))
    return min(page, MAX_PAGE)
