"""Loading administrative units into the database."""
from __future__ import annotations

from sqlalchemy import insert, update
from sqlmodel import Session

from ..audit import record_event
from ..models import AdminUnit, AdminUnit2025, CommuneCrosswalk
from . import queries, source


def load_admin_units(session: Session, province_code: str | None = None, actor_id: int | None = None) -> dict:
    """Insert or update units from the package, then the 2025 units and the crosswalk; running it
    again changes nothing.

    Returns counts: inserted, updated, and units per level.
    """
    units = list(source.legacy_units(province_code))
    if province_code and not units:
        raise ValueError(f"Unknown province code: {province_code}")
    existing = queries.existing_codes(session)
    new_units = [unit for unit in units if unit["code"] not in existing]
    changed_units = [unit for unit in units if unit["code"] in existing]
    if new_units:
        session.execute(insert(AdminUnit), new_units)
    if changed_units:
        session.execute(update(AdminUnit), changed_units)
    levels: dict[str, int] = {}
    for unit in units:
        levels[unit["level"]] = levels.get(unit["level"], 0) + 1
    summary = {"inserted": len(new_units), "updated": len(changed_units), "levels": levels,
               **load_units_2025(session)}
    record_event(session, "load_admin_units", "admin_unit", province_code or "all", after=summary, actor_id=actor_id)
    return summary


def load_units_2025(session: Session) -> dict:
    """All 34 provinces and 3,321 communes after the reform (upserted), and the crosswalk rows of the
    legacy communes present (replaced: a few thousand rows, under a second).

    Every province is loaded, not only the app's: it costs little and a crosswalk row may point into
    a neighbouring province (Sóc Trăng's communes went to Cần Thơ)."""
    units = list(source.units_2025())
    existing = queries.existing_codes_2025(session)
    fresh = [unit for unit in units if unit["code"] not in existing]
    if fresh:
        session.execute(insert(AdminUnit2025), fresh)
    known = [unit for unit in units if unit["code"] in existing]
    if known:
        session.execute(update(AdminUnit2025), known)
    legacy = queries.existing_codes(session)
    rows = [row for row in source.crosswalk_2025() if row["legacy_code"] in legacy]
    queries.replace_crosswalk(session, rows)
    return {"units_2025": len(units), "crosswalk_rows": len(rows)}
