"""After forms/ moves to a new questionnaire version: keep every version in use, move open rounds on.

`flask setup` (what `make run` runs) calls `settle_questionnaire_versions`:
- every version records were filled with that the database does not hold yet is stored from forms/
  or forms/previous/, so those records display and validate even once the file is gone (the demo
  bulk-loads records without storing their version; a record saved by the app stores it then);
- an *open* round whose questionnaire file now carries another version moves to it, so new records
  and edits follow the new rules. Records keep the version they were filled with (a draft takes the
  new one when it is next saved, as any edit does). Closed rounds keep theirs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from ..audit import record_event
from ..questionnaire.registry import Registry
from . import queries
from .services import store_questionnaire_version


@dataclass
class VersionChanges:
    #: (form_id, version) stored now.
    stored: list[tuple[str, str]] = field(default_factory=list)
    #: (round code, form_id, old version, new version) of the rounds moved.
    moved: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: (form_id, version) records use but found nowhere (neither stored nor in forms/).
    missing: list[tuple[str, str]] = field(default_factory=list)


def settle_questionnaire_versions(session: Session, registry: Registry, actor_id: int | None = None) -> VersionChanges:
    changes = VersionChanges()
    _store_versions_in_use(session, registry, changes)
    _move_open_rounds(session, registry, changes, actor_id)
    session.flush()
    return changes


def _store_versions_in_use(session: Session, registry: Registry, changes: VersionChanges) -> None:
    for form_id, version in sorted(queries.questionnaire_versions_of_records(session)):
        if queries.stored_questionnaire(session, form_id, version) is not None:
            continue
        definition = registry.get(form_id, version) or registry.previous(form_id, version)
        if definition is None:
            changes.missing.append((form_id, version))
            continue
        store_questionnaire_version(session, definition)
        changes.stored.append((form_id, version))


def _chosen_by_an_admin(session: Session, registry: Registry, survey_round) -> bool:
    """A version published at /admin/questionnaires (stored, in no file) that an admin attached: kept."""
    form_id, version = survey_round.questionnaire_id or "", survey_round.questionnaire_version or ""
    in_files = registry.get(form_id, version) or registry.previous(form_id, version)
    return in_files is None and queries.stored_questionnaire(session, form_id, version) is not None


def _move_open_rounds(session: Session, registry: Registry, changes: VersionChanges, actor_id: int | None) -> None:
    for survey_round in queries.open_rounds(session):
        current = registry.get(survey_round.questionnaire_id or "")
        if current is None or current.version == survey_round.questionnaire_version:
            continue
        if _chosen_by_an_admin(session, registry, survey_round):
            continue
        old = survey_round.questionnaire_version
        survey_round.questionnaire_version = current.version
        session.add(survey_round)
        record_event(session, "questionnaire_version", "survey_round", survey_round.code,
                     before={"version": old}, after={"version": current.version}, actor_id=actor_id)
        changes.moved.append((survey_round.code, current.form_id, old, current.version))
