"""The audit trail: one append-only event per change."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert
from sqlmodel import Session

from .models import AuditEvent, utcnow

#: What each recorded action is called on the audit page (an action missing here shows its code).
ACTION_LABELS = {
    "create": _l("created"), "update": _l("changed"), "new_version": _l("new record version"),
    "submit": _l("submitted"), "approve": _l("approved"), "return": _l("sent back"),
    "apply_record": _l("answers applied to the register"), "assign": _l("communes assigned"),
    "unassign": _l("assignment removed"), "open": _l("round opened"), "close": _l("round closed"),
    "login": _l("signed in"), "login_failed": _l("sign-in refused"), "change_password": _l("password changed"),
    "reset_password": _l("password reset"), "revoke": _l("token revoked"), "export": _l("exported"),
    "import": _l("imported"), "import_boundaries": _l("boundaries imported"),
    "load_admin_units": _l("administrative units loaded"), "gps_check": _l("GPS positions checked"),
    "merge": _l("merged"), "revert_merge": _l("merge undone"), "not_duplicate": _l("marked not a duplicate"),
    "demo_generate": _l("demo data generated"), "demo_remove": _l("demo data removed"),
    "questionnaire_version": _l("questionnaire version changed"), "publish": _l("questionnaire published"),
}
#: What each kind of entity is called on the audit page.
ENTITY_LABELS = {
    "establishment": _l("establishment"), "survey_record": _l("record"), "survey_round": _l("survey round"),
    "user": _l("user"), "api_token": _l("API token"), "admin_unit": _l("administrative unit"),
    "boundary": _l("boundaries"), "comment": _l("comment"), "map": _l("map"), "support": _l("support"),
    "promotion_project": _l("promotion project"), "promotion_report": _l("promotion report"),
    "product_certificate": _l("product certificate"), "ocop_rating": _l("OCOP rating"),
    "questionnaire": _l("questionnaire"),
    "app_password": _l("app password"),
}


def record_event(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: str | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Add an event to the session; it is written with the change it describes, in one commit."""
    event = AuditEvent(
        action=action, entity_type=entity_type, entity_id=entity_id, before=before, after=after, actor_id=actor_id,
        ip_address=ip_address,
    )
    session.add(event)
    return event


_INSERT_EVENT = insert(AuditEvent.__table__)


def insert_event(session: Session, action: str, entity_type: str, entity_id: str | None = None, *,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                 actor_id: int | None = None, ip_address: str | None = None) -> None:
    """`record_event` written at once with Core, on the session's connection and transaction: for the
    busiest write paths (record submissions), where building an ORM object per event costs."""
    session.connection().execute(_INSERT_EVENT, {
        "created_at": utcnow(), "action": action, "entity_type": entity_type, "entity_id": entity_id,
        "before": before, "after": after, "actor_id": actor_id, "ip_address": ip_address})
