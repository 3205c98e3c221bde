"""The audit trail: who did what, when, to which conversation or customer."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry


def record(
    session: AsyncSession,
    actor: str,
    action: str,
    conversation_id: str | None = None,
    customer_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            conversation_id=conversation_id,
            customer_id=customer_id,
            details=details or {},
        )
    )
