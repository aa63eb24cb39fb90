"""Writing a checked plan's establishments: multi-row INSERT and UPDATE statements, not one object a row.

Registering each new establishment through the ORM (an object, a flush, an audit object) cost about
1.5 ms a row: minutes for 100,000 rows. Here the rows go in as executemany statements of `BATCH`
rows, with the values `register_establishment` and an edit write: district, province, sector and
search text derived from the commune, VSIC code and names; a row without a code gets the next free
code of its district, after the codes the file gives; an update sets version + 1 and updated_at.

Audit trail: each update keeps its own "update" event (the values before and after exist nowhere
else); new establishments are recorded by the import's one "import" event (file, checksum, counts)
rather than 100,000 "create" events repeating what the rows themselves hold.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..establishments.services import next_establishment_code
from ..models import AdminUnit, Establishment, EstablishmentStatus, utcnow
from ..reference import sector_of_vsic
from ..text import establishment_search_text
from . import queries
from .validation import PlannedRow, Progress, no_progress

#: Rows per executemany call (the driver splits it further into statements within parameter limits).
BATCH = 2000
#: Columns copied from a checked row to a new establishment when the file gives them.
_COPIED = ("name", "owner", "legal_form", "vsic_code", "address", "lat", "lon", "tax_code", "phone", "year_started",
           "workers", "revenue_vnd", "capital_vnd")
_SEARCHED = ("name", "owner", "address")


def create_establishments(session: Session, rows: list[PlannedRow], communes: dict[str, AdminUnit],
                          progress: Progress = no_progress) -> dict[str, int]:
    """Insert the new establishments of `rows`; returns code → spreadsheet row.

    Every row is made before the first INSERT (with at most BATCH rows): the write lock is taken only
    for the statement itself, not while search texts and codes are worked out."""
    created: dict[str, int] = {}
    batch: list[tuple[int, dict[str, Any]]] = []
    given = _highest_given(rows)  # district prefix "94-941-" → the highest sequence the file's own codes use
    last_sequence: dict[str, int] = {}  # district prefix → the sequence given last
    sectors = _Sectors()
    now = utcnow()
    ordered = [row for row in rows if row.code] + [row for row in rows if not row.code]
    for planned in progress(str(_l("Writing establishments")), ordered):
        commune = communes[planned.values["commune_code"]]
        code = planned.code
        if code is None:
            prefix = f"{commune.province_code}-{commune.parent_code}-"
            if prefix not in last_sequence:
                first = next_establishment_code(session, commune.province_code, commune.parent_code)
                last_sequence[prefix] = max(int(first.rsplit("-", 1)[1]) - 1, given.get(prefix, 0))
            last_sequence[prefix] += 1
            code = f"{prefix}{last_sequence[prefix]:06d}"
        batch.append((planned.row, _new_values(planned.values, code, commune, sectors, now)))
        if len(batch) >= BATCH:
            _insert(session, batch, created)
    _insert(session, batch, created)
    return created


def _highest_given(rows: list[PlannedRow]) -> dict[str, int]:
    highest: dict[str, int] = {}
    for planned in rows:
        if planned.code:
            prefix, _dash, sequence = planned.code.rpartition("-")
            if sequence.isdigit():
                highest[prefix + "-"] = max(highest.get(prefix + "-", 0), int(sequence))
    return highest


class _Sectors(dict):
    """VSIC code → sector, each worked out once (a file holds a few hundred codes)."""

    def __missing__(self, vsic_code: str) -> str:
        self[vsic_code] = sector = sector_of_vsic(vsic_code)
        return sector


def _new_values(values: dict[str, Any], code: str, commune: AdminUnit, sectors: _Sectors, now) -> dict[str, Any]:
    """Every column of a new establishment, as `register_establishment` fills them."""
    row = {name: values.get(name) for name in _COPIED}
    row.update(code=code, sector=sectors[values["vsic_code"]], commune_code=commune.code,
               district_code=commune.parent_code, province_code=commune.province_code,
               status=values.get("status") or EstablishmentStatus.active.value,
               search_text=establishment_search_text(values["name"], values.get("owner"), values.get("address")),
               latest_round_code=None, latest_record_status=None, merged_into_id=None, gps_mismatch=None,
               is_demo=False, version=1, created_at=now, updated_at=now)
    return row


def _insert(session: Session, batch: list[tuple[int, dict[str, Any]]], created: dict[str, int]) -> None:
    if not batch:
        return
    queries.insert_establishments(session, [values for _, values in batch])
    created.update((values["code"], row) for row, values in batch)
    batch.clear()


def update_establishments(session: Session, rows: list[PlannedRow], communes: dict[str, AdminUnit], source: str,
                          actor_id: int | None, progress: Progress = no_progress) -> None:
    """Write the changes of `rows` (version + 1) with an "update" event each, naming the file."""
    now = utcnow()
    renamed = [row.establishment_id for row in rows if any(name in row.changes for name in _SEARCHED)]
    current = queries.current_values_by_id(session, renamed)  # the parts of the search text a row keeps
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    events = []
    for planned in progress(str(_l("Writing changes")), rows):
        values = _changed_values(planned, communes, current.get(planned.establishment_id))
        by_columns[tuple(sorted(values))].append(values | {"target_id": planned.establishment_id})
        events.append(_event("update", planned.code, actor_id, now,
                             {name: old for name, (old, _new) in planned.changes.items()},
                             {name: new for name, (_old, new) in planned.changes.items()} | {"import": source}))
    for columns, group in by_columns.items():  # executemany needs one shape: rows changing the same columns
        for start in range(0, len(group), BATCH):
            queries.update_establishments(session, columns, group[start:start + BATCH], now)
    for start in range(0, len(events), BATCH):
        queries.insert_audit_events(session, events[start:start + BATCH])


def _changed_values(planned: PlannedRow, communes: dict[str, AdminUnit], current) -> dict[str, Any]:
    """The columns an update sets: the changed ones and what derives from them."""
    values = {name: new for name, (_old, new) in planned.changes.items()}
    if "commune_code" in values:
        commune = communes[values["commune_code"]]
        values.update(district_code=commune.parent_code, province_code=commune.province_code)
    if "vsic_code" in values:
        values["sector"] = sector_of_vsic(values["vsic_code"])
    if current is not None:
        values["search_text"] = establishment_search_text(
            *(values[name] if name in values else getattr(current, name) for name in _SEARCHED))
    return values


def _event(action: str, code: str, actor_id: int | None, now, before: dict, after: dict) -> dict[str, Any]:
    """An audit_event row, as `record_event` makes it."""
    return {"created_at": now, "actor_id": actor_id, "action": action, "ip_address": None,
            "entity_type": "establishment", "entity_id": code, "before": before, "after": after}


def forget_loaded(session: Session, establishment_ids: Iterable[int]) -> None:
    """Expire the session's copies of establishments written behind its back, so they are read again."""
    written = set(establishment_ids)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Establishment) and instance.id in written:
            session.expire(instance)
