"""Payment claims and disputes: recorded for a person, with collection paused meanwhile."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Account, Case, CaseKind

# Set on every account of a customer who showed a crisis cue: no contact until a person lifts it.
CRISIS_PAUSE = "crisis"


async def open_case(
    session: AsyncSession,
    kind: CaseKind,
    conversation_id: str,
    account: Account | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Case:
    case = Case(
        kind=kind,
        conversation_id=conversation_id,
        account_id=account.id if account else None,
        details=details or {},
        created_at=now,
    )
    session.add(case)
    if account is not None:
        await pause_collection(session, account, kind.value, now)
    record(
        session,
        "bot",
        f"case_opened:{kind.value}",
        conversation_id=conversation_id,
        customer_id=account.customer_id if account else None,
    )
    return case


async def pause_collection(session: AsyncSession, account: Account, reason: str, now: datetime) -> None:
    """No reminders or collection messages on this account until a person resumes them."""
    if account.collection_paused_reason is None:
        account.collection_paused_reason, account.collection_paused_at = reason, now


async def lift_crisis_pause(session: AsyncSession, customer_id: int, actor: str) -> int:
    """A person judged it safe to contact the customer again; returns how many accounts it lifted."""
    accounts = list(
        await session.scalars(
            select(Account).where(
                Account.customer_id == customer_id, Account.collection_paused_reason == CRISIS_PAUSE
            )
        )
    )
    for account in accounts:
        account.collection_paused_reason, account.collection_paused_at = None, None
    if accounts:
        record(session, actor, "crisis_pause_lifted", customer_id=customer_id)
    return len(accounts)


async def crisis_pause(session: AsyncSession, customer_id: int | None) -> bool:
    """Whether contact with this customer is suppressed after a crisis, until a person lifts it."""
    if customer_id is None:
        return False
    return bool(
        await session.scalar(
            select(Account.id).where(
                Account.customer_id == customer_id, Account.collection_paused_reason == CRISIS_PAUSE
            )
        )
    )
