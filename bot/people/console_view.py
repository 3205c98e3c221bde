"""What the agent console shows: the queue, and one conversation with everything about it.

Plain dicts ready to send as JSON. Customer text is data here; the console renders it as text.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    Agent,
    Arrangement,
    ArrangementStatus,
    AuditEntry,
    ContactDecision,
    ContactStatus,
    Conversation,
    Customer,
    Direction,
    Handoff,
    HandoffStatus,
    Message,
    MessageStatus,
    Note,
    PlannedContact,
    VulnerabilityFlag,
)
from bot.domain.conversations import sentiment_trend, transcript
from bot.domain.money import Money
from bot.domain.verification import VERIFICATION_ALERT
from bot.i18n import Catalog
from bot.people.handoff import OPEN, can_read, queue

CANNED_PREFIX = "canned_"
# The supervisor view lists this many of the latest conversations, with the assistant or not.
RECENT_CONVERSATIONS = 50
# A customer's panel shows this many of their latest contacts the assistant started or planned.
CONTACTS_SHOWN = 12
AGENT_LOCALE = "en"


async def queue_items(session: AsyncSession, agent: Agent, now: datetime) -> list[dict[str, Any]]:
    """Waiting conversations this agent can read, most urgent first."""
    return [
        await _summary(session, handoff, conversation, now)
        for handoff, conversation in await queue(session)
        if can_read(agent, conversation)
    ]


async def my_conversations(session: AsyncSession, agent: Agent, now: datetime) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Handoff, Conversation)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Handoff.status == HandoffStatus.CLAIMED.value, Handoff.claimed_by_id == agent.id)
        .order_by(Handoff.priority, Handoff.created_at)
    )
    return [await _summary(session, handoff, conversation, now) for handoff, conversation in rows]


async def supervisor_view(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """Every open handoff, the latest conversations, and every agent with what they hold."""
    rows = await session.execute(
        select(Handoff, Conversation)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Handoff.status.in_(OPEN))
        .order_by(Handoff.priority, Handoff.created_at)
    )
    holding = dict(
        (
            await session.execute(
                select(Handoff.claimed_by_id, func.count())
                .where(Handoff.status == HandoffStatus.CLAIMED.value)
                .group_by(Handoff.claimed_by_id)
            )
        ).all()
    )
    agents = await session.scalars(select(Agent).order_by(Agent.username))
    recent = await session.scalars(
        select(Conversation).order_by(Conversation.last_message_at.desc()).limit(RECENT_CONVERSATIONS)
    )
    return {
        "conversations": [await _summary(session, h, c, now) for h, c in rows],
        "recent": [
            {
                "conversation_id": c.id,
                "channel": c.channel,
                "language": c.language,
                "last_message_at": c.last_message_at.isoformat(),
                "sentiment_trend": await sentiment_trend(session, c.id),
            }
            for c in recent
        ],
        "alerts": await _verification_alerts(session, now),
        "undelivered": await _undelivered(session, now),
        "outreach": await _outreach_today(session, now),
        "agents": [
            {
                "username": a.username,
                "name": a.display_name,
                "role": a.role.value,
                "languages": a.languages,
                "active": a.active,
                "holding": holding.get(a.id, 0),
            }
            for a in agents
        ],
    }


async def conversation_view(
    session: AsyncSession, conversation_id: str, agent: Agent, catalog: Catalog, now: datetime
) -> dict[str, Any] | None:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    handoff = await session.scalar(
        select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()).limit(1)
    )
    customer_id = await _customer_of(session, conversation)
    customer = await session.get(Customer, customer_id) if customer_id else None
    notes = await session.scalars(
        select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
    )
    return {
        "conversation": {
            "id": conversation.id,
            "channel": conversation.channel,
            "language": conversation.language,
            "verified": conversation.verified_account_id is not None,
            "sentiment_trend": await sentiment_trend(session, conversation_id),
        },
        "flags": await _flags(session, conversation, customer_id),
        "handoff": _handoff(handoff, agent) if handoff else None,
        "customer": await _customer(session, customer) if customer else None,
        "messages": [message_item(m) for m in await transcript(session, conversation_id, limit=1000)],
        "notes": [
            {"id": n.id, "agent": n.agent.display_name, "text": n.text, "at": n.created_at.isoformat()}
            for n in notes
        ],
        "canned": [
            {
                "key": key,
                "text": catalog.render(key, conversation.language, {"agent": agent.display_name}).text,
            }
            for key in sorted(catalog.keys(catalog.default_language))
            if key.startswith(CANNED_PREFIX)
        ],
    }


async def _customer_of(session: AsyncSession, conversation: Conversation) -> int | None:
    """Who the conversation is with: known by their number, verified now, or whose request it holds
    (verification lasts one session, and a person may look after it has ended)."""
    if conversation.customer_id is not None:
        return conversation.customer_id
    account_id = conversation.verified_account_id or await session.scalar(
        select(Arrangement.account_id)
        .where(Arrangement.conversation_id == conversation.id)
        .order_by(Arrangement.id.desc())
        .limit(1)
    )
    return (
        await session.scalar(select(Account.customer_id).where(Account.id == account_id))
        if account_id
        else None
    )


# Held back on purpose (the customer's choice, a care pause, no consent outside the window):
# not a delivery problem for anyone to chase.
_HELD_BACK = ("opted_out", "paused_for_care", "window_closed_no_opt_in")


async def _undelivered(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Replies of the last day that no provider took, after every retry (dead letters)."""
    rows = await session.scalars(
        select(Message)
        .where(
            Message.direction == Direction.OUTBOUND,
            Message.status == MessageStatus.FAILED,
            Message.created_at >= now - timedelta(days=1),
            Message.error.not_in(_HELD_BACK),
        )
        .order_by(Message.id.desc())
        .limit(RECENT_CONVERSATIONS)
    )
    return [
        {
            "conversation_id": m.conversation_id,
            "channel": m.channel,
            "error": m.error,
            "attempts": m.attempts,
            "at": m.created_at.isoformat(),
        }
        for m in rows
    ]


