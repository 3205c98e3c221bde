"""Asking for a person: one open request per conversation, at the most urgent reason given."""

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record
from bot.db.models import Handoff


class HandoffReason(StrEnum):
    CRISIS = "crisis"
    VULNERABILITY = "vulnerability"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    CUSTOMER_REQUEST = "customer_request"


# Lower is more urgent: crisis > other vulnerability > dispute > hardship > sentiment > request.
PRIORITY = {reason: rank for rank, reason in enumerate(HandoffReason, start=1)}


async def request_handoff(session: AsyncSession, conversation_id: str, reason: HandoffReason) -> Handoff:
    handoff = await open_handoff(session, conversation_id)
    if handoff is None:
        handoff = Handoff(conversation_id=conversation_id, reason=reason.value, priority=PRIORITY[reason])
        session.add(handoff)
    elif PRIORITY[reason] < handoff.priority:
        handoff.reason, handoff.priority = reason.value, PRIORITY[reason]
    record(
        session, "bot", "handoff_requested", conversation_id=conversation_id, details={"reason": reason.value}
    )
    return handoff


async def open_handoff(session: AsyncSession, conversation_id: str) -> Handoff | None:
    return await session.scalar(
        select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status != "closed")
    )
