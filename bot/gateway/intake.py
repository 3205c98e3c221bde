"""The one way in for every channel: store, deduplicate, read, then the customer's state decides.

A message is stored before anything else happens to it. `CustomerState` then decides what its
state allows (a keyword, an opt-out, care, a waiting person); what is left is the assistant's turn
(bot.gateway.turn). One conversation's messages are handled one at a time, in order.
"""

import asyncio
import json
import logging
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Channel, Incoming
from bot.channels.text_parts import chosen_option
from bot.db.audit import record
from bot.db.engine import Database
from bot.db.models import Agent, Conversation, Customer, Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain.accounts import customer_with_phone, e164
from bot.domain.conversations import (
    CHOSEN_LANGUAGE_SOURCES,
    conversation_for_address,
    latest_purpose,
    recent_buttons,
    set_language,
)
from bot.domain.policy import CreditorPolicy
from bot.gateway import care
from bot.gateway.assistant import AssistantUnavailable, RasaClient
from bot.gateway.coordination import LocalCoordination
from bot.gateway.customer_state import CustomerState, Decision, Timing
from bot.gateway.replies import Purpose, Replies
from bot.gateway.turn import AssistantTurn, as_words
from bot.i18n import Catalog
from bot.understanding import sentiment, vulnerability
from bot.understanding.dates import date_alone
from bot.understanding.language import SURE, LanguageDetector, next_language

log = logging.getLogger(__name__)
# How far back a pressed button's payload is looked for: the web chat lets a customer press
# an earlier message's option too.
OFFERS_KEPT = 20


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
    # A channel's own command for STOP, START or HELP (Telegram's /stop), if it sent one.
    keyword: str | None = None


