"""All SQL of exports: the filtered establishments in keyset batches, and the small lookups."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from sqlalchemy import Row
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import AdminUnit, Boundary, Establishment

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter

#: Rows fetched per statement: big enough to be fast, small enough to keep memory flat.
BATCH_SIZE = 2000

#: The columns an export reads, in one tuple per row (no ORM objects: nothing accumulates in the session).
EXPORTED = (
    Establishment.code, Establishment.name, Establishment.owner, Establishment.legal_form, Establishment.vsic_code,
    Establishment.sector, Establishment.commune_code, Establishment.district_code, Establishment.province_code,
    Establishment.address, Establishment.lat, Establishment.lon, Establishment.workers, Establishment.revenue_vnd,
    Establishment.capital_vnd, Establishment.latest_round_code, Establishment.latest_record_status,
    Establishment.status, Establishment.tax_code, Establishment.phone, Establishment.year_started,
    Establishment.gps_mismatch,
)


def establishment_batches(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                          batch_size: int = BATCH_SIZE) -> Iterator[list[Row]]:
    """The filtered establishments ordered by code, `batch_size` at a time.

    Keyset pagination (`code > last`) instead of OFFSET: every batch is an index seek, so a million
    rows cost the same per row as a thousand, and no cursor stays open between batches.
    """
    base = within_scope(apply_filter(select(*EXPORTED), wanted), scope).order_by(Establishment.code)
    last_code: str | None = None
    while True:
        statement = base if last_code is None else base.where(Establishment.code > last_code)
        batch = list(session.exec(statement.limit(batch_size)).all())
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last_code = batch[-1].code


def unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Code → name of these units (a batch asks only for codes it has not seen: a few queries per export)."""
    if not codes:
        return {}
    return dict(session.exec(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(sorted(codes)))).all())


def boundaries(session: Session, level: str, province_code: str) -> list[tuple[str, str, dict]]:
    """(code, name, GeoJSON geometry) of the imported outlines of one level in the province."""
    statement = (
        select(Boundary.unit_code, AdminUnit.name, Boundary.geometry)
        .join(AdminUnit, AdminUnit.code == Boundary.unit_code)
        .where(Boundary.level == level, AdminUnit.province_code == province_code)
        .order_by(Boundary.unit_code)
    )
    return [tuple(row) for row in session.exec(statement).all()]
