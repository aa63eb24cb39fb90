"""Survey records: save a draft, submit, edit into a new version, apply to the establishment.

Every function takes a session and plain values (the acting user's id included) and leaves the
commit to the caller, so the web form, the JSON API and imports share one implementation.
"""
from __future__ import annotations

import functools
import uuid as uuid_module
import weakref
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as orm_state
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from ..adminunits.queries import unit_by_code
from ..audit import insert_event, record_event
from ..geo.capture import GpsRules, inside_province, outside_district
from ..models import Establishment, RecordStatus, Role, SurveyRecord, SurveyRound, utcnow
from ..questionnaire.answers import check_answers
from ..questionnaire.definition import Definition, DefinitionError, Question, load_definition
from ..questionnaire.registry import Registry
from ..photos import queries as photo_queries
from ..reference import sector_of_vsic
from ..text import establishment_search_text
from . import queries
from .history import diff_answers

EDITABLE_IN_PLACE = {RecordStatus.draft.value}


class RecordConflict(Exception):
    """The record changed since the form was opened: saving would overwrite someone's work."""


class RecordApproved(Exception):
    """The edit starts from an approved version, which is final except for an admin."""


def is_final_for(record: SurveyRecord | None, actor_role: str | None) -> bool:
    """An approved record is final for everyone but an admin (whose edit makes a version to review again)."""
    return record is not None and record.status == RecordStatus.approved.value and actor_role != Role.admin.value


@dataclass
class SaveResult:
    record: SurveyRecord | None
    errors: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.record is not None


def definition_for(session: Session, registry: Registry, form_id: str, version: str) -> Definition:
    """The definition a record was (or will be) filled with: the file, the stored copy of an old version,
    or the old version kept in forms/previous/ (records that never stored theirs, e.g. the demo's)."""
    definition = registry.get(form_id, version)
    if definition is not None:
        return definition
    stored = queries.stored_questionnaire(session, form_id, version)
    if stored is not None:
        return _stored_definition(stored.sha256, stored.source, f"{form_id}@{version} (stored)")
    previous = registry.previous(form_id, version)
    if previous is None:
        raise LookupError(f"questionnaire {form_id} version {version} is neither in forms/ nor stored")
    return previous


@functools.lru_cache(maxsize=64)
def _stored_definition(sha256: str, source: str, source_name: str) -> Definition:
    """A stored version loaded once: rows never change, and a 200-question form takes a while to check."""
    return load_definition(source, source_name)


def definition_for_record(session: Session, registry: Registry, survey_round: SurveyRound,
                          current: SurveyRecord | None) -> Definition:
    """The round's version for a new record; a draft in progress keeps the version it was begun with
    (an admin attaching a new version to the round does not change the questions under someone's hands)."""
    if (current is not None and current.status == RecordStatus.draft.value and current.questionnaire_version
            and current.questionnaire_id == survey_round.questionnaire_id):
        try:
            return definition_for(session, registry, current.questionnaire_id, current.questionnaire_version)
        except LookupError:
            pass  # the draft's version is gone everywhere: the round's version is the only one left
    return definition_for(session, registry, survey_round.questionnaire_id or "", survey_round.questionnaire_version or "")


#: (form_id, version, sha256) found stored, per database engine.
_stored_versions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def store_questionnaire_version(session: Session, definition: Definition) -> None:
    """Keep the text of a version once records use it; a changed file needs a new version."""
    known = _stored_versions.setdefault(session.get_bind(), set())
    if (definition.form_id, definition.version, definition.sha256) in known:
        return  # stored rows never change: no need to ask again on every record
    stored = queries.stored_questionnaire(session, definition.form_id, definition.version)
    if stored is None:
        # Twenty phones sending the first records of a new round at once all find it missing: the
        # insert ignores the copies that lose the race instead of failing their records.
        queries.store_questionnaire_once(session, definition.form_id, definition.version,
                                         definition.source_text, definition.sha256)
    elif stored.sha256 != definition.sha256:
        raise DefinitionError(definition.source_name, [(None, (
            f"version {definition.version} is already in use with different content; "
            "give the changed questionnaire a new version in its settings sheet"))])
    else:
        known.add((definition.form_id, definition.version, definition.sha256))


def gps_check(session: Session, establishment: Establishment):
    """An extra answer check: GPS points must fall inside the establishment's province (with a margin).
    The province is read at the first point only: most records carry none."""
    province = None

    def check(question: Question, value: Any) -> str | None:
        nonlocal province
        if question.kind != "geopoint":
            return None
        province = province or unit_by_code(session, establishment.province_code)
        if inside_province(province, value["lat"], value["lon"]) is not False:
            return None
        return str(_l("This point is outside %(province)s. Check the GPS or place the point on the map.",
                      province=province.name))

    return check


