"""Deciding on candidate pairs: merge (reversibly) or "not a duplicate". The caller commits."""
from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from ..audit import record_event
from ..establishments.queries import establishment_by_code
from ..models import DuplicateDecision, Establishment, EstablishmentMerge, EstablishmentStatus, Support, utcnow
from . import queries
from . import linkage
from .linkage import DEFAULT_THRESHOLD, LinkedPair
from .matching import Candidate, Pair, candidate_pairs

TRAINED_MODEL_FILE = "duplicates-model.json"
#: Stands for the establishment being registered (sorts before every real code).
NEW_CODE = "00-new"


class MergeError(ValueError):
    pass


def find_pairs(session: Session, district_code: str | None = None, threshold: float = DEFAULT_THRESHOLD,
               commune_codes: set[str] | None = None, model: dict | None = None) -> list[LinkedPair]:
    """Pairs the linkage model scores at or above `threshold` (a probability), best first, each with
    its reasons; pairs a supervisor decided on (merged, "not a duplicate") never come back."""
    table = linkage.arrow_table_from_batches(queries.registry_batches(session, district_code, commune_codes))
    return linkage.predict(table, model or linkage.load_model(), threshold, excluded=queries.decided_pairs(session))


def model_path(instance_path: str) -> Path:
    """Where `flask duplicates --train` keeps the model trained on this registry."""
    return Path(instance_path) / TRAINED_MODEL_FILE


def current_model(instance_path: str) -> dict:
    """The model trained on this registry if there is one, else the one shipped with the app."""
    path = model_path(instance_path)
    return linkage.load_model(path if path.exists() else None)


def train_model(session: Session) -> dict:
    """Estimate the model from this registry by EM; the pairs supervisors merged (their duplicates are
    read too) are labels for m besides. "Not a duplicate" decisions are kept out of what is proposed."""
    table = linkage.arrow_table_from_batches(queries.registry_batches(session, include_merged=True))
    model = linkage.train(table, known_duplicates=queries.merged_pairs(session))
    model["trained_on"] = f"registry of {table.num_rows} establishments"
    return model


def _ordered(code_a: str, code_b: str) -> tuple[str, str]:
    if code_a == code_b:
        raise MergeError("same")
    return tuple(sorted((code_a, code_b)))  # type: ignore[return-value]


def mark_not_duplicate(session: Session, code_a: str, code_b: str, actor_id: int | None) -> DuplicateDecision:
    code_a, code_b = _ordered(code_a, code_b)
    existing = queries.decision(session, code_a, code_b)
    if existing is not None:
        return existing
    decision = DuplicateDecision(code_a=code_a, code_b=code_b, decision="not_duplicate", decided_by=actor_id)
    session.add(decision)
    record_event(session, "not_duplicate", "establishment", f"{code_a}|{code_b}", actor_id=actor_id)
    return decision


def merge(session: Session, survivor_code: str, merged_code: str, actor_id: int | None) -> EstablishmentMerge:
    """Move the duplicate's records to the survivor; the duplicate stays, marked merged, its code redirecting.

    Where both have a current record for the same round, the survivor's stays current and the
    duplicate's becomes history. Everything moved is written down so an admin can undo it.
    """
    code_a, code_b = _ordered(survivor_code, merged_code)
    survivor, merged = establishment_by_code(session, survivor_code), establishment_by_code(session, merged_code)
    if survivor is None or merged is None:
        raise MergeError("unknown")
    if EstablishmentStatus.merged.value in (survivor.status, merged.status):
        raise MergeError("already")
    survivor_rounds = queries.current_round_ids(session, survivor.id)
    moved, retired = [], []
    for record in queries.records_of(session, merged.id):
        if record.is_current and record.round_id in survivor_rounds:
            record.is_current = False
            retired.append(record.id)
        record.establishment_id = survivor.id
        moved.append(record.id)
        session.add(record)
    merge_row = EstablishmentMerge(survivor_id=survivor.id, merged_id=merged.id, moved_record_ids=moved,
                                   retired_record_ids=retired, merged_status_before=merged.status, merged_by=actor_id,
                                   moved_promotion=_move_promotion(session, merged.id, survivor.id))
    merged.status, merged.merged_into_id, merged.version = EstablishmentStatus.merged.value, survivor.id, merged.version + 1
    merged.updated_at = utcnow()
    session.add_all([merged, merge_row])
    existing = queries.decision(session, code_a, code_b)
    if existing is None:
        session.add(DuplicateDecision(code_a=code_a, code_b=code_b, decision="merged", decided_by=actor_id))
    else:
        existing.decision = "merged"
        session.add(existing)
    session.flush()
    record_event(session, "merge", "establishment", merged.code,
                 before={"status": merge_row.merged_status_before},
                 after={"survivor": survivor.code, "moved_records": moved, "retired_records": retired},
                 actor_id=actor_id)
    return merge_row