@dataclass(frozen=True)
class Reading:
    language: str | None
    language_sure: bool  # sure enough for one message to overturn a guess (bot.understanding.language.SURE)
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
        timing: Timing,
        channels: dict[str, Channel] | None = None,
        coordination: LocalCoordination | None = None,
    ) -> None:
        self.db = db
        self.rasa = rasa
        self.catalog = catalog
        self.detector = detector
        self.replies = Replies(catalog, channels or {})
        self.state = CustomerState(db, catalog, self.replies, policy, mood, timing, self._read_intent)
        self.turn = AssistantTurn(db, rasa, self.replies, self.state)
        self.max_message_chars = max_message_chars
        # One conversation's messages are answered one at a time, in order, across processes;
        # "conversation" news goes out whenever something is stored in one (console, web tabs).
        self.coordination = coordination or LocalCoordination()

    async def receive(self, inbound: InboundMessage) -> Delivery:
        async with self.coordination.turn(inbound.conversation_id):
            inbound = await self._option_typed(inbound)
            try:
                delivery, decision = await self._store(inbound)
            except IntegrityError:  # the same provider message raced in from another process
                delivery, decision = await self._existing(inbound), None
            if delivery.duplicate or delivery.rejected:
                return delivery
            await self._changed(inbound.conversation_id)
            if decision is None:
                decision = await self.state.decide_with_intent(delivery.inbound_id, as_words(inbound.text))
            delivery.replies = decision.replies
            if decision.pause_assistant:
                await self.pause_assistant(inbound.conversation_id)
            if decision.resume_assistant:
                await self._resume_assistant(inbound.conversation_id)
            if decision.to_assistant:
                delivery.replies += await self.turn.answer_waiting(inbound.conversation_id)
            await self._changed(inbound.conversation_id)
            return delivery

    async def receive_from(
        self, channel: Channel, incoming: Incoming, customer_id: int | None = None
    ) -> Delivery:
        """A message from a provider's channel: the ongoing conversation with that address (or a
        new one), the customer it belongs to when the channel says (a known phone number, a
        signed deep link: possession, not identity), then `receive`.
        """
        async with self.db.transaction() as session:
            address = incoming.address
            customer = None
            if channel.allows.phone_numbers:
                address = e164(address) or address
                customer = await customer_with_phone(session, address)
            elif customer_id is not None:
                customer = await session.get(Customer, customer_id)
            app_language = incoming.app_language if self.catalog.supports(incoming.app_language) else None
            guess = customer.language if customer else app_language
            conversation = await conversation_for_address(
                session,
                channel.name,
                address,
                self.catalog.resolve_language(guess),
                customer.id if customer else None,
                language_source="profile" if customer else (channel.name if app_language else "default"),
            )
            if customer_id is not None and customer is not None and conversation.customer_id != customer.id:
                conversation.customer_id = customer.id
                await set_language(
                    session, conversation.id, self.catalog.resolve_language(customer.language), "profile"
                )
            text, interpreted = incoming.text, incoming.interpreted
            if interpreted is not None and incoming.keyword is None:
                # A tapped button is on record as the customer saw it, its payload for the assistant.
                buttons = await recent_buttons(session, conversation.id, messages=3)
                shown = next((b["title"] for b in buttons if b["payload"] == interpreted), None)
                text, interpreted = (shown, interpreted) if shown else (text, None)
        delivery = await self.receive(
            InboundMessage(
                conversation.id,
                channel.name,
                text,
                incoming.channel_message_id,
                interpreted=interpreted,
                keyword=incoming.keyword,
            )
        )
        if delivery.rejected == "too_long" and not delivery.duplicate:
            # Said in the customer's language, as the web chat says it in its error frame.
            delivery.replies = await self.send_notice(
                conversation.id, "error_message_too_long", {"limit": self.max_message_chars}
            )
        return delivery

    async def _option_typed(self, inbound: InboundMessage) -> InboundMessage:
        """ "2", or an option's own words, typed in answer to the latest options: that option's
        payload for the assistant, on every channel."""
        if inbound.interpreted is not None or inbound.keyword is not None:
            return inbound
        async with self.db.session() as session:
            if inbound.text.startswith("/"):  # a button the web chat sends as its payload
                offered = await recent_buttons(session, inbound.conversation_id, messages=OFFERS_KEPT)
                pressed = inbound.text in {button["payload"] for button in offered}
                return replace(inbound, interpreted=inbound.text) if pressed else inbound
            buttons = await recent_buttons(session, inbound.conversation_id, messages=1)
            if picked := chosen_option(inbound.text, buttons):
                return replace(inbound, interpreted=picked)
            if await latest_purpose(session, inbound.conversation_id) == Purpose.OUTREACH:
                conversation = await session.get(Conversation, inbound.conversation_id)
                when = date_alone(inbound.text, conversation.language, utcnow().date(), self.catalog)
                if when is not None:
                    # "Next Friday" in answer to a reminder the assistant started (which the
                    # assistant's own history does not hold): a payment on that day. The words go
                    # as said; the request reads them once it knows whose account it is.
                    return replace(
                        inbound, interpreted="/request_extension" + json.dumps({"date": inbound.text})
                    )
        return inbound

    async def answer_pending(self) -> dict[str, list[Message]]:
        """Answer every message that is waiting; returns the new replies per conversation."""
        answered: dict[str, list[Message]] = {}
        for conversation_id in await self.turn.pending_conversations():
            async with self.coordination.turn(conversation_id):
                replies = await self.turn.answer_waiting(conversation_id, include_fresh=False)
            if replies:
                answered[conversation_id] = replies
                await self._changed(conversation_id)
        return answered

    async def send_as_person(self, conversation_id: str, agent: Agent, text: str) -> list[Message]:
        """An agent's reply, stored for delivery on the customer's own channel."""
        async with self.coordination.turn(conversation_id), self.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            stored = self.replies.text(conversation, None, Sender.AGENT, text, [])
            for message in stored:
                message.agent_id = agent.id
            session.add_all(stored)
            record(session, agent.username, "agent_replied", conversation_id=conversation_id)
        await self._changed(conversation_id)
        return stored

    async def send_notice(
        self, conversation_id: str, key: str, values: dict[str, object] | None = None
    ) -> list[Message]:
        """A message from locales to the customer, outside the assistant (a person joined, a decision)."""
        async with self.coordination.turn(conversation_id), self.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            stored = self.replies.rendered(conversation, None, key, values or {})
            session.add_all(stored)
        await self._changed(conversation_id)
        return stored

    async def _changed(self, conversation_id: str) -> None:
        await self.coordination.publish("conversation", id=conversation_id)

    async def pause_assistant(self, conversation_id: str) -> None:
        """Silence Rasa in this conversation: a person has it (or is about to)."""
        try:
            await self.rasa.pause(conversation_id)
        except AssistantUnavailable as error:  # the gateway keeps it silent meanwhile (CustomerState)
            log.warning("could not pause the assistant (%s); the gateway holds its replies", error)

    async def _resume_assistant(self, conversation_id: str) -> None:
        """The customer took the conversation back from the queue."""
        try:
            await self.rasa.resume(conversation_id)
        except AssistantUnavailable as error:  # the message waits as pending and is answered later
            log.warning("could not resume the assistant (%s)", error)

    async def _read_intent(self, text: str) -> str | None:
        return await self.rasa.intent("intent-check", text)

    async def record_rejected(self, conversation_id: str, channel: str, typed: str, reason: str) -> int:
        """Keep on record that a client sent something we could not accept, and what the customer
        typed in it, so nothing is silently lost."""
        async with self.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise UnknownConversation(conversation_id)
            message = Message(
                conversation_id=conversation_id,
                direction=Direction.INBOUND,
                sender=Sender.CUSTOMER,
                channel=channel,
                text=typed,
                status=MessageStatus.REJECTED,
                error=reason[:200],
                language=conversation.language,
            )
            session.add(message)
            await session.flush()
            return message.id

    async def _store(self, inbound: InboundMessage) -> tuple[Delivery, Decision | None]:
        """Store the message and, in the same transaction, what the customer's state decides."""
        too_long = len(inbound.text) > self.max_message_chars
        # Off the event loop and before the transaction, so neither waits on the classifiers.
        reading = await asyncio.to_thread(self._read, inbound, too_long)
        async with self.db.transaction() as session:
            conversation = await session.get(Conversation, inbound.conversation_id)
            if conversation is None:
                raise UnknownConversation(inbound.conversation_id)
            if inbound.channel_message_id and (existing := await _find(session, inbound)):
                replies = await _replies_to(session, existing.id)
                return Delivery(existing.id, duplicate=True, replies=replies), None
            await self._follow_language(session, conversation, reading)
            message = Message(
                conversation_id=conversation.id,
                direction=Direction.INBOUND,
                sender=Sender.CUSTOMER,
                channel=inbound.channel,
                channel_message_id=inbound.channel_message_id,
                # Of an over-long message, what fits and a mark: a megabyte is not kept whole.
                text=inbound.text[: self.max_message_chars] + "…" if too_long else inbound.text,
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
                return Delivery(message.id, rejected="too_long"), None
            return Delivery(message.id), await self.state.settle(
                session, conversation, message, inbound.keyword, now
            )

    def _read(self, inbound: InboundMessage, too_long: bool) -> "Reading":
        """Language, feeling and any vulnerability cue of what the customer wrote.

        What they typed, not a button they pressed (a payload such as "/check_balance", which
        the web chat sends as text), tells their language, mood and any cue.
        """
        pressed = bool(inbound.interpreted) or inbound.text.startswith("/")
        typed = not (too_long or pressed)
        score, label = (0.0, sentiment.NEUTRAL) if pressed else sentiment.score(inbound.text)
        language, probability = self.detector.detect_with_probability(inbound.text) if typed else (None, 0.0)
        return Reading(
            language=self.catalog.as_written(language, inbound.text) if language else None,
            language_sure=probability >= SURE,
            sentiment_score=score,
            sentiment_label=label,
            cue=vulnerability.detect(inbound.text) if typed else None,
        )

    async def _follow_language(
        self, session: AsyncSession, conversation: Conversation, reading: Reading
    ) -> None:
        """Switch the conversation to the language the customer writes in, when sure (bot.understanding.language)."""
        detected = reading.language
        if detected is None or detected == conversation.language:
            return
        if self.catalog.base.get(detected) == self.catalog.base.get(conversation.language):
            # The same language in the other script ("mera balance kitna hai" after Devanagari):
            # a script is never in doubt, so the next reply follows it.
            await set_language(session, conversation.id, detected, source=conversation.language_source)
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
        # The first message that shows a language decides: "👍" or "1" before it told nothing.
        first_message = previous is None and not await session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == Direction.INBOUND,
                Message.detected_language.is_not(None),
            )
            .limit(1)
        )
        switch_to = next_language(
            conversation.language,
            detected,
            previous,
            first_message=first_message and reading.language_sure,
            chosen=conversation.language_source in CHOSEN_LANGUAGE_SOURCES,
        )
        if switch_to is not None:
            await set_language(session, conversation.id, switch_to, source="detected")

    async def _existing(self, inbound: InboundMessage) -> Delivery:
        async with self.db.session() as session:
            existing = await _find(session, inbound)
            return Delivery(existing.id, duplicate=True, replies=await _replies_to(session, existing.id))


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
