"""Delivering stored outbound messages to their channel, with retries; nothing is lost on a crash.

A message is stored (status `queued`) before anyone tries to send it. A worker (one per
channel, so a provider that hangs holds up only its own) claims due messages for a short lease,
hands each to its channel's sender and records the outcome: `sent` with the provider's id, a
later retry after a passing failure, or `failed` with the reason after a permanent one. A
provider call ends within SEND_TIMEOUT and the lease is renewed just before it, so no lease runs
out mid-send and no other worker sends the same text. A failure of any kind counts as an
attempt; after MAX_ATTEMPTS the message is `failed` ("dead letter", shown to supervisors). If
the worker dies mid-way the lease runs out and another try picks the message up. Provider
status callbacks then move it to `delivered` or `failed`.
"""

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from bot.channels.base import PermanentFailure, SendingChannel, TransientFailure
from bot.db.engine import Database
from bot.db.models import Conversation, Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain.consent import is_opted_in, is_opted_out, opt_out
from bot.domain.pauses import conversation_care_pause
from bot.gateway.replies import SENT_AFTER_OPT_OUT

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
SEND_TIMEOUT = timedelta(seconds=20)  # well inside the lease
MAX_ATTEMPTS = 8


# Provider delivery states we keep, and what they mean for the stored message.
PROVIDER_STATUS = {
    "queued": MessageStatus.SENT,
    "accepted": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}


