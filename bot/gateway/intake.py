"""The one way in for every channel: store, deduplicate, ask the assistant, store the replies.

A message is stored before anything else happens to it. If the assistant cannot answer, the
message waits as `pending`, the customer is told kindly once, and `answer_pending` picks it up
when the assistant is back, in the order the customer wrote.
"""

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.engine import Database
from bot.db.models import Agent, Conversation, Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain.conversations import CHOSEN_LANGUAGE_SOURCES, set_language
from bot.domain.policy import CreditorPolicy
from bot.gateway import care
from bot.gateway.assistant import AssistantUnavailable, BotReply, RasaClient
from bot.i18n import Catalog
from bot.people.handoff import bot_is_paused
from bot.understanding import sentiment, vulnerability
from bot.understanding.language import LanguageDetector, next_language

log = logging.getLogger(__name__)

# A message still `received` after this long was being handled by a process that died.
STALLED_AFTER = timedelta(seconds=60)
# A message the live assistant keeps failing on is set aside for a person, not retried forever.
MAX_ERROR_ATTEMPTS = 5


class UnknownConversation(LookupError):
    pass


@dataclass(frozen=True)
class InboundMessage:
    conversation_id: str
    channel: str
    text: str
    channel_message_id: str | None = None
    # What to give the assistant when it differs from what was typed ("2" → a button payload).
    interpreted: str | None = None


# How a channel carries a reply: the parts to store and send, each with its buttons.
Formatter = Callable[[str, list[dict[str, str]]], list[tuple[str, list[dict[str, str]]]]]