def photo_check(session: Session, establishment: Establishment):
    """An extra answer check: a photo answer must name a photo received for this establishment."""

    def check(question: Question, value: Any) -> str | None:
        if question.kind != "image" or photo_queries.photo_of_establishment(
                session, establishment.id, value.removesuffix(".jpg")) is not None:
            return None
        return str(_l("This photo was not received; take or choose it again."))

    return check


def answer_checks(session: Session, establishment: Establishment):
    """Every extra check of a record's answers against what the server knows (GPS, photos)."""
    checks = (gps_check(session, establishment), photo_check(session, establishment))

    def check(question: Question, value: Any) -> str | None:
        return next((message for message in (c(question, value) for c in checks) if message), None)

    return check


def prefill_answers(session: Session, definition: Definition, establishment: Establishment,
                    survey_round: SurveyRound) -> dict[str, Any]:
    """A new record starts from what the registry knows about the establishment."""
    registered = queries.has_record_in_other_round(session, establishment.id, survey_round.id)
    return prefill_from(definition, establishment, registered)


def prefill_from(definition: Definition, establishment: Establishment, registered: bool) -> dict[str, Any]:
    """The answers a registry row gives a new record; `registered`: surveyed in an earlier round."""
    values = {
        "name": establishment.name, "owner": establishment.owner, "legal_form": establishment.legal_form,
        "tax_code": establishment.tax_code, "phone": establishment.phone,
        "year_started": establishment.year_started, "vsic_code": establishment.vsic_code,
        "address": establishment.address, "workers": establishment.workers,
        "location": {"lat": establishment.lat, "lon": establishment.lon, "accuracy": None}
        if establishment.lat is not None else None,
        "revenue_vnd": establishment.revenue_vnd, "capital_vnd": establishment.capital_vnd,
        "visit_type": "update" if registered else "new",
    }
    answers: dict[str, Any] = {}
    for question in definition.walk():
        if question.establishment_field and values.get(question.establishment_field) is not None:
            value = values[question.establishment_field]
            if question.unit == "million_vnd":
                value = value / 1_000_000
            answers[question.name] = value
        elif question.default and question.kind not in ("group", "repeat"):
            answers[question.name] = question.default
    return answers


class NotLoaded:
    """`save_record(current=...)` not given: it reads the current record itself."""


def save_record(
    session: Session,
    *,
    establishment: Establishment,
    survey_round: SurveyRound,
    definition: Definition,
    raw_answers: dict[str, Any],
    submit: bool,
    actor_id: int | None,
    actor_role: str | None,
    base_uuid: str | None = None,
    record_uuid: str | None = None,
    language: str = "vi",
    gps: GpsRules | None = None,
    current: SurveyRecord | None | type[NotLoaded] = NotLoaded,
) -> SaveResult:
    """Save a draft (types checked) or submit (everything checked). Nothing is written on error.

    A draft is edited in place; a submitted, returned or approved record is never changed: the edit
    becomes a new version that supersedes it. `base_uuid` is the version the form was opened on; if
    another version became current since, RecordConflict is raised instead of overwriting it.
    An edit of an approved version raises RecordApproved unless `actor_role` is admin (the command
    line acts as an admin).
    `gps`: the accuracy and district tolerance a captured GPS point is flagged against; None (imports,
    which capture nothing) leaves the flags unset.
    `current`: the establishment's current record of the round when the caller read it already
    (`queries.record_and_current`), in this transaction.
    """
    if current is NotLoaded:
        current = queries.current_record(session, establishment.id, survey_round.id)
    _refuse_edit_of_approved(session, current, base_uuid, actor_role)
    outcome = check_answers(definition, raw_answers, submit=submit, language=language,
                            extra_check=answer_checks(session, establishment))
    if not outcome.ok:
        return SaveResult(None, outcome.errors, outcome.answers)
    if definition.metadata:
        outcome.answers.update(metadata_answers(session, definition, current, raw_answers, actor_id))
    store_questionnaire_version(session, definition)
    if current is not None and base_uuid != current.uuid:
        raise RecordConflict(current.uuid)
    status = RecordStatus.submitted.value if submit else RecordStatus.draft.value
    # A client-made UUID names one immutable version (so a resend is recognised): never edit in place.
    if current is not None and current.status in EDITABLE_IN_PLACE and record_uuid is None:
        record = _update_draft(session, current, definition, outcome.answers, status, actor_id, establishment, gps)
    else:
        record = _new_version(session, current, establishment, survey_round, definition, outcome.answers,
                              status, actor_id, record_uuid, gps)
    _note_latest_record(session, establishment, survey_round, record)
    session.flush()
    return SaveResult(record, {}, outcome.answers)