def revert_merge(session: Session, merge_row: EstablishmentMerge, actor_id: int | None) -> None:
    """Undo a merge: records go back, the duplicate is live again, the pair may be proposed again."""
    if merge_row.reverted_at is not None:
        raise MergeError("reverted")
    survivor = session.get(Establishment, merge_row.survivor_id)
    merged = session.get(Establishment, merge_row.merged_id)
    _restore_promotion(session, merge_row.moved_promotion or {}, survivor.id, merged.id)
    for record in queries.records_of(session, survivor.id):
        if record.id in merge_row.moved_record_ids:
            record.establishment_id = merged.id
            if record.id in merge_row.retired_record_ids:
                record.is_current = True
            session.add(record)
    merged.status, merged.merged_into_id, merged.version = merge_row.merged_status_before, None, merged.version + 1
    merged.updated_at = utcnow()
    merge_row.reverted_at, merge_row.reverted_by = utcnow(), actor_id
    code_a, code_b = _ordered(survivor.code, merged.code)
    decision = queries.decision(session, code_a, code_b)
    if decision is not None:
        session.delete(decision)
    session.add_all([merged, merge_row])
    session.flush()
    record_event(session, "revert_merge", "establishment", merged.code, before={"survivor": survivor.code},
                 after={"status": merged.status, "records_back": merge_row.moved_record_ids}, actor_id=actor_id)


def likely_matches(session: Session, commune_code: str, name: str, phone: str | None = None,
                   tax_code: str | None = None, threshold: float = 0.8) -> list[tuple[Pair, str]]:
    """Existing establishments of a commune that a new registration may duplicate: [(pair, their code)]."""
    rows = queries.candidates(session, commune_codes={commune_code})
    newcomer = Candidate(NEW_CODE, name, commune_code, phone, tax_code)
    pairs = candidate_pairs(rows + [newcomer], threshold)
    return [(pair, pair.code_b if pair.code_a == NEW_CODE else pair.code_a)
            for pair in pairs if NEW_CODE in (pair.code_a, pair.code_b)]


def undecided_flags(session: Session, establishment: Establishment) -> list[str]:
    """Codes its offline registration flagged as likely duplicates, less the pairs decided since."""
    return [other for other in (establishment.possible_duplicate_of or "").split()
            if other != establishment.code and queries.decision(session, *_ordered(establishment.code, other)) is None]


def _move_promotion(session: Session, from_id: int, to_id: int) -> dict:
    """Support, certificates and OCOP ratings follow the records. Support from a project both got is
    added into the survivor's row (one row per project and establishment); what was added is kept."""
    moved: dict = {"supports": [], "certificates": [], "ocop": [], "summed": []}
    survivor_projects = {s.project_id: s for s in queries.supports_of(session, to_id)}
    for support in queries.supports_of(session, from_id):
        kept = survivor_projects.get(support.project_id)
        if kept is None:
            support.establishment_id = to_id
            session.add(support)
            moved["supports"].append(support.id)
            continue
        moved["summed"].append({"into": kept.id, "project_id": support.project_id, "note": support.note,
                                "state_support_vnd": support.state_support_vnd,
                                "beneficiary_contribution_vnd": support.beneficiary_contribution_vnd})
        kept.state_support_vnd += support.state_support_vnd
        kept.beneficiary_contribution_vnd += support.beneficiary_contribution_vnd
        session.add(kept)
        session.delete(support)
    for key, rows in (("certificates", queries.certificates_of(session, from_id)), ("ocop", queries.ocop_of(session, from_id))):
        for row in rows:
            row.establishment_id = to_id
            session.add(row)
            moved[key].append(row.id)
    moved["photos"] = _move_photos(session, from_id, to_id)
    return moved


def _move_photos(session: Session, from_id: int, to_id: int) -> list[int]:
    """Photos follow the records, so the survivor's readers see the photos its moved answers name. A
    photo the survivor already has (same bytes) stays with the duplicate: one row per establishment."""
    from ..photos.queries import photos_of_establishment

    kept = {photo.sha256 for photo in photos_of_establishment(session, to_id)}
    moved = []
    for photo in photos_of_establishment(session, from_id):
        if photo.sha256 not in kept:
            photo.establishment_id = to_id
            session.add(photo)
            moved.append(photo.id)
    return moved


def _restore_promotion(session: Session, moved: dict, survivor_id: int, merged_id: int) -> None:
    from ..photos.queries import photos_of_establishment

    for photo in photos_of_establishment(session, survivor_id):
        if photo.id in moved.get("photos", []):
            photo.establishment_id = merged_id
            session.add(photo)
    for key, rows in (("supports", queries.supports_of(session, survivor_id)),
                      ("certificates", queries.certificates_of(session, survivor_id)),
                      ("ocop", queries.ocop_of(session, survivor_id))):
        for row in rows:
            if row.id in moved.get(key, []):
                row.establishment_id = merged_id
                session.add(row)
    for summed in moved.get("summed", []):
        kept = session.get(Support, summed["into"])
        kept.state_support_vnd -= summed["state_support_vnd"]
        kept.beneficiary_contribution_vnd -= summed["beneficiary_contribution_vnd"]
        session.add_all([kept, Support(project_id=summed["project_id"], establishment_id=merged_id, note=summed["note"],
                                       state_support_vnd=summed["state_support_vnd"],
                                       beneficiary_contribution_vnd=summed["beneficiary_contribution_vnd"])])
