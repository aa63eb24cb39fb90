"""Removing the synthetic census from a registry that has been used: real rows stay as they were.

By the time `flask demo --replace` runs, people may have worked on the demo: the demo accounts are
assigned to its open round, enumerators saved records, supervisors reviewed them, duplicates were
merged, real establishments were imported or registered beside it. So:

* a merge between a real and a synthetic establishment is undone first (`revert_merge`, newest
  first, merges between synthetic ones too so that chains unwind): the real establishment gets its
  records, support and status back and keeps nothing synthetic;
* decisions on candidate pairs naming a synthetic code go (the next demo reuses the codes);
* a synthetic round stays while anything points at it (assignments, real records) and is reused by
  the next demo; one nothing points at goes.

The caller commits: removal and the next generation are one transaction.
"""
from __future__ import annotations

from sqlalchemy import delete, or_, update
from sqlmodel import Session

from ..audit import record_event
from ..duplicates.services import revert_merge
from ..models import (
    DuplicateDecision, Establishment, EstablishmentMerge, OcopRating, ProductCertificate, PromotionProject, Support,
    SurveyRecord, SurveyRound, TradeFair, TrainingClass,
)
from . import queries
from .generator import DemoError

#: Holder of the demo's certificates when no establishment holds them.
DEMO_HOLDER_MARK = "mô phỏng"


def remove_demo_data(session: Session) -> int:
    """Delete every synthetic row; returns how many synthetic establishments went."""
    undone = _undo_merges_with_demo(session)
    demo_ids, demo_codes = queries.demo_establishment_ids(), queries.demo_establishment_codes()
    session.execute(delete(DuplicateDecision).where(
        or_(DuplicateDecision.code_a.in_(demo_codes), DuplicateDecision.code_b.in_(demo_codes))))
    session.execute(delete(EstablishmentMerge).where(queries.merges_with_demo()))
    session.execute(update(Establishment).where(Establishment.is_demo == True,  # noqa: E712
                                                Establishment.merged_into_id != None)  # noqa: E711
                    .values(merged_into_id=None))
    _remove_promotion(session, demo_ids)
    session.execute(delete(SurveyRecord).where(SurveyRecord.establishment_id.in_(demo_ids)))
    removed = session.execute(delete(Establishment).where(Establishment.is_demo == True)).rowcount  # noqa: E712
    session.execute(delete(SurveyRound).where(queries.unreferenced_demo_rounds()))
    record_event(session, "demo_remove", "establishment", None, after={"removed": removed, "merges_undone": undone})
    return removed


def _undo_merges_with_demo(session: Session) -> int:
    merges = queries.open_merges_with_demo(session)
    for merge_row in merges:
        later = queries.later_open_merge_of(session, merge_row)
        if later is not None:  # what moved onto the survivor has moved on again: that merge must go first
            merged, survivor, final = (session.get(Establishment, establishment_id).code for establishment_id in (
                merge_row.merged_id, merge_row.survivor_id, later.survivor_id))
            raise DemoError(f"{merged} was merged into {survivor}, which was merged into {final} afterwards: "
                            "undo that merge first (Duplicates → Merges), then run this again.")
        revert_merge(session, merge_row, actor_id=None)
    return len(merges)


def _remove_promotion(session: Session, demo_ids) -> None:
    demo_projects = queries.demo_project_ids()
    session.execute(delete(Support).where(or_(Support.establishment_id.in_(demo_ids),
                                              Support.project_id.in_(demo_projects))))
    session.execute(delete(TrainingClass).where(TrainingClass.project_id.in_(demo_projects)))
    session.execute(delete(TradeFair).where(TradeFair.project_id.in_(demo_projects)))
    session.execute(delete(PromotionProject).where(PromotionProject.is_demo == True))  # noqa: E712
    for table in (ProductCertificate, OcopRating):
        session.execute(delete(table).where(or_(table.establishment_id.in_(demo_ids),
                                                table.holder_name.contains(DEMO_HOLDER_MARK))))