def metadata_answers(session: Session, definition: Definition, current: SurveyRecord | None,
                     raw_answers: dict[str, Any], actor_id: int | None) -> dict[str, Any]:
    """The values of the form's start/end/today/deviceid/username rows, set by the server at save:
    `start` is when the record was first saved (kept across edits), `end` this save, `today` the
    app's date, `username` who saved; `deviceid` is what the client sent, if anything."""
    from ..clock import iso_local, local_today, utc_now
    from ..models import User

    earlier = current.answers if current is not None and current.answers else {}
    now = iso_local(utc_now())
    values: dict[str, Any] = {}
    for item in definition.metadata:
        if item.kind == "start":
            values[item.name] = earlier.get(item.name) or now
        elif item.kind == "end":
            values[item.name] = now
        elif item.kind == "today":
            values[item.name] = local_today().isoformat()
        elif item.kind == "username":
            user = session.get(User, actor_id) if actor_id is not None else None
            values[item.name] = user.username if user is not None else earlier.get(item.name)
        elif item.kind == "deviceid":
            sent = raw_answers.get(item.name)
            values[item.name] = str(sent)[:100] if isinstance(sent, (str, int)) and sent != "" else earlier.get(item.name)
    return values


def _note_latest_record(session: Session, establishment: Establishment, survey_round: SurveyRound,
                        record: SurveyRecord) -> None:
    """The establishment's latest round and status; one UPDATE of those two columns, only when they change."""
    latest = (survey_round.code, record.status)
    if (establishment.latest_round_code, establishment.latest_record_status) == latest:
        return
    if not orm_state(establishment).persistent:  # not in the database yet: the unit of work writes it
        establishment.latest_round_code, establishment.latest_record_status = latest
        session.add(establishment)
        return
    queries.set_latest_record(session, establishment.id, *latest)
    set_committed_value(establishment, "latest_round_code", latest[0])
    set_committed_value(establishment, "latest_record_status", latest[1])


def _refuse_edit_of_approved(session: Session, current: SurveyRecord | None, base_uuid: str | None,
                             actor_role: str | None) -> None:
    """Final: the current version when approved, and the approved version an edit names as its base."""
    if is_final_for(current, actor_role):
        raise RecordApproved(current.uuid)
    if base_uuid and (current is None or base_uuid != current.uuid) and actor_role != Role.admin.value:
        base = queries.record_by_uuid(session, base_uuid)
        if is_final_for(base, actor_role):
            raise RecordApproved(base.uuid)


def _located(record: SurveyRecord, definition: Definition, answers: dict[str, Any]) -> None:
    location = next((answers.get(q.name) for q in definition.walk() if q.establishment_field == "location"), None)
    record.lat, record.lon = (location["lat"], location["lon"]) if location else (None, None)
    record.gps_accuracy_m = location.get("accuracy") if location else None


def _flag_gps(session: Session, record: SurveyRecord, definition: Definition, establishment: Establishment,
              rules: GpsRules) -> None:
    """Keep what the page warned about for the supervisor: a fix less accurate than asked, a point
    outside the declared commune's district (None: no point, no accuracy or no outline to judge by)."""
    question = next((q for q in definition.walk() if q.establishment_field == "location"), None)
    if question is None or record.lat is None:
        record.gps_imprecise = record.gps_outside_district = None
        return
    record.gps_imprecise = (None if record.gps_accuracy_m is None
                            else record.gps_accuracy_m > rules.accuracy_limit(question))
    record.gps_outside_district = outside_district(session, establishment.district_code, record.lat, record.lon,
                                                   rules.tolerance_m)


def _update_draft(session, record, definition, answers, status, actor_id, establishment, gps) -> SurveyRecord:
    before = {"status": record.status, "answers": record.answers}
    record.answers, record.status, record.updated_at = answers, status, utcnow()
    record.questionnaire_id, record.questionnaire_version = definition.form_id, definition.version
    record.enumerator_id = actor_id if actor_id is not None else record.enumerator_id
    if status == RecordStatus.submitted.value:
        record.submitted_at = utcnow()
    _located(record, definition, answers)
    if gps is not None:
        _flag_gps(session, record, definition, establishment, gps)
    session.add(record)
    record_event(session, "submit" if status == RecordStatus.submitted.value else "update", "survey_record",
                 record.uuid, before=before, after={"status": status, "answers": answers}, actor_id=actor_id)
    return record


