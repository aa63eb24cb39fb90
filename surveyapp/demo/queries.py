"""The SQL the demo needs to find its own rows among real ones."""
from __future__ import annotations

from sqlalchemy import Integer, and_, cast, exists, func, not_, or_
from sqlmodel import Session, SQLModel, select

from ..models import Establishment, EstablishmentMerge, PromotionProject, SurveyRound

#: "94-947-" of "94-947-000123": codes are numbered per district prefix.
CODE_PREFIX = 7


def demo_establishment_ids():
    """The ids of every synthetic establishment, as a subquery."""
    return select(Establishment.id).where(Establishment.is_demo == True)  # noqa: E712


def demo_establishments_exist(session: Session) -> bool:
    return session.exec(demo_establishment_ids().limit(1)).first() is not None


def demo_establishment_codes():
    return select(Establishment.code).where(Establishment.is_demo == True)  # noqa: E712


def demo_project_ids():
    return select(PromotionProject.id).where(PromotionProject.is_demo == True)  # noqa: E712


def open_merges_with_demo(session: Session) -> list[EstablishmentMerge]:
    """Merges not undone in which a synthetic establishment took part, newest first."""
    demo_ids = demo_establishment_ids()
    statement = (select(EstablishmentMerge)
                 .where(EstablishmentMerge.reverted_at == None,  # noqa: E711
                        or_(EstablishmentMerge.survivor_id.in_(demo_ids), EstablishmentMerge.merged_id.in_(demo_ids)))
                 .order_by(EstablishmentMerge.id.desc()))
    return list(session.exec(statement))


def later_open_merge_of(session: Session, merge_row: EstablishmentMerge) -> EstablishmentMerge | None:
    """A merge not undone, made after `merge_row`, that took its survivor's records on elsewhere."""
    statement = (select(EstablishmentMerge)
                 .where(EstablishmentMerge.merged_id == merge_row.survivor_id, EstablishmentMerge.id > merge_row.id,
                        EstablishmentMerge.reverted_at == None)  # noqa: E711
                 .order_by(EstablishmentMerge.id))
    return session.exec(statement).first()


def merges_with_demo():
    """Condition: a merge row (undone or not) naming a synthetic establishment."""
    demo_ids = demo_establishment_ids()
    return or_(EstablishmentMerge.survivor_id.in_(demo_ids), EstablishmentMerge.merged_id.in_(demo_ids))


def highest_real_sequences(session: Session, province_code: str) -> dict[str, int]:
    """Per code prefix ("94-947-"), the highest sequence number a real establishment holds."""
    prefix = func.substr(Establishment.code, 1, CODE_PREFIX)
    statement = (select(prefix, func.max(Establishment.code))
                 .where(Establishment.is_demo == False, Establishment.province_code == province_code)  # noqa: E712
                 .group_by(prefix))
    return {row_prefix: int(highest[CODE_PREFIX:]) for row_prefix, highest in session.exec(statement)}


def demo_sequence_span(session: Session) -> tuple[int, int]:
    """(most codes one district prefix of the synthetic rows spans, highest synthetic sequence number)."""
    sequence = cast(func.substr(Establishment.code, CODE_PREFIX + 1), Integer)
    per_prefix = (select((func.max(sequence) - func.min(sequence) + 1).label("span"),
                         func.max(sequence).label("highest"))
                  .where(Establishment.is_demo == True)  # noqa: E712
                  .group_by(func.substr(Establishment.code, 1, CODE_PREFIX)).subquery())
    span, highest = session.exec(select(func.max(per_prefix.c.span), func.max(per_prefix.c.highest))).one()
    return span or 0, highest or 0


def demo_id_range(session: Session) -> tuple[int, int]:
    return session.exec(select(func.min(Establishment.id), func.max(Establishment.id))
                        .where(Establishment.is_demo == True)).one()  # noqa: E712


def unreferenced_demo_rounds():
    """Condition: a synthetic round that no row of any table points at (records, assignments...)."""
    return and_(SurveyRound.is_demo == True, *_unreferenced(SurveyRound))  # noqa: E712


def _unreferenced(model) -> list:
    table = model.__table__
    return [not_(exists().where(foreign_key.parent == foreign_key.column))
            for other in SQLModel.metadata.tables.values() for foreign_key in other.foreign_keys
            if foreign_key.column.table is table]
