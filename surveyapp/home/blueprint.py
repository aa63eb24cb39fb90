"""The home page: what the census holds, at a glance."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..accounts.access import READERS, allow
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..survey.queries import all_rounds
from ..progress import figures
from ..progress.queries import round_counts
from ..reference import vsic_divisions
from ..reports.charts import bar_chart
from . import queries

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@allow(*READERS)
def index():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    by_district = queries.establishments_by_district(session, province_code)
    by_sector = queries.establishments_by_sector(session, province_code)
    return render_template(
        "home/index.html",
        province=unit_queries.unit_by_code(session, province_code),
        totals=queries.totals(session, province_code),
        by_district=by_district,
        by_sector=by_sector,
        charts=_charts(by_district, by_sector),
        rounds=all_rounds(session),
        round_counts=round_counts(session, province_code),
        names=figures.NAMES, order=figures.ORDER, definitions=figures.DEFINITIONS,
    )


def _charts(by_district: list[tuple], by_sector: list[tuple]) -> dict:
    """The district and sector tables as bar charts (inline SVG), each bar leading to its list."""
    divisions, language = vsic_divisions(), str(get_locale() or "vi")
    sector_labels = [f"{sector} – {divisions[sector].name(language)}" if sector in divisions else sector
                     for sector, _count, _workers in by_sector]
    return {
        "districts": bar_chart(_("Establishments by district"), [(name, count) for _code, name, count, *_ in by_district],
                               links=[url_for("establishments.list_establishments", district=code)
                                      for code, *_ in by_district]),
        "sectors": bar_chart(_("Establishments by sector"), list(zip(sector_labels, (row[1] for row in by_sector))),
                             links=[url_for("establishments.list_establishments", sector=row[0]) for row in by_sector]),
    }
