"""Payment claims and disputes: recorded for a person, with collection paused meanwhile."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.creditor.events import emit
from bot.db.audit import record
from bot.db.models import Account, Case, CaseKind, EventKind
from bot.domain.pauses import pause_collection


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
        emit(session, EventKind.DISPUTE, account, at=now, kind=kind.value)
    record(
        session,
        "bot",
        f"case_opened:{kind.value}",
        conversation_id=conversation_id,
        customer_id=account.customer_id if account else None,
    )
    return case
