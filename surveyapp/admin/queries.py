"""All SQL of the admin pages that is not another domain's."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from .. import clock
from ..models import AuditEvent, User


@dataclass
class AuditFilter:
    action: str | None = None
    entity_type: str | None = None
    actor: str | None = None  #: username
    #: First and last day included, whole days in the app's time zone.
    since: dt.date | None = None
    until: dt.date | None = None


def _audit_statement(statement, wanted: AuditFilter):
    if wanted.action:
        statement = statement.where(AuditEvent.action == wanted.action)
    if wanted.entity_type:
        statement = statement.where(AuditEvent.entity_type == wanted.entity_type)
    if wanted.actor:
        statement = statement.where(AuditEvent.actor_id.in_(select(User.id).where(User.username == wanted.actor)))
    if wanted.since:
        statement = statement.where(AuditEvent.created_at >= clock.day_start_utc(wanted.since))
    if wanted.until:
        statement = statement.where(AuditEvent.created_at < clock.day_start_utc(wanted.until + dt.timedelta(days=1)))
    return statement


def audit_page(session: Session, wanted: AuditFilter, page: int, per_page: int) -> tuple[list[tuple[AuditEvent, User | None]], int]:
    total = session.exec(_audit_statement(select(func.count()).select_from(AuditEvent), wanted)).one()
    statement = _audit_statement(select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id), wanted)
    statement = statement.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    return list(session.exec(statement).all()), total


def audit_choices(session: Session) -> tuple[list[str], list[str]]:
    actions = sorted(session.exec(select(AuditEvent.action).distinct()))
    entity_types = sorted(session.exec(select(AuditEvent.entity_type).distinct()))
    return actions, entity_types
