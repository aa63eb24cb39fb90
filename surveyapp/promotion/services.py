"""Recording promotion data with the registry's rules. Take a session and plain values; the caller commits."""
from __future__ import annotations

from sqlmodel import Session

from ..audit import record_event
from ..establishments.queries import establishment_by_code
from ..models import OcopRating, ProductCertificate, PromotionProject, Support, TradeFair, TrainingClass
from ..reference import CERTIFICATE_LEVELS, PRODUCT_GROUPS, PROJECT_LEVELS, PROJECT_STATUSES, PROMOTION_ACTIVITIES
from . import queries

FIRST_YEAR, LAST_YEAR = 1990, 2100


class PromotionError(ValueError):
    """A value that cannot be recorded; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _year(year: int) -> int:
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise PromotionError("year", f"year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return year


def _money(field: str, value: int | None) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or value < 0:
        raise PromotionError(field, "an amount in đồng: a whole number, 0 or more")
    return value


def _choice(field: str, value: str, allowed: dict) -> str:
    if value not in allowed:
        raise PromotionError(field, f"one of: {', '.join(allowed)}")
    return value


def save_project(session: Session, *, code: str, title: str, year: int, level: str, activity: str,
                 state_support_vnd: int | None, beneficiary_contribution_vnd: int | None,
                 total_cost_vnd: int | None = None, implementing_unit: str | None = None, status: str = "completed",
                 is_demo: bool = False, actor_id: int | None = None) -> tuple[PromotionProject, bool]:
    """Insert a project, or update the one with this code; returns it and whether anything changed."""
    code, title = (code or "").strip(), (title or "").strip()
    if not code or len(code) > 40:
        raise PromotionError("code", "a project code of 1–40 characters is required")
    if not title:
        raise PromotionError("title", "a title is required")
    values = {
        "title": title[:300], "year": _year(year), "level": _choice("level", level, PROJECT_LEVELS),
        "activity": _choice("activity", activity, PROMOTION_ACTIVITIES),
        "state_support_vnd": _money("state_support_vnd", state_support_vnd),
        "beneficiary_contribution_vnd": _money("beneficiary_contribution_vnd", beneficiary_contribution_vnd),
        "implementing_unit": implementing_unit, "status": _choice("status", status, PROJECT_STATUSES),
    }
    values["total_cost_vnd"] = _money("total_cost_vnd", total_cost_vnd) if total_cost_vnd is not None else \
        values["state_support_vnd"] + values["beneficiary_contribution_vnd"]
    project = queries.project_by_code(session, code)
    if project is None:
        project = PromotionProject(code=code, is_demo=is_demo, **values)
        session.add(project)
        session.flush()
        record_event(session, "create", "promotion_project", code, after=_plain(values), actor_id=actor_id)
        return project, True
    before = {key: getattr(project, key) for key in values}
    if before == values:
        return project, False
    for key, value in values.items():
        setattr(project, key, value)
    session.add(project)
    record_event(session, "update", "promotion_project", code, before=_plain(before), after=_plain(values),
                 actor_id=actor_id)
    return project, True


def _plain(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def add_support(session: Session, *, project_code: str, establishment_code: str, state_support_vnd: int | None,
                beneficiary_contribution_vnd: int | None, note: str | None = None,
                actor_id: int | None = None) -> tuple[Support, bool]:
    project = queries.project_by_code(session, project_code)
    if project is None:
        raise PromotionError("project_code", f"unknown promotion project {project_code}")
    establishment = establishment_by_code(session, establishment_code)
    if establishment is None:
        raise PromotionError("establishment_code", f"unknown establishment {establishment_code}")
    state, own = _money("state_support_vnd", state_support_vnd), _money("beneficiary_contribution_vnd",
                                                                          beneficiary_contribution_vnd)
    existing = queries.support_of(session, project.id, establishment.id)
    if existing is not None:
        changed = (existing.state_support_vnd, existing.beneficiary_contribution_vnd, existing.note) != (state, own, note)
        existing.state_support_vnd, existing.beneficiary_contribution_vnd, existing.note = state, own, note
        session.add(existing)
        return existing, changed
    support = Support(project_id=project.id, establishment_id=establishment.id, state_support_vnd=state,
                      beneficiary_contribution_vnd=own, note=note)
    session.add(support)
    record_event(session, "create", "support", f"{project_code}|{establishment_code}",
                 after={"state_support_vnd": state, "beneficiary_contribution_vnd": own}, actor_id=actor_id)
    return support, True


def add_certificate(session: Session, *, product: str, product_group: str, level: str, year: int,
                    establishment_code: str | None = None, holder_name: str | None = None,
                    certificate_number: str | None = None, actor_id: int | None = None) -> ProductCertificate:
    establishment = establishment_by_code(session, establishment_code) if establishment_code else None
    if establishment_code and establishment is None:
        raise PromotionError("establishment_code", f"unknown establishment {establishment_code}")
    if not (product or "").strip():
        raise PromotionError("product", "the product is required")
    certificate = ProductCertificate(
        establishment_id=establishment.id if establishment else None, holder_name=holder_name,
        product=product.strip()[:200], product_group=_choice("product_group", product_group, PRODUCT_GROUPS),
        level=_choice("level", level, CERTIFICATE_LEVELS), year=_year(year), certificate_number=certificate_number)
    session.add(certificate)
    record_event(session, "create", "product_certificate", certificate_number or product[:60],
                 after={"level": level, "year": year, "establishment": establishment_code}, actor_id=actor_id)
    return certificate


def add_ocop(session: Session, *, product: str, stars: int, year: int, establishment_code: str | None = None,
             holder_name: str | None = None, actor_id: int | None = None) -> OcopRating:
    establishment = establishment_by_code(session, establishment_code) if establishment_code else None
    if establishment_code and establishment is None:
        raise PromotionError("establishment_code", f"unknown establishment {establishment_code}")
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise PromotionError("stars", "OCOP stars go from 1 to 5")
    rating = OcopRating(establishment_id=establishment.id if establishment else None, holder_name=holder_name,
                        product=(product or "").strip()[:200] or "?", stars=stars, year=_year(year))
    session.add(rating)
    record_event(session, "create", "ocop_rating", product[:60], after={"stars": stars, "year": year},
                 actor_id=actor_id)
    return rating


def add_training(session: Session, project: PromotionProject, title: str, trainees: int, jobs_created: int) -> TrainingClass:
    training = TrainingClass(project_id=project.id, title=title, trainees=max(0, trainees), jobs_created=max(0, jobs_created))
    session.add(training)
    return training


def add_trade_fair(session: Session, project: PromotionProject, name: str, establishments: int, booths: int) -> TradeFair:
    fair = TradeFair(project_id=project.id, name=name, establishments=max(0, establishments), booths=max(0, booths))
    session.add(fair)
    return fair
