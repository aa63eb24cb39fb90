"""All SQL about establishments, their records and survey rounds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, func
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..models import (
    Establishment, EstablishmentStatus, OcopRating, ProductCertificate, PromotionProject, Support, SurveyRecord,
    SurveyRound,
)
from ..text import search_terms

if TYPE_CHECKING:
    from .filters import EstablishmentFilter


@dataclass
class EstablishmentPage:
    rows: list[Establishment]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1


def project_id_by_code(session: Session, code: str) -> int | None:
    return session.exec(select(PromotionProject.id).where(PromotionProject.code == code)).first()


def round_by_code(session: Session, code: str) -> SurveyRound | None:
    return session.exec(select(SurveyRound).where(SurveyRound.code == code)).first()


def all_rounds(session: Session) -> list[SurveyRound]:
    return list(session.exec(select(SurveyRound).order_by(SurveyRound.start_date, SurveyRound.code)))


def search_conditions(query: str | None) -> list:
    """One condition per word of the search box: each must appear in the folded name/owner/address."""
    return [Establishment.search_text.contains(term, autoescape=True) for term in search_terms(query)]


def apply_filter(statement: Select, wanted: "EstablishmentFilter") -> Select:
    """Add the WHERE clauses of a filter to a statement over Establishment."""
    if wanted.district:
        statement = statement.where(Establishment.district_code == wanted.district)
    if wanted.commune:
        statement = statement.where(Establishment.commune_code == wanted.commune)
    if wanted.sector:
        statement = statement.where(Establishment.sector == wanted.sector)
    if wanted.legal_form:
        statement = statement.where(Establishment.legal_form == wanted.legal_form)
    if wanted.status:
        statement = statement.where(Establishment.status == wanted.status)
    else:  # a merged duplicate lives on in its survivor: counting both would count one producer twice
        statement = statement.where(Establishment.status != EstablishmentStatus.merged.value)
    if wanted.gps_mismatch:
        statement = statement.where(Establishment.gps_mismatch == (wanted.gps_mismatch == "1"))
    if wanted.round:
        round_id = select(SurveyRound.id).where(SurveyRound.code == wanted.round).scalar_subquery()
        statement = statement.where(
            exists().where(SurveyRecord.establishment_id == Establishment.id, SurveyRecord.round_id == round_id)
        )
    statement = statement.where(*search_conditions(wanted.q))
    return _promotion_filters(statement, wanted)


def _promotion_filters(statement: Select, wanted: "EstablishmentFilter") -> Select:
    """Support received, a given project, certificates and OCOP stars: EXISTS on their tables."""
    if wanted.supported:
        supported = exists().where(Support.establishment_id == Establishment.id)
        statement = statement.where(supported if wanted.supported == "1" else ~supported)
    if wanted.project:
        project_id = select(PromotionProject.id).where(PromotionProject.code == wanted.project).scalar_subquery()
        statement = statement.where(exists().where(Support.establishment_id == Establishment.id,
                                                   Support.project_id == project_id))
    if wanted.certificate_level:
        statement = statement.where(exists().where(ProductCertificate.establishment_id == Establishment.id,
                                                   ProductCertificate.level == wanted.certificate_level))
    if wanted.ocop_min_stars:
        statement = statement.where(exists().where(OcopRating.establishment_id == Establishment.id,
                                                   OcopRating.stars >= int(wanted.ocop_min_stars)))
    return statement


def within_scope(statement: Select, communes: set[str] | None) -> Select:
    """Only establishments of these communes (None: no restriction; an empty set: nothing)."""
    if communes is None:
        return statement
    return statement.where(Establishment.commune_code.in_(sorted(communes)))


def count_establishments(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None = None) -> int:
    statement = apply_filter(select(func.count()).select_from(Establishment), wanted)
    return session.exec(within_scope(statement, scope)).one()


def establishments_page(session: Session, wanted: "EstablishmentFilter", page: int, per_page: int,
                        scope: set[str] | None = None) -> EstablishmentPage:
    """One page of the filtered list, ordered by code, with the total count; `scope` limits communes."""
    total = count_establishments(session, wanted, scope)
    statement = within_scope(apply_filter(select(Establishment), wanted), scope)
    statement = statement.order_by(Establishment.code).offset((page - 1) * per_page).limit(per_page)
    return EstablishmentPage(list(session.exec(statement)), total, page, per_page)


def establishment_by_code(session: Session, code: str) -> Establishment | None:
    return session.exec(select(Establishment).where(Establishment.code == code)).first()


def establishments_by_codes(session: Session, codes: list[str]) -> list[Establishment]:
    if not codes:
        return []
    return list(session.exec(select(Establishment).where(Establishment.code.in_(codes))))


def any_demo_establishment(session: Session) -> bool:
    statement = select(Establishment.id).where(Establishment.is_demo == True).limit(1)  # noqa: E712
    return session.exec(statement).first() is not None