async def _verification_alerts(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Accounts whose identity checks kept failing from many places in the last day (someone
    may be guessing a customer's birth date): for a person to look at, not a lock."""
    rows = await session.execute(
        select(AuditEntry.at, Account.reference)
        .join(Account, Account.id == AuditEntry.details["account_id"].as_integer())
        .where(AuditEntry.action == VERIFICATION_ALERT, AuditEntry.at >= now - timedelta(days=1))
        .order_by(AuditEntry.at.desc())
    )
    return [{"at": at.isoformat(), "reference": reference} for at, reference in rows]


def message_item(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "sender": message.sender.value,
        "text": message.text,
        "at": message.created_at.isoformat(),
        "status": message.status.value,
        "language": message.detected_language or message.language,
        "sentiment": message.sentiment_label,
        "sentiment_score": message.sentiment_score,
        "cue": message.vulnerability_cue,
    }


async def _summary(
    session: AsyncSession, handoff: Handoff, conversation: Conversation, now: datetime
) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "conversation_id": conversation.id,
        "reason": handoff.reason,
        "priority": handoff.priority,
        "status": handoff.status,
        "claimed_by": handoff.claimed_by.display_name if handoff.claimed_by else None,
        "language": conversation.language,
        "channel": conversation.channel,
        "waiting_seconds": max(0, int((now - handoff.created_at).total_seconds())),
        "sentiment_trend": await sentiment_trend(session, conversation.id),
        "flags": await _flags(session, conversation, conversation.customer_id),
    }


async def _flags(session: AsyncSession, conversation: Conversation, customer_id: int | None) -> list[str]:
    """Noted vulnerabilities (with consent) and any crisis, which needs no consent to act on."""
    owner = VulnerabilityFlag.conversation_id == conversation.id
    if customer_id is not None:
        owner = owner | (VulnerabilityFlag.customer_id == customer_id)
    cues = set(await session.scalars(select(VulnerabilityFlag.cue).where(owner)))
    crisis = await session.scalar(
        select(Message.id).where(
            Message.conversation_id == conversation.id, Message.vulnerability_cue == "suicide_risk"
        )
    )
    return sorted(cues | ({"suicide_risk"} if crisis else set()))


def _handoff(handoff: Handoff, agent: Agent) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "status": handoff.status,
        "reason": handoff.reason,
        "claimed_by": handoff.claimed_by.display_name if handoff.claimed_by else None,
        "mine": handoff.claimed_by_id == agent.id,
        "outcome": handoff.outcome,
    }


