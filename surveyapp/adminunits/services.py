"""Loading administrative units into the database."""
from __future__ import annotations

from sqlalchemy import insert, update
from sqlmodel import Session

from ..audit import record_event
from ..models import AdminUnit
from . import queries, source


def load_admin_units(session: Session, province_code: str | None = None, actor_id: int | None = None) -> dict:
    """Insert or update units from the package; running it again changes nothing.

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
    summary = {"inserted": len(new_units), "updated": len(changed_units), "levels": levels}
    record_event(session, "load_admin_units", "admin_unit", province_code or "all", after=summary, actor_id=actor_id)
    return summary
