"""Handing a conversation to a person: the queue, claiming, and handing back.

One open handoff per conversation, at the most urgent reason given. While it is open and
`bot_paused`, the assistant stays silent (bot.gateway.intake) and a person answers from the console.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.creditor.events import emit
from bot.db.audit import record
from bot.db.models import Account, Agent, Conversation, Customer, EventKind, Handoff, HandoffStatus
from bot.db.types import utcnow
from bot.domain.policy import StaffedHours
from bot.i18n import format_weekday_and_time, formatting_locale


class HandoffReason(StrEnum):
    CRISIS = "crisis"
    VULNERABILITY = "vulnerability"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    CUSTOMER_REQUEST = "customer_request"
    NOT_UNDERSTOOD = "not_understood"


# Lower is more urgent: crisis > other vulnerability > dispute > hardship > sentiment > request.
PRIORITY = {reason: rank for rank, reason in enumerate(HandoffReason, start=1)}
OPEN = (HandoffStatus.REQUESTED.value, HandoffStatus.CLAIMED.value)


class HandoffConflict(Exception):
    """The handoff is not in a state that allows this (already claimed, already ended)."""


async def request_handoff(
    session: AsyncSession, conversation_id: str, reason: HandoffReason, pause_bot: bool = True
) -> Handoff:
    """Queue the conversation for a person (or raise the urgency of its open request).

    `pause_bot`: the assistant falls silent now; a hardship review waits without pausing it.
    """
    handoff = await open_handoff(session, conversation_id)
    if handoff is None:
        handoff = Handoff(
            conversation_id=conversation_id,
            reason=reason.value,
            priority=PRIORITY[reason],
            bot_paused=pause_bot,
            status=HandoffStatus.REQUESTED.value,
        )
        session.add(handoff)
    else:
        if PRIORITY[reason] < handoff.priority:
            handoff.reason, handoff.priority = reason.value, PRIORITY[reason]
        handoff.bot_paused = handoff.bot_paused or pause_bot
    await session.flush()
    record(
        session, "bot", "handoff_requested", conversation_id=conversation_id, details={"reason": reason.value}
    )
    await _tell_creditor(session, handoff, EventKind.HANDOFF_REQUESTED)
    return handoff


async def _tell_creditor(session: AsyncSession, handoff: Handoff, kind: EventKind) -> None:
    """The creditor hears of handoffs about an account whose owner proved who they are; an
    unidentified visitor is nobody the creditor could look up."""
    conversation = await session.get(Conversation, handoff.conversation_id)
    if conversation is None or conversation.verified_account_id is None:
        return
    account = await session.get(Account, conversation.verified_account_id)
    emit(
        session,
        kind,
        account,
        handoff=handoff.id,
        reason=handoff.reason,
        status=handoff.status,
        outcome=handoff.outcome,
        channel=conversation.channel,
    )


async def open_handoff(session: AsyncSession, conversation_id: str) -> Handoff | None:
    return await session.scalar(
        select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN))
    )


async def bot_is_paused(session: AsyncSession, conversation_id: str) -> bool:
    """Whether a person has (or is about to take) the conversation, so the assistant is silent."""
    return bool(
        await session.scalar(
            select(Handoff.id).where(
                Handoff.conversation_id == conversation_id,
                Handoff.status.in_(OPEN),
                Handoff.bot_paused.is_(True),
            )
        )
    )


async def queue(session: AsyncSession) -> list[tuple[Handoff, Conversation]]:
    """Waiting conversations, most urgent first and first come first within a priority."""
    rows = await session.execute(
        select(Handoff, Conversation)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Handoff.status == HandoffStatus.REQUESTED.value)
        .order_by(Handoff.priority, Handoff.created_at, Handoff.id)
    )
    return [(handoff, conversation) for handoff, conversation in rows]


def can_read(agent: Agent, conversation: Conversation) -> bool:
    """Agents are offered conversations in the languages they read (a reader of hi reads hi-Latn:
    the language, BCP 47's first subtag, whatever the script); supervisors see all."""
    read = agent.languages or []
    return (
        agent.role != "agent" or conversation.language in read or conversation.language.split("-")[0] in read
    )


async def claim(session: AsyncSession, handoff_id: int, agent: Agent) -> Handoff:
    """Take a waiting conversation. Atomic: when two agents claim at once, exactly one gets it."""
    claimed = await session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.REQUESTED.value)
        .values(
            status=HandoffStatus.CLAIMED.value, claimed_by_id=agent.id, claimed_at=utcnow(), bot_paused=True
        )
    )
    if claimed.rowcount != 1:
        raise HandoffConflict("someone else has already taken this conversation")
    handoff = await session.get(Handoff, handoff_id, populate_existing=True)
    record(session, agent.username, "handoff_claimed", conversation_id=handoff.conversation_id)
    return handoff


async def end(
    session: AsyncSession, handoff: Handoff, agent: Agent, status: HandoffStatus, outcome: str
) -> None:
    """Hand back to the assistant (RETURNED) or close (CLOSED), with the outcome."""
    if handoff.status not in OPEN:
        raise HandoffConflict("this conversation is no longer with a person")
    handoff.status, handoff.outcome, handoff.ended_at = status.value, outcome, utcnow()
    record(
        session,
        agent.username,
        f"handoff_{status.value}",
        conversation_id=handoff.conversation_id,
        details={"outcome": outcome},
    )
    await _tell_creditor(session, handoff, EventKind.HANDOFF_ENDED)


async def end_by_customer(session: AsyncSession, handoff: Handoff, outcome: str) -> None:
    """The customer ended the wait: took the assistant back (returned), or said it is the wrong
    person or opted out (closed)."""
    status = HandoffStatus.RETURNED if outcome == "customer_resumed" else HandoffStatus.CLOSED
    handoff.status, handoff.outcome, handoff.ended_at = status.value, outcome, utcnow()
    record(
        session,
        "customer",
        f"handoff_{status.value}",
        conversation_id=handoff.conversation_id,
        details={"outcome": outcome},
    )
    await _tell_creditor(session, handoff, EventKind.HANDOFF_ENDED)


@dataclass(frozen=True)
class Notice:
    """What to tell a customer waiting for a person: a response key and its values."""

    key: str
    values: dict[str, str]


def waiting_notice(hours: StaffedHours, now: datetime, locale: str, timezone: str | None) -> Notice:
    """A person will reply soon, or, outside staffed hours, from when (in the customer's time)."""
    opening = hours.next_opening(now)
    if opening is None:
        return Notice("utter_handoff_requested", {})
    zone = ZoneInfo(timezone or hours.timezone)
    return Notice("utter_handoff_after_hours", {"opens_at": format_weekday_and_time(opening, zone, locale)})


async def waiting_notice_for(
    session: AsyncSession, conversation: Conversation, hours: StaffedHours, now: datetime
) -> Notice:
    """`waiting_notice` in the conversation's language and, when we know them, the customer's time."""
    customer = await session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    if customer is None:
        return waiting_notice(hours, now, conversation.language, None)
    return waiting_notice(
        hours, now, formatting_locale(conversation.language, customer.locale), customer.timezone
    )
