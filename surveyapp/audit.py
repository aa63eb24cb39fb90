"""The audit trail: one append-only event per change."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .models import AuditEvent


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
