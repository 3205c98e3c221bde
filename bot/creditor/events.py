"""Events for the creditor's systems, stored in the same transaction as what they tell of.

Nothing here sends anything: `bot.creditor.webhooks` delivers stored events, so an event is
never sent for a change that was rolled back, and never lost to a crash after the change.
Payloads carry references, amounts and dates, never what the customer wrote.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Arrangement, CreditorEvent, DeliveryStatus, EventKind
from bot.db.types import utcnow


def emit(
    session: AsyncSession,
    kind: EventKind,
    account: Account | None,
    /,
    *,
    at: datetime | None = None,
    **data: Any,
) -> CreditorEvent:
    at = at or utcnow()
    if account is not None:
        data = {"account": account.reference, **data}
    event = CreditorEvent(
        kind=kind,
        account_id=account.id if account is not None else None,
        occurred_at=at,
        data=data,
        delivery=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),  # sent as soon as stored, whenever it happened
    )
    session.add(event)
    return event


def arrangement_data(arrangement: Arrangement) -> dict[str, Any]:
    """How an arrangement reads in an event: its reference, shape, status and schedule."""
    return {
        "arrangement": arrangement.reference,
        "kind": arrangement.kind.value,
        "status": arrangement.status.value,
        "frequency": arrangement.frequency,
        "total_minor": arrangement.total_minor,
        "currency": arrangement.currency,
        "instalments": [
            {
                "sequence": i.sequence,
                "due_date": i.due_date.isoformat(),
                "amount_minor": i.amount_minor,
                "status": i.status.value,
            }
            for i in arrangement.instalments
        ],
    }


def payload(event: CreditorEvent) -> dict[str, Any]:
    """The JSON body the creditor receives, and what `GET /api/v1/events` lists."""
    return {
        "id": event.id,
        "type": event.kind.value,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
    }
