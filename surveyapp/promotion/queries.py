"""All SQL of promotion: project lists, an establishment's history, the report's aggregates (GROUP BY)."""
from __future__ import annotations

from sqlalchemy import BigInteger, cast, func
from sqlmodel import Session, select

from ..models import (
    AdminUnit, Establishment, OcopRating, ProductCertificate, PromotionProject, Support, TradeFair, TrainingClass,
)


def _sum(column):
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def project_by_code(session: Session, code: str) -> PromotionProject | None:
    return session.exec(select(PromotionProject).where(PromotionProject.code == code)).first()


def project_id_by_code(session: Session, code: str) -> int | None:
    return session.exec(select(PromotionProject.id).where(PromotionProject.code == code)).first()


def projects(session: Session, year_from: int, year_to: int, limit: int = 1000) -> list[PromotionProject]:
    statement = select(PromotionProject).where(PromotionProject.year.between(year_from, year_to))
    return list(session.exec(statement.order_by(PromotionProject.year.desc(), PromotionProject.code).limit(limit)))


def project_supports(session: Session, project_id: int,
                     scope: set[str] | None = None) -> list[tuple[Support, Establishment]]:
    """The establishments a project supported; with `scope`, only those in these communes."""
    statement = (select(Support, Establishment).join(Establishment, Establishment.id == Support.establishment_id)
                 .where(Support.project_id == project_id).order_by(Establishment.code))
    if scope is not None:
        statement = statement.where(Establishment.commune_code.in_(scope))
    return list(session.exec(statement).all())


def support_of(session: Session, project_id: int, establishment_id: int) -> Support | None:
    statement = select(Support).where(Support.project_id == project_id, Support.establishment_id == establishment_id)
    return session.exec(statement).first()


def project_activities(session: Session, project_id: int) -> tuple[list[TrainingClass], list[TradeFair]]:
    classes = list(session.exec(select(TrainingClass).where(TrainingClass.project_id == project_id)))
    fairs = list(session.exec(select(TradeFair).where(TradeFair.project_id == project_id)))
    return classes, fairs


def establishment_supports(session: Session, establishment_id: int) -> list[tuple[Support, PromotionProject]]:
    statement = (select(Support, PromotionProject).join(PromotionProject, PromotionProject.id == Support.project_id)
                 .where(Support.establishment_id == establishment_id).order_by(PromotionProject.year))
    return list(session.exec(statement).all())


def establishment_certificates(session: Session, establishment_id: int) -> list[ProductCertificate]:
    statement = select(ProductCertificate).where(ProductCertificate.establishment_id == establishment_id)
    return list(session.exec(statement.order_by(ProductCertificate.year)))


def establishment_ocop(session: Session, establishment_id: int) -> list[OcopRating]:
    statement = select(OcopRating).where(OcopRating.establishment_id == establishment_id)
    return list(session.exec(statement.order_by(OcopRating.year)))


def projects_by(session: Session, column, year_from: int, year_to: int) -> list[tuple]:
    """(key, projects, total cost, state support, beneficiary contribution) grouped by level or activity."""
    statement = (select(column, func.count(), _sum(PromotionProject.total_cost_vnd),
                        _sum(PromotionProject.state_support_vnd), _sum(PromotionProject.beneficiary_contribution_vnd))
                 .where(PromotionProject.year.between(year_from, year_to), PromotionProject.status != "cancelled")
                 .group_by(column).order_by(column))
    return list(session.exec(statement).all())


def projects_by_year(session: Session, year_from: int, year_to: int) -> list[tuple]:
    return projects_by(session, PromotionProject.year, year_from, year_to)


def supported_by_district(session: Session, province_code: str, year_from: int, year_to: int) -> list[tuple]:
    """(district code, name, establishments supported, state support, own contribution) per district."""
    statement = (
        select(AdminUnit.code, AdminUnit.name, func.count(func.distinct(Support.establishment_id)),
               _sum(Support.state_support_vnd), _sum(Support.beneficiary_contribution_vnd))
        .join(Establishment, Establishment.id == Support.establishment_id)
        .join(PromotionProject, PromotionProject.id == Support.project_id)
        .join(AdminUnit, AdminUnit.code == Establishment.district_code)
        .where(PromotionProject.year.between(year_from, year_to), Establishment.province_code == province_code)
        .group_by(AdminUnit.code, AdminUnit.name).order_by(AdminUnit.code)
    )
    return list(session.exec(statement).all())


def certificates_by_level(session: Session, year_from: int, year_to: int) -> dict[str, int]:
    statement = (select(ProductCertificate.level, func.count())
                 .where(ProductCertificate.year.between(year_from, year_to)).group_by(ProductCertificate.level))
    return dict(session.exec(statement).all())


def ocop_by_stars(session: Session, year_from: int, year_to: int) -> dict[int, int]:
    statement = (select(OcopRating.stars, func.count()).where(OcopRating.year.between(year_from, year_to))
                 .group_by(OcopRating.stars))
    return dict(session.exec(statement).all())


def training_and_fairs(session: Session, year_from: int, year_to: int) -> tuple[int, int, int, int, int]:
    """(classes, trainees, jobs created, fairs, booths) of projects in the years."""
    in_years = select(PromotionProject.id).where(PromotionProject.year.between(year_from, year_to))
    classes = session.exec(select(func.count(), func.coalesce(func.sum(TrainingClass.trainees), 0),
                                  func.coalesce(func.sum(TrainingClass.jobs_created), 0))
                           .where(TrainingClass.project_id.in_(in_years))).one()
    fairs = session.exec(select(func.count(), func.coalesce(func.sum(TradeFair.booths), 0))
                         .where(TradeFair.project_id.in_(in_years))).one()
    return (*classes, *fairs)


def year_span(session: Session) -> tuple[int | None, int | None]:
    return session.exec(select(func.min(PromotionProject.year), func.max(PromotionProject.year))).one()


def certificate_exists(session: Session, level: str, year: int, number: str | None, product: str,
                       establishment_id: int | None) -> bool:
    statement = select(ProductCertificate.id).where(ProductCertificate.level == level, ProductCertificate.year == year)
    if number:
        statement = statement.where(ProductCertificate.certificate_number == number)
    else:
        statement = statement.where(ProductCertificate.product == product,
                                    ProductCertificate.establishment_id == establishment_id)
    return session.exec(statement).first() is not None


def ocop_exists(session: Session, product: str, year: int, establishment_id: int | None) -> bool:
    statement = select(OcopRating.id).where(OcopRating.product == product, OcopRating.year == year,
                                            OcopRating.establishment_id == establishment_id)
    return session.exec(statement).first() is not None
