"""All SQL of duplicates and merges."""
from __future__ import annotations

from sqlmodel import Session, select

from ..models import (
    DuplicateDecision, Establishment, EstablishmentMerge, EstablishmentStatus, OcopRating, ProductCertificate, Support,
    SurveyRecord,
)
from .linkage import COLUMNS
from .matching import Candidate


def candidates(session: Session, district_code: str | None = None, commune_codes: set[str] | None = None,
               batch: int = 20_000):
    """Every live (not merged) establishment as a matching Candidate, read in batches."""
    statement = select(Establishment.code, Establishment.name, Establishment.commune_code, Establishment.phone,
                       Establishment.tax_code, Establishment.lat, Establishment.lon).where(
        Establishment.status != EstablishmentStatus.merged.value)
    if district_code:
        statement = statement.where(Establishment.district_code == district_code)
    if commune_codes is not None:
        statement = statement.where(Establishment.commune_code.in_(sorted(commune_codes)))
    result = session.exec(statement.execution_options(yield_per=batch))
    return [Candidate(*row) for row in result]


def registry_batches(session: Session, district_code: str | None = None, commune_codes: set[str] | None = None,
                     batch: int = 50_000, include_merged: bool = False):
    """Every live establishment as tuples of linkage.COLUMNS, in lists of `batch` rows (a million
    rows as Python tuples would take a gigabyte; batches become columns one at a time)."""
    table = Establishment.__table__
    statement = select(*[table.c[name] for name in COLUMNS])
    if not include_merged:
        statement = statement.where(table.c.status != EstablishmentStatus.merged.value)
    if district_code:
        statement = statement.where(table.c.district_code == district_code)
    if commune_codes is not None:
        statement = statement.where(table.c.commune_code.in_(sorted(commune_codes)))
    for rows in session.execute(statement.execution_options(yield_per=batch)).partitions(batch):
        yield [tuple(row) for row in rows]


def decided_pairs(session: Session) -> set[tuple[str, str]]:
    return {(a, b) for a, b in session.exec(select(DuplicateDecision.code_a, DuplicateDecision.code_b))}


def merged_pairs(session: Session) -> list[tuple[str, str]]:
    """Pairs a supervisor merged (and nobody undid): known duplicates."""
    statement = select(DuplicateDecision.code_a, DuplicateDecision.code_b).where(DuplicateDecision.decision == "merged")
    return [(a, b) for a, b in session.exec(statement)]


def decision(session: Session, code_a: str, code_b: str) -> DuplicateDecision | None:
    statement = select(DuplicateDecision).where(DuplicateDecision.code_a == code_a, DuplicateDecision.code_b == code_b)
    return session.exec(statement).first()


def records_of(session: Session, establishment_id: int) -> list[SurveyRecord]:
    return list(session.exec(select(SurveyRecord).where(SurveyRecord.establishment_id == establishment_id)))


def current_round_ids(session: Session, establishment_id: int) -> set[int]:
    statement = select(SurveyRecord.round_id).where(SurveyRecord.establishment_id == establishment_id,
                                                    SurveyRecord.is_current == True)  # noqa: E712
    return set(session.exec(statement))


def merges(session: Session, include_reverted: bool = False, limit: int = 200) -> list[tuple[EstablishmentMerge, Establishment, Establishment]]:
    statement = select(EstablishmentMerge).order_by(EstablishmentMerge.merged_at.desc()).limit(limit)
    if not include_reverted:
        statement = statement.where(EstablishmentMerge.reverted_at == None)  # noqa: E711
    rows = list(session.exec(statement))
    return [(m, session.get(Establishment, m.survivor_id), session.get(Establishment, m.merged_id)) for m in rows]


def merge_by_id(session: Session, merge_id: int) -> EstablishmentMerge | None:
    return session.get(EstablishmentMerge, merge_id)


def supports_of(session: Session, establishment_id: int) -> list[Support]:
    return list(session.exec(select(Support).where(Support.establishment_id == establishment_id)))


def certificates_of(session: Session, establishment_id: int) -> list[ProductCertificate]:
    return list(session.exec(select(ProductCertificate).where(ProductCertificate.establishment_id == establishment_id)))


def ocop_of(session: Session, establishment_id: int) -> list[OcopRating]:
    return list(session.exec(select(OcopRating).where(OcopRating.establishment_id == establishment_id)))
