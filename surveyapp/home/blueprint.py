"""The home page: what the census holds, at a glance."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..accounts.access import READERS, allow
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..survey.queries import all_rounds
from ..progress import figures
from ..progress.queries import round_counts
from . import queries

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@allow(*READERS)
def index():
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    return render_template(
        "home/index.html",
        province=unit_queries.unit_by_code(session, province_code),
        totals=queries.totals(session, province_code),
        by_district=queries.establishments_by_district(session, province_code),
        by_sector=queries.establishments_by_sector(session, province_code),
        rounds=all_rounds(session),
        round_counts=round_counts(session, province_code),
        names=figures.NAMES, order=figures.ORDER, definitions=figures.DEFINITIONS,
    )