def as_is(text: str, buttons: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    return [(text, buttons)]


@dataclass(frozen=True)
class Reading:
    language: str | None
    sentiment_score: float
    sentiment_label: str
    cue: str | None


@dataclass
class Delivery:
    """What became of one inbound message, and what to send back."""

    inbound_id: int
    duplicate: bool = False
    rejected: str | None = None
    replies: list[Message] = field(default_factory=list)
    # Answered by bot.gateway.care instead of the assistant; and whether the assistant must now fall silent.
    cared_for: bool = False
    pause_assistant: bool = False


class Gateway:
    def __init__(
        self,
        db: Database,
        rasa: RasaClient,
        catalog: Catalog,
        max_message_chars: int,
        detector: LanguageDetector,
        policy: CreditorPolicy,
        mood: care.MoodRule,
        formatters: dict[str, Formatter] | None = None,
    ) -> None:
        self.db = db
        self.rasa = rasa
        self.catalog = catalog
        self.detector = detector
        self.policy = policy
        self.mood = mood
        # Called with a conversation's id whenever something is stored in it (the agent console).
        self.listeners: list[Callable[[str], None]] = []
        self.max_message_chars = max_message_chars
        self.formatters = formatters or {}
        # One conversation's messages are answered one at a time, in order. A lock lives only
        # while someone holds or awaits it, so quiet conversations cost no memory.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock

    async def receive(self, inbound: InboundMessage) -> Delivery:
        async with self._lock(inbound.conversation_id):
            try:
                delivery = await self._store(inbound)
            except IntegrityError:  # the same provider message raced in from another process
                delivery = await self._existing(inbound)
            if not delivery.duplicate:
                self._changed(inbound.conversation_id)
            if delivery.pause_assistant:
                await self.pause_assistant(inbound.conversation_id)
            if delivery.duplicate or delivery.rejected or delivery.cared_for:
                return delivery
            delivery.replies = await self._answer_waiting(inbound.conversation_id)
            self._changed(inbound.conversation_id)
            return delivery

    async def send_as_person(self, conversation_id: str, agent: Agent, text: str) -> list[Message]:
        """An agent's reply, stored for delivery on the customer's own channel."""
        async with self._lock(conversation_id), self.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            stored = self._outbound(conversation, None, Sender.AGENT, text, [])
            for message in stored:
                message.agent_id = agent.id
            session.add_all(stored)
            record(session, agent.username, "agent_replied", conversation_id=conversation_id)
        self._changed(conversation_id)
        return stored

    async def send_notice(
        self, conversation_id: str, key: str, values: dict[str, object] | None = None
    ) -> list[Message]:
        """A message from locales to the customer, outside the assistant (a person joined, a decision)."""
        async with self._lock(conversation_id), self.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            stored = self._rendered(conversation, None, key, values or {})
            session.add_all(stored)
        self._changed(conversation_id)
        return stored

    def _changed(self, conversation_id: str) -> None:
        for listener in self.listeners:
            listener(conversation_id)

    async def pause_assistant(self, conversation_id: str) -> None:
        """Silence Rasa in this conversation: a person has it (or is about to)."""
        try:
            await self.rasa.pause(conversation_id)
        except AssistantUnavailable as error:  # the gateway keeps it silent meanwhile (_answer_waiting)
            log.warning("could not pause the assistant (%s); the gateway holds its replies", error)

    async def reply_directly(
        self, inbound: InboundMessage, key: str, values: dict[str, object], purpose: str | None = None
    ) -> Delivery:
        """Answer from locales without the assistant (SMS keywords such as STOP and HELP)."""
        async with self._lock(inbound.conversation_id):
            try:
                delivery = await self._store(inbound)
            except IntegrityError:
                return await self._existing(inbound)
            if delivery.duplicate or delivery.rejected:
                return delivery
            async with self.db.transaction() as session:
                conversation = await session.get(Conversation, inbound.conversation_id)
                rendered = self.catalog.render(key, conversation.language, values)
                replies = self._outbound(
                    conversation, delivery.inbound_id, Sender.SYSTEM, rendered.text, [], purpose
                )
                session.add_all(replies)
                await _set_status(session, [delivery.inbound_id], MessageStatus.ANSWERED)
            delivery.replies = replies
            return delivery

    async def record_rejected(self, conversation_id: str, channel: str, raw: str, reason: str) -> int:
        """Keep what a client sent that we could not accept, so nothing is silently lost."""
        async with self.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            message = Message(
                conversation_id=conversation_id,
                direction=Direction.INBOUND,
                sender=Sender.CUSTOMER,
                channel=channel,
                text=raw,
                status=MessageStatus.REJECTED,
                error=reason[:200],
                language=conversation.language,
            )
            session.add(message)
            await session.flush()
            return message.id

    async def answer_pending(self) -> dict[str, list[Message]]:
        """Answer every message that is waiting; returns the new replies per conversation."""
        async with self.db.session() as session:
            conversation_ids = await session.scalars(
                select(Message.conversation_id).where(_waiting(utcnow())).distinct()
            )
            conversation_ids = list(conversation_ids)
        answered: dict[str, list[Message]] = {}
        for conversation_id in conversation_ids:
            async with self._lock(conversation_id):
                replies = await self._answer_waiting(conversation_id, include_fresh=False)
            if replies:
                answered[conversation_id] = replies
        return answered

    async def _store(self, inbound: InboundMessage) -> Delivery:
        too_long = len(inbound.text) > self.max_message_chars
        # Off the event loop and before the transaction, so neither waits on the classifiers.
        reading = await asyncio.to_thread(self._read, inbound, too_long)
        async with self.db.transaction() as session:
            conversation = await session.get(Conversation, inbound.conversation_id)
            if conversation is None:
                raise UnknownConversation(inbound.conversation_id)
            if inbound.channel_message_id and (existing := await _find(session, inbound)):
                return Delivery(existing.id, duplicate=True, replies=await _replies_to(session, existing.id))
            await self._follow_language(session, conversation, reading.language)
            message = Message(
                conversation_id=conversation.id,
                direction=Direction.INBOUND,
                sender=Sender.CUSTOMER,
                channel=inbound.channel,
                channel_message_id=inbound.channel_message_id,
                text=inbound.text,
                interpreted=inbound.interpreted,
                status=MessageStatus.REJECTED if too_long else MessageStatus.RECEIVED,
                error="too_long" if too_long else None,
                language=conversation.language,
                detected_language=reading.language,
                sentiment_score=reading.sentiment_score,
                sentiment_label=reading.sentiment_label,
                vulnerability_cue=reading.cue,
            )
            session.add(message)
            conversation.last_message_at = now = utcnow()
            await session.flush()
            if too_long:
                return Delivery(message.id, rejected="too_long")
            reply = await care.respond(
                session, conversation, message, self.catalog, self.policy, self.mood, now
            )
            if reply is None or not reply.responses:
                return Delivery(message.id, pause_assistant=bool(reply and reply.pause_assistant))
            replies = [
                part
                for key, values in reply.responses
                for part in self._rendered(conversation, message.id, key, values)
            ]
            session.add_all(replies)
            message.status = MessageStatus.ANSWERED
            return Delivery(
                message.id, replies=replies, cared_for=True, pause_assistant=reply.pause_assistant
            )

    def _read(self, inbound: InboundMessage, too_long: bool) -> "Reading":
        """Language, feeling and any vulnerability cue of what the customer wrote.

        What they typed, not a button they pressed (a payload such as "/check_balance", which
        the web chat sends as text), tells their language, mood and any cue.
        """
        pressed = bool(inbound.interpreted) or inbound.text.startswith("/")
        typed = not (too_long or pressed)
        score, label = (0.0, sentiment.NEUTRAL) if pressed else sentiment.score(inbound.text)
        return Reading(
            language=self.detector.detect(inbound.text) if typed else None,
            sentiment_score=score,
            sentiment_label=label,
            cue=vulnerability.detect(inbound.text) if typed else None,
        )

    def _rendered(
        self, conversation: Conversation, reply_to_id: int | None, key: str, values: dict[str, object]
    ) -> list[Message]:
        rendered = self.catalog.render(key, conversation.language, values)
        buttons = [{"title": b.title, "payload": b.payload} for b in rendered.buttons]
        return self._outbound(conversation, reply_to_id, Sender.SYSTEM, rendered.text, buttons)

    async def _follow_language(
        self, session: AsyncSession, conversation: Conversation, detected: str | None
    ) -> None:
        """Switch the conversation to the language the customer writes in, when sure (bot.understanding.language)."""
        if detected is None or detected == conversation.language:
            return
        previous = await session.scalar(
            select(Message.detected_language)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == Direction.INBOUND,
                Message.status != MessageStatus.REJECTED,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        first_message = previous is None and not await session.scalar(
            select(Message.id)
            .where(Message.conversation_id == conversation.id, Message.direction == Direction.INBOUND)
            .limit(1)
        )
        switch_to = next_language(
            conversation.language,
            detected,
            previous,
            first_message=first_message,
            chosen=conversation.language_source in CHOSEN_LANGUAGE_SOURCES,
        )
        if switch_to is not None:
            await set_language(session, conversation.id, switch_to, source="detected")

    async def _existing(self, inbound: InboundMessage) -> Delivery:
        async with self.db.session() as session:
            existing = await _find(session, inbound)
            return Delivery(existing.id, duplicate=True, replies=await _replies_to(session, existing.id))

    async def _answer_waiting(self, conversation_id: str, include_fresh: bool = True) -> list[Message]:
        async with self.db.session() as session:
            conversation = await session.get(Conversation, conversation_id)
            statuses = [MessageStatus.PENDING, MessageStatus.RECEIVED]
            waiting = list(
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == conversation_id, Message.status.in_(statuses))
                    .order_by(Message.id)
                )
            )
            paused = await bot_is_paused(session, conversation_id)
        if paused:
            await self._leave_to_person(conversation, waiting)
            return []
        if not include_fresh and not any(m.status == MessageStatus.PENDING for m in waiting):
            waiting = [m for m in waiting if m.created_at < utcnow() - STALLED_AFTER]
        replies: list[Message] = []
        already_told = any(m.status == MessageStatus.PENDING for m in waiting)
        for index, message in enumerate(waiting):
            try:
                said = message.interpreted or message.text
                bot_replies = await self.rasa.send(conversation_id, said, _metadata(conversation))
            except AssistantUnavailable as error:
                log.warning("assistant unavailable (%s); %d message(s) wait", error, len(waiting) - index)
                replies += await self._hold(
                    conversation, waiting[index:], tell_customer=not already_told, failed=error.reachable
                )
                break
            replies += await self._store_replies(conversation, message, bot_replies)
        return replies

    async def _leave_to_person(self, conversation: Conversation, waiting: list[Message]) -> None:
        """A person has the conversation: the paused assistant only records what was said."""
        for message in waiting:
            try:
                said = await self.rasa.send(
                    conversation.id, message.interpreted or message.text, _metadata(conversation)
                )
            except AssistantUnavailable as error:
                log.info("the paused assistant did not record a message (%s)", error)
                said = []
            if said:  # session expiry un-pauses Rasa; actions/session.py re-pauses, and this holds meanwhile
                log.warning("the assistant answered during a handoff; its replies were held back")
        async with self.db.transaction() as session:
            await _set_status(session, [m.id for m in waiting], MessageStatus.WITH_PERSON)

    async def _store_replies(
        self, conversation: Conversation, inbound: Message, bot_replies: list[BotReply]
    ) -> list[Message]:
        async with self.db.transaction() as session:
            stored = [
                part
                for reply in bot_replies
                for part in self._outbound(conversation, inbound.id, Sender.BOT, reply.text, reply.buttons)
            ]
            session.add_all(stored)
            await _set_status(session, [inbound.id], MessageStatus.ANSWERED)
        return stored

    async def _hold(
        self, conversation: Conversation, waiting: list[Message], tell_customer: bool, failed: bool
    ) -> list[Message]:
        async with self.db.transaction() as session:
            await _set_status(session, [m.id for m in waiting], MessageStatus.PENDING)
            if failed:
                first = await session.get(Message, waiting[0].id)
                first.attempts += 1
                if first.attempts >= MAX_ERROR_ATTEMPTS:
                    first.status, first.error = MessageStatus.FAILED, "assistant_error"
            if not tell_customer:
                return []
            notice = self.catalog.render("gateway_delayed", conversation.language)
            stored = self._outbound(conversation, waiting[0].id, Sender.SYSTEM, notice.text, [])
            session.add_all(stored)
        return stored

    def _outbound(
        self,
        conversation: Conversation,
        reply_to_id: int | None,
        sender: Sender,
        text: str,
        buttons: list[dict[str, str]],
        purpose: str | None = None,
    ) -> list[Message]:
        """The stored outbound messages for one reply: exactly the parts the channel will send."""
        formatter = self.formatters.get(conversation.channel, as_is)
        return [
            Message(
                conversation_id=conversation.id,
                direction=Direction.OUTBOUND,
                sender=sender,
                channel=conversation.channel,
                text=part,
                buttons=part_buttons or None,
                status=MessageStatus.QUEUED,
                language=conversation.language,
                reply_to_id=reply_to_id,
                purpose=purpose,
                created_at=utcnow(),
            )
            for part, part_buttons in formatter(text, buttons)
        ]


def _metadata(conversation: Conversation) -> dict[str, object]:
    return {
        "channel": conversation.channel,
        "conversation_id": conversation.id,
        "language": conversation.language,
        "customer_id": conversation.customer_id,
    }


def _waiting(now: datetime):
    stalled = (Message.status == MessageStatus.RECEIVED) & (Message.created_at < now - STALLED_AFTER)
    return (Message.status == MessageStatus.PENDING) | stalled


async def _find(session: AsyncSession, inbound: InboundMessage) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.channel == inbound.channel,
            Message.channel_message_id == inbound.channel_message_id,
        )
    )


async def _replies_to(session: AsyncSession, message_id: int) -> list[Message]:
    return list(
        await session.scalars(select(Message).where(Message.reply_to_id == message_id).order_by(Message.id))
    )


async def _set_status(session: AsyncSession, ids: list[int], status: MessageStatus) -> None:
    for message in await session.scalars(select(Message).where(Message.id.in_(ids))):
        message.status = status