async def _customer(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    accounts = list(await session.scalars(select(Account).where(Account.customer_id == customer.id)))
    arrangements = list(
        await session.scalars(
            select(Arrangement)
            .where(Arrangement.account_id.in_([a.id for a in accounts]))
            .order_by(Arrangement.id.desc())
        )
    )
    return {
        "name": customer.full_name,
        "language": customer.language,
        "timezone": customer.timezone,
        "jurisdiction": customer.jurisdiction,
        "care_pause": customer.care_pause,
        "accounts": [
            {
                "id": a.id,
                "reference": a.reference,
                "product": a.product,
                "balance": _money(a.balance_minor, a.currency),
                "overdue": _money(a.overdue_minor, a.currency),
                "due_date": a.due_date.isoformat(),
                "status": a.status.value,
                "collection_paused": a.collection_paused_reason,
            }
            for a in accounts
        ],
        "contacts": await _contacts(session, [a.id for a in accounts]),
        "arrangements": [
            {
                "id": r.id,
                "reference": r.reference,
                "kind": r.kind.value,
                "status": r.status.value,
                "total": _money(r.total_minor, r.currency),
                "currency": r.currency,
                "option": r.details.get("option"),
                "affordable": _money(r.details["affordable_minor"], r.currency)
                if r.details.get("affordable_minor")
                else None,
                "pending_approval": r.status == ArrangementStatus.PENDING_APPROVAL,
            }
            for r in arrangements
        ],
    }


async def _contacts(session: AsyncSession, account_ids: list[int]) -> list[dict[str, Any]]:
    """Contacts the assistant started or plans for these accounts, latest first, each with what
    its latest decision rested on (sent, waiting until when, or skipped and why)."""
    rows = await session.scalars(
        select(PlannedContact)
        .where(PlannedContact.account_id.in_(account_ids))
        .order_by(PlannedContact.due_at.desc())
        .limit(CONTACTS_SHOWN)
    )
    return [
        {
            "kind": row.kind.value,
            "status": row.status.value,
            "at": (row.sent_at or row.due_at).isoformat(),
            "channel": row.channel,
            "rule": row.rule,
        }
        for row in rows
    ]


async def _outreach_today(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """Today's plan: contacts due in the next day by kind, and the last day's decisions by rule."""
    upcoming = await session.execute(
        select(PlannedContact.kind, func.count())
        .where(
            PlannedContact.status == ContactStatus.PLANNED, PlannedContact.due_at <= now + timedelta(days=1)
        )
        .group_by(PlannedContact.kind)
    )
    decided = await session.execute(
        select(ContactDecision.verdict, ContactDecision.rule, func.count())
        .where(ContactDecision.at > now - timedelta(days=1))
        .group_by(ContactDecision.verdict, ContactDecision.rule)
        .order_by(func.count().desc())
    )
    return {
        "upcoming": [{"kind": kind.value, "count": count} for kind, count in upcoming],
        "decided": [{"verdict": verdict, "rule": rule, "count": count} for verdict, rule, count in decided],
    }


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).format(AGENT_LOCALE)