def _new_version(session, current, establishment, survey_round, definition, answers, status, actor_id,
                 record_uuid, gps) -> SurveyRecord:
    now = utcnow()
    if current is not None:
        current.is_current = False
        session.add(current)
    # What the session holds goes first: the retired version (the unique "one current record" index must see
    # it first), an establishment registered a moment ago (the record needs its id), their audit events (the
    # trail keeps its order). Nothing pending: no SQL.
    session.flush()
    record = SurveyRecord(
        uuid=record_uuid or str(uuid_module.uuid4()), establishment_id=establishment.id, round_id=survey_round.id,
        answers=answers, questionnaire_id=definition.form_id, questionnaire_version=definition.version,
        enumerator_id=actor_id, status=status, supersedes=current.uuid if current else None,
        version_number=current.version_number + 1 if current else 1, is_current=True,
        created_at=now, updated_at=now, submitted_at=now if status == RecordStatus.submitted.value else None,
        review_comment=None, approved_at=None, gps_imprecise=None, gps_outside_district=None,
    )
    _located(record, definition, answers)
    if gps is not None:
        _flag_gps(session, record, definition, establishment, gps)
    # Written with Core (the busiest write of the app), then handed to the session as the persistent row it is:
    # later changes to it (a review, an import's approval) are UPDATEs as usual.
    record.id = queries.insert_record(session, {column: getattr(record, column)
                                                for column in SurveyRecord.__table__.columns.keys() if column != "id"})
    make_transient_to_detached(record)
    session.add(record)
    action = "create" if current is None else "new_version"
    insert_event(session, action, "survey_record", record.uuid,
                 before={"uuid": current.uuid, "answers": current.answers} if current else None,
                 after={"status": status, "answers": answers, "supersedes": record.supersedes}, actor_id=actor_id)
    return record


def apply_record_to_establishment(session: Session, record: SurveyRecord, definition: Definition,
                                  actor_id: int | None) -> dict[str, tuple[Any, Any]]:
    """Copy an approved record's key answers (those with an establishment_field) to the establishment.

    Returns {attribute: (old, new)} of what changed.
    """
    if record.status != RecordStatus.approved.value:
        raise ValueError("only an approved record updates the establishment")
    establishment = session.get(Establishment, record.establishment_id)
    changes: dict[str, tuple[Any, Any]] = {}
    for question in definition.walk():
        target, value = question.establishment_field, record.answers.get(question.name)
        if not target or target == "visit_type" or value is None:
            continue
        for attribute, new in _establishment_values(target, question, value).items():
            old = getattr(establishment, attribute)
            if old != new:
                changes[attribute] = (old, new)
                setattr(establishment, attribute, new)
    if changes:
        establishment.search_text = establishment_search_text(establishment.name, establishment.owner,
                                                              establishment.address)
        if {"lat", "lon", "commune_code"} & changes.keys():
            from ..geo.gps import recheck_gps_mismatch  # GeoPandas: loaded only when a point moves

            session.flush()
            recheck_gps_mismatch(session, establishment.province_code, establishment_ids=[establishment.id])
        establishment.version += 1
        establishment.updated_at = utcnow()
        session.add(establishment)
        record_event(session, "apply_record", "establishment", establishment.code,
                     before={k: old for k, (old, _) in changes.items()},
                     after={k: new for k, (_, new) in changes.items()} | {"record": record.uuid}, actor_id=actor_id)
    return changes


def _establishment_values(target: str, question: Question, value: Any) -> dict[str, Any]:
    if target == "location":
        return {"lat": value["lat"], "lon": value["lon"]}
    if target == "vsic_code":
        return {"vsic_code": value, "sector": sector_of_vsic(value)}
    if question.unit == "million_vnd":
        return {target: round(value * 1_000_000)}
    return {target: value}


def version_history(session: Session, registry: Registry, establishment_id: int, language: str) -> list[dict]:
    """Each record version with its round, who and when, and what changed from the version before."""
    history = []
    previous_by_round: dict[int, SurveyRecord] = {}
    for record, survey_round, user in queries.all_versions(session, establishment_id):
        previous = previous_by_round.get(survey_round.id)
        changes = []
        if previous is not None and record.questionnaire_id:
            try:
                definition = definition_for(session, registry, record.questionnaire_id, record.questionnaire_version)
                changes = diff_answers(definition, previous.answers, record.answers, language)
            except (LookupError, DefinitionError):
                changes = []
        history.append({"record": record, "round": survey_round, "user": user, "changes": changes})
        previous_by_round[survey_round.id] = record
    return history