class Outbox:
    def __init__(
        self,
        db: Database,
        senders: dict[str, SendingChannel],
        backoff_seconds: list[float] | None = None,
        send_timeout: timedelta = SEND_TIMEOUT,
    ) -> None:
        self.db = db
        self.senders = senders
        self.backoff_seconds = backoff_seconds or [2, 10, 30, 120, 600, 1800]
        self.send_timeout = min(send_timeout, SEND_TIMEOUT)  # never as long as a lease

    async def deliver_due(
        self, now: datetime | None = None, limit: int = 50, channel: str | None = None
    ) -> int:
        """Send what is due (on one channel, or all); returns how many were handed to a provider."""
        now = now or utcnow()
        claimed = await self._claim(now, limit, [channel] if channel else list(self.senders))
        delivered = 0
        for (
            message_id,
            channel,
            address,
            text,
            buttons,
            purpose,
            conversation_id,
            author,
            language,
            lease,
        ) in claimed:
            sender = self.senders[channel]
            try:
                if not await self._renew(message_id, lease, now):
                    continue  # this batch took so long that another worker holds it now
                as_template = sender.allows.window_hours is not None and not await self._window_open(
                    conversation_id, sender, address, now
                )
                if as_template and not await self._opted_in(sender.name, address):
                    await self._finish(message_id, MessageStatus.FAILED, error="window_closed_no_opt_in")
                    continue
                if author == Sender.BOT and await self._paused_for_care(conversation_id):
                    # The assistant's words are about money; a person or a caring note still goes.
                    await self._finish(message_id, MessageStatus.FAILED, error="paused_for_care")
                    continue
                delivered += await self._deliver(
                    message_id, sender, as_template, address, text, buttons, purpose, language, now
                )
            except Exception as error:
                # A bug or surprise with one message must not hold up the others; it counts as an
                # attempt, so it cannot be retried forever.
                log.error("delivering message %d failed unexpectedly: %s", message_id, type(error).__name__)
                await self._retry_later(
                    message_id, TransientFailure(f"unexpected {type(error).__name__}"), now
                )
        return delivered

    async def record_provider_status(
        self, channel: str, provider_id: str, status: str, error: str | None
    ) -> bool:
        """A provider's callback about a message it took; False if we do not know the id."""
        async with self.db.transaction() as session:
            message = await session.scalar(
                select(Message).where(Message.channel == channel, Message.channel_message_id == provider_id)
            )
            if message is None:
                return False
            new_status = PROVIDER_STATUS.get(status)
            # Callbacks can arrive out of order: never step back from delivered or failed.
            if new_status and message.status not in (MessageStatus.DELIVERED, MessageStatus.FAILED):
                message.status = new_status
            if error:
                message.error = error[:200]
            return True

    async def _claim(
        self, now: datetime, limit: int, channels: list[str]
    ) -> list[tuple[int, str, str, str, list, str | None, str, Sender, str, datetime]]:
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(Message, Conversation.channel_user_id, Conversation.language)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Message.direction == Direction.OUTBOUND,
                    Message.status == MessageStatus.QUEUED,
                    Message.channel.in_(channels),
                    or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
                    or_(Message.claimed_until.is_(None), Message.claimed_until < now),
                )
                .order_by(Message.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Message)
            )
            claimed, lease = [], now + LEASE
            for message, address, conversation_language in rows.all():
                # A compare-and-set: on SQLite (no row locks) another process may have read the
                # same rows; only one sets the lease.
                taken = await session.execute(
                    update(Message)
                    .where(
                        Message.id == message.id,
                        Message.status == MessageStatus.QUEUED,
                        or_(Message.claimed_until.is_(None), Message.claimed_until < now),
                    )
                    .values(claimed_until=lease)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount != 1:
                    continue
                claimed.append(
                    (
                        message.id,
                        message.channel,
                        address,
                        message.text,
                        message.buttons or [],
                        message.purpose,
                        message.conversation_id,
                        message.sender,
                        message.language or conversation_language,
                        lease,
                    )
                )
            return claimed

    async def _renew(self, message_id: int, lease: datetime, now: datetime) -> bool:
        """Extend our lease for the send about to start; False if it is no longer ours."""
        renewed = max(utcnow(), now) + LEASE
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Message)
                .where(Message.id == message_id, Message.claimed_until == lease)
                .values(claimed_until=renewed)
            )
        return result.rowcount == 1

    async def _deliver(
        self,
        message_id: int,
        sender: SendingChannel,
        as_template: bool,
        address: str,
        text: str,
        buttons: list[dict[str, str]],
        purpose: str | None,
        language: str,
        now: datetime,
    ) -> int:
        async with self.db.session() as session:
            opted_out = await is_opted_out(session, sender.name, address)
        if opted_out and purpose not in SENT_AFTER_OPT_OUT:
            await self._finish(message_id, MessageStatus.FAILED, error="opted_out")
            return 0
        if as_template:
            sending = sender.send_template(address, text, language)
        else:
            sending = sender.send(address, text, buttons)
        try:
            provider_id = await asyncio.wait_for(sending, self.send_timeout.total_seconds())
        except TimeoutError:
            await self._retry_later(message_id, TransientFailure(f"{sender.name} did not answer"), now)
            return 0
        except TransientFailure as failure:
            await self._retry_later(message_id, failure, now)
            return 0
        except PermanentFailure as failure:
            log.warning("message %d refused by %s: %s", message_id, sender.name, failure.reason)
            await self._finish(message_id, MessageStatus.FAILED, error=failure.reason)
            if failure.unreachable:
                async with self.db.transaction() as session:
                    await opt_out(session, sender.name, address, failure.reason)
            return 0
        await self._finish(message_id, MessageStatus.SENT, provider_id=provider_id)
        return 1

    async def _window_open(
        self, conversation_id: str, sender: SendingChannel, address: str, now: datetime
    ) -> bool:
        """Whether the customer wrote to us within the channel's window."""
        async with self.db.session() as session:
            last = await session.scalar(
                select(func.max(Message.created_at)).where(
                    Message.conversation_id == conversation_id, Message.direction == Direction.INBOUND
                )
            )
        return last is not None and now - last <= timedelta(hours=sender.allows.window_hours)

    async def _paused_for_care(self, conversation_id: str) -> bool:
        async with self.db.session() as session:
            return await conversation_care_pause(session, conversation_id) is not None

    async def _opted_in(self, channel: str, address: str) -> bool:
        async with self.db.session() as session:
            return await is_opted_in(session, channel, address)

    async def _retry_later(self, message_id: int, failure: TransientFailure, now: datetime) -> None:
        async with self.db.transaction() as session:
            message = await session.get(Message, message_id)
            message.attempts += 1
            message.claimed_until = None
            message.error = failure.reason[:200]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
                return
            backoff = self.backoff_seconds
            wait = failure.retry_after or backoff[min(message.attempts, len(backoff)) - 1]
            message.next_attempt_at = now + timedelta(seconds=wait)

    async def _finish(
        self, message_id: int, status: MessageStatus, provider_id: str | None = None, error: str | None = None
    ) -> None:
        async with self.db.transaction() as session:
            message = await session.get(Message, message_id)
            message.status, message.claimed_until = status, None
            if provider_id:
                message.channel_message_id = provider_id
            if error:
                message.error = error
