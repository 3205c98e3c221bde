"""The outreach scheduler: plans contacts, and sends each when the contact policy allows.

Planned contacts are rows (bot.outreach.cadence). A worker claims due rows for a short lease
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so many workers can run; SQLite has one writer), then,
for each in its own transaction with the row locked and re-read, asks whether the occasion still
holds and what the policy says now. A contact that may go is stored as the outbound message the
outbox delivers, in the same transaction that marks it sent: nothing is sent twice and, if a
worker dies, its lease runs out and another picks the row up. Every decision is kept
(ContactDecision): sent, deferred until when, or skipped and why.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import SendingChannel
from bot.db.audit import record
from bot.db.engine import Database
from bot.db.models import (
    Account,
    ContactDecision,
    ContactStatus,
    Customer,
    PlannedContact,
    Sender,
)
from bot.db.types import utcnow
from bot.domain.conversations import conversation_for_address
from bot.domain.policy import CreditorPolicy
from bot.gateway.replies import Purpose, Replies
from bot.outreach import cadence, facts
from bot.outreach.contact_policy import ContactRules, Decision, Verdict, decide, load_rules

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
# Occasions are whole days in the customer's time, planned up to a day ahead: planning every few
# hours misses none (a contact due the day after an account falls past due is planned in time).
PLAN_EVERY = timedelta(hours=3)


@dataclass(frozen=True)
class Outcome:
    """What became of one planned contact in one pass."""

    planned_id: int
    verdict: Verdict
    rule: str
    channel: str | None = None
    not_before: datetime | None = None


class Scheduler:
    def __init__(
        self,
        db: Database,
        policy: CreditorPolicy,
        replies: Replies,
        senders: dict[str, SendingChannel],
        channels: list[str],
        whatsapp_templates: dict[str, str],
        on_sent: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.policy = policy
        self.replies = replies
        self.senders = senders
        self.channels = channels  # switched on for outreach, in order of preference
        self.templates = whatsapp_templates
        self.rules: ContactRules = load_rules(policy.outreach.caps, policy.outreach.hours)
        self.on_sent = on_sent  # wakes the outbox

    async def run_forever(self, poll_seconds: float) -> None:
        """Plan every PLAN_EVERY and send every `poll_seconds`, until cancelled; a failed pass is
        tried again."""
        planned_at = None
        while True:
            try:
                if planned_at is None or utcnow() - planned_at >= PLAN_EVERY:
                    await self.plan()
                    planned_at = utcnow()
                await self.send_due()
            except Exception:
                log.exception("an outreach pass failed; will try again")
            await asyncio.sleep(poll_seconds)

    async def plan(self, now: datetime | None = None) -> list[Outcome]:
        """Plan what the cadence names and ask the policy about each new contact once: one that
        could never go is skipped now, one that must wait is moved to when it may go."""
        now = now or utcnow()
        async with self.db.transaction() as session:
            planned = await cadence.plan(session, now, self.policy.outreach.cadence)
        outcomes = []
        for planned_id in planned:
            async with self.db.transaction() as session:
                row = await session.get(PlannedContact, planned_id)
                outcomes.append(await self._consider(session, row, max(now, row.due_at), send=False))
        return outcomes

    async def send_due(self, now: datetime | None = None, limit: int = 100) -> list[Outcome]:
        """Send (to the outbox) every planned contact that is due and allowed now."""
        now = now or utcnow()
        outcomes = []
        for planned_id, lease in await self._claim(now, limit):
            async with self.db.transaction() as session:
                # Taking the row back from our lease first locks it (a row lock on PostgreSQL, the
                # write lock on SQLite) until this transaction ends; if it is no longer ours
                # (another worker took it after our lease ran out), leave it.
                ours = await session.execute(
                    update(PlannedContact)
                    .where(
                        PlannedContact.id == planned_id,
                        PlannedContact.status == ContactStatus.PLANNED,
                        PlannedContact.claimed_until == lease,
                    )
                    .values(claimed_until=None)
                )
                if ours.rowcount != 1:
                    continue
                row = await session.get(PlannedContact, planned_id)
                outcomes.append(await self._consider(session, row, now, send=True))
        if any(outcome.verdict == Verdict.SEND for outcome in outcomes):
            self.on_sent()
        return outcomes

    async def next_due(self) -> datetime | None:
        """When the earliest planned contact falls due (None: nothing is planned)."""
        async with self.db.session() as session:
            return await session.scalar(
                select(func.min(PlannedContact.due_at)).where(PlannedContact.status == ContactStatus.PLANNED)
            )

    async def _claim(self, now: datetime, limit: int) -> list[tuple[int, datetime]]:
        """Due rows nobody holds, each taken with a compare-and-set: on SQLite (no row locks) two
        workers may see the same rows, but only one sets the lease."""
        lease = now + LEASE
        async with self.db.transaction() as session:
            due = await session.scalars(
                select(PlannedContact.id)
                .where(
                    PlannedContact.status == ContactStatus.PLANNED,
                    PlannedContact.due_at <= now,
                    or_(PlannedContact.claimed_until.is_(None), PlannedContact.claimed_until < now),
                )
                .order_by(PlannedContact.due_at, PlannedContact.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for planned_id in list(due):
                taken = await session.execute(
                    update(PlannedContact)
                    .where(
                        PlannedContact.id == planned_id,
                        PlannedContact.status == ContactStatus.PLANNED,
                        or_(PlannedContact.claimed_until.is_(None), PlannedContact.claimed_until < now),
                    )
                    .values(claimed_until=lease)
                )
                if taken.rowcount == 1:
                    claimed.append((planned_id, lease))
            return claimed

    async def _consider(
        self, session: AsyncSession, row: PlannedContact, at: datetime, send: bool
    ) -> Outcome:
        account, customer = (
            await session.execute(
                select(Account, Customer)
                .join(Customer, Customer.id == Account.customer_id)
                .where(Account.id == row.account_id)
            )
        ).one()
        if at > row.expires_at:
            return self._skip(session, row, at, "expired")
        if not await cadence.still_holds(session, row):
            return self._skip(session, row, at, "no_longer_applies")
        recipient = await facts.recipient(session, customer, account)
        ledger = await facts.ledger(session, account.id, at)
        routes = await facts.routes(session, customer, self.senders, self.channels, self.templates, at)
        if not routes:
            return self._skip(session, row, at, "channel.none_configured")
        decisions = [(route, decide(recipient, route.state, at, ledger, self.rules)) for route in routes]
        allowed = next(((route, d) for route, d in decisions if d.verdict == Verdict.SEND), None)
        if allowed is not None:
            route, decision = allowed
            if not send:  # planning: it may go at its time
                return self._log(session, row, at, Decision(Verdict.PLANNED, decision.rule), route.state.name)
            await self._enqueue(session, row, customer, route, at)
            return self._log(session, row, at, decision, route.state.name)
        waiting = [(route, d) for route, d in decisions if d.verdict == Verdict.DEFER]
        if waiting:
            route, decision = min(waiting, key=lambda pair: pair[1].not_before)
            if decision.not_before > row.expires_at:
                return self._skip(session, row, at, f"{decision.rule}.until_expired")
            row.due_at = decision.not_before
            return self._log(session, row, at, decision, route.state.name)
        return self._skip(session, row, at, "; ".join(dict.fromkeys(d.rule for _, d in decisions)))

    async def _enqueue(
        self, session: AsyncSession, row: PlannedContact, customer: Customer, route: facts.Route, at: datetime
    ) -> None:
        conversation = await conversation_for_address(
            session, route.state.name, route.address, customer.language, customer.id
        )
        values = {"creditor": self.policy.name, "stop": self.replies.commands(conversation)["stop"]}
        messages = self.replies.rendered(
            conversation, None, f"outreach_{row.kind.value}", values, Purpose.OUTREACH, Sender.BOT
        )
        session.add_all(messages)
        await session.flush()
        row.status, row.channel, row.message_id, row.sent_at = (
            ContactStatus.SENT,
            route.state.name,
            messages[0].id,
            at,
        )
        record(
            session,
            "outreach",
            "contact_sent",
            conversation_id=conversation.id,
            customer_id=customer.id,
            details={"kind": row.kind.value, "channel": route.state.name, "planned_contact_id": row.id},
        )

    def _log(
        self,
        session: AsyncSession,
        row: PlannedContact,
        at: datetime,
        decision: Decision,
        channel: str | None,
    ) -> Outcome:
        row.rule = decision.rule
        session.add(
            ContactDecision(
                planned_contact_id=row.id,
                at=at,
                verdict=decision.verdict.value,
                rule=decision.rule[:160],
                channel=channel,
                not_before=decision.not_before,
            )
        )
        return Outcome(row.id, decision.verdict, decision.rule, channel, decision.not_before)

    def _skip(self, session: AsyncSession, row: PlannedContact, at: datetime, rule: str) -> Outcome:
        row.status = ContactStatus.SKIPPED
        return self._log(session, row, at, Decision(Verdict.NEVER, rule[:160]), None)
