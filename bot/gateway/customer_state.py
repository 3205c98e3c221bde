"""A customer's state, decided once for every channel: opted out, paused for care, waiting for a person.

Every inbound message passes `CustomerState.settle` (in the transaction that stores it; then
`decide_with_intent` when the model must read it first) before the assistant may see it, and
every reply of the assistant passes `screen` before it is stored for sending:
- STOP, START and HELP (the carrier's words, in every supported language, on every channel) are
  answered here. An opt-out, by keyword or in the customer's own words, is recorded here and
  confirmed exactly once; after it only START and HELP get an answer.
- A short acknowledgement ("ok", "sí", "はい", 👍) never opts anyone out.
- A customer paused for care hears nothing about money on any channel: a caring note with the
  crisis line at most every few minutes, and a person is asked for wherever they write.
- A customer waiting for a person is told when someone will be there (at most every few
  minutes); when nobody has claimed the conversation in time, or the team is away, they are
  offered to carry on with the assistant; "wrong number", STOP and HELP always work.
- A goodbye that ends a conversation well is followed by one satisfaction question, and a score
  in answer to it is stored and thanked for here (bot.gateway.satisfaction).
Every message gets a reply, or its status and `error` say why not.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.engine import Database
from bot.db.models import (
    Conversation,
    Customer,
    Direction,
    Handoff,
    HandoffStatus,
    Message,
    MessageStatus,
    Sender,
)
from bot.db.types import utcnow
from bot.domain.consent import is_opted_out, opt_in, opt_out
from bot.domain.pauses import CarePause, care_pause
from bot.domain.policy import CreditorPolicy
from bot.gateway import care
from bot.gateway.assistant import BotReply
from bot.gateway.replies import Purpose, Replies
from bot.gateway.satisfaction import Satisfaction
from bot.i18n import Catalog
from bot.people.handoff import (
    OPEN,
    HandoffReason,
    end_by_customer,
    open_handoff,
    request_handoff,
    waiting_notice_for,
)


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


# The button that hands a waiting conversation back to the assistant (locales: gateway_self_service_offer).
RESUME_PAYLOAD = "/resume_assistant"
# What the assistant is told when the customer takes it back: start afresh.
RESUMED_AS = "/greet"
# What the assistant asks the gateway to do instead of doing it itself (a custom payload).
OPT_OUT_SIGNAL = "opt_out"
# Intents read without giving the assistant a turn: what a customer waiting for a person can still
# do, and what a bare acknowledgement is not (an opt-out, or a message the model cannot read).
WRONG_PERSON, OPT_OUT, NOT_UNDERSTOOD = "wrong_person", "opt_out", "nlu_fallback"
# Messages this close together while paused for care get one "passed on" note between them.
NOTE_BURST = timedelta(minutes=1)
HANDOFF_FOR_CARE = {CarePause.CRISIS.value: HandoffReason.CRISIS}
# Handoffs that are care, whoever the customer is: never offered self-service, never resumed by them.
CARE_HANDOFFS = {
    HandoffReason.CRISIS.value: CarePause.CRISIS.value,
    HandoffReason.VULNERABILITY.value: "vulnerability",
}

# Reads the intent of a message without a turn (the assistant's NLU alone); None if it cannot.
IntentReader = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Timing:
    acknowledge_every: timedelta  # at most one "a person will reply" note in this long
    self_service_after: timedelta  # an unclaimed handoff this old offers the assistant back
    # A message still `received` after this long was being answered by a process that died
    # (longer than any turn can take: Rasa's timeout and the actions behind it).
    stalled_after: timedelta = timedelta(seconds=60)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Timing":
        return cls(
            acknowledge_every=timedelta(minutes=settings.waiting_acknowledgement_minutes),
            self_service_after=timedelta(minutes=settings.handoff_self_service_minutes),
            stalled_after=timedelta(seconds=settings.turn_stalled_seconds),
        )


@dataclass(frozen=True)
class Screened:
    """The assistant's turn as it may leave; `forget_turn`: the gateway overruled it, so the
    assistant must take it back (an opt-out nobody asked for would colour what it predicts next)."""

    replies: list[Message]
    forget_turn: bool = False


@dataclass
class Decision:
    """What becomes of one inbound message before the assistant."""

    replies: list[Message] = field(default_factory=list)
    to_assistant: bool = False
    pause_assistant: bool = False
    resume_assistant: bool = False


class CustomerState:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        replies: Replies,
        policy: CreditorPolicy,
        mood: care.MoodRule,
        timing: Timing,
        read_intent: IntentReader,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.replies = replies
        self.policy = policy
        self.mood = mood
        self.timing = timing
        self.read_intent = read_intent
        self.satisfaction = Satisfaction(catalog, replies)

    async def decide_with_intent(self, message_id: int, text: str) -> Decision:
        """What `settle` left open, once the model has read the message `text` (no turn, so the
        tracker is untouched); the reading happens outside any transaction."""
        intent = await self.read_intent(text)
        now = utcnow()
        async with self.db.transaction() as session:
            message = await session.get(Message, message_id)
            conversation = await session.get(Conversation, message.conversation_id)
            if intent == OPT_OUT and not self.catalog.is_acknowledgement(text, conversation.language):
                return await self._opt_out(session, conversation, message, "customer_request")
            pause = await self.care_pause_of(session, conversation)
            if pause is not None:
                return await self._paused_for_care(session, conversation, message, pause, now)
            handoff = await open_handoff(session, conversation.id)
            if handoff is None or not handoff.bot_paused:
                if intent in (NOT_UNDERSTOOD, OPT_OUT):  # a bare "👌" is not a request for anything
                    message.status = MessageStatus.ANSWERED
                    replies = self.replies.rendered(conversation, message.id, "gateway_acknowledged")
                    session.add_all(replies)
                    return Decision(replies)
                return Decision(to_assistant=True)
            if intent == WRONG_PERSON:  # nothing to wait for: the assistant offers to stop messages
                await end_by_customer(session, handoff, "wrong_person")
                return Decision(to_assistant=True, resume_assistant=True)
            return Decision(await self._acknowledge_waiting(session, conversation, message, handoff, now))

    async def settle(
        self,
        session: AsyncSession,
        conversation: Conversation,
        message: Message,
        keyword: str | None,
        now: datetime,
    ) -> Decision | None:
        """Keywords, opt-out, care and a waiting person, in that order; else the assistant's turn.
        In the transaction that stored the message. None when the model must read the message
        first (`decide_with_intent`): a customer waiting for a person, or only emoji.

        `keyword`: a channel's own command for STOP, START or HELP (Telegram's /stop).
        """
        keyword = keyword or self.catalog.keyword(
            "sms_keywords", message.text, conversation.language, anywhere=True
        )
        if keyword:
            return await self._keyword(session, conversation, message, Keyword(keyword))
        if await is_opted_out(session, conversation.channel, conversation.channel_user_id):
            _not_answered(message, "opted_out")
            return Decision()
        cared = await care.respond(session, conversation, message, self.catalog, self.policy, self.mood, now)
        if cared is not None and cared.responses:
            message.status = MessageStatus.ANSWERED
            replies = [
                part
                for key, values in cared.responses
                for part in self.replies.rendered(conversation, message.id, key, values, Purpose.CARE)
            ]
            session.add_all(replies)
            return Decision(replies, pause_assistant=cared.pause_assistant)
        typed = message.interpreted is None and not message.text.startswith("/")
        pause = await self.care_pause_of(session, conversation)
        if pause is not None:  # in their own words, they can still ask us to stop writing
            return None if typed else await self._paused_for_care(session, conversation, message, pause, now)
        handoff = await open_handoff(session, conversation.id)
        if handoff is None or not handoff.bot_paused:
            # A score in answer to the satisfaction question: stored and thanked for, not the assistant's.
            thanks = await self.satisfaction.answer(session, conversation, message, now)
            if thanks is not None:
                return Decision(thanks)
            wordless = typed and self.catalog.is_wordless(message.text)
            return None if wordless else Decision(to_assistant=True)
        if handoff.status == HandoffStatus.CLAIMED.value:
            message.status = MessageStatus.WITH_PERSON  # the person reads and answers it live
            return Decision()
        if RESUME_PAYLOAD in (message.interpreted, message.text):
            await end_by_customer(session, handoff, "customer_resumed")
            message.interpreted = RESUMED_AS
            return Decision(to_assistant=True, resume_assistant=True)
        if not typed:
            return Decision(await self._acknowledge_waiting(session, conversation, message, handoff, now))
        return None

    async def screen(
        self, session: AsyncSession, conversation: Conversation, inbound: Message, said: list[BotReply]
    ) -> Screened:
        """The assistant's replies to one message, as they may leave (stored by the caller)."""
        signal = next(
            (reply.custom for reply in said if reply.custom and OPT_OUT_SIGNAL in reply.custom), None
        )
        if signal is not None:
            return await self._opt_out_asked(session, conversation, inbound, signal)
        # A turn can tell who the customer is (verification), so `conversation` is read after it:
        # someone paused for care elsewhere hears nothing about money here either.
        pause = await care_pause(session, conversation.customer_id)
        if pause is not None:
            return Screened(
                (await self._paused_for_care(session, conversation, inbound, pause, utcnow())).replies
            )
        replies = [
            part
            for reply in said
            if reply.text
            for part in self.replies.text(conversation, inbound.id, Sender.BOT, reply.text, reply.buttons)
        ]
        if replies:
            # A goodbye that ends the conversation well: the one satisfaction question follows.
            replies += await self.satisfaction.ask_after(session, conversation, inbound.id, said, utcnow())
            return Screened(replies)
        # The assistant had nothing to say: silence is never an answer.
        acknowledged = self.catalog.is_acknowledgement(inbound.text, conversation.language)
        return Screened(
            self.replies.rendered(
                conversation, inbound.id, "gateway_acknowledged" if acknowledged else "utter_rephrase"
            )
        )

    async def _opt_out_asked(
        self, session: AsyncSession, conversation: Conversation, inbound: Message, signal: dict
    ) -> Screened:
        """The assistant took the message for an opt-out: honoured when the customer asked in words
        (the opt_out intent) or said yes to stopping after "wrong person", never for a bare "ok"."""
        wrong_person = signal[OPT_OUT_SIGNAL] == "wrong_person"
        acknowledgement = self.catalog.is_acknowledgement(inbound.text, conversation.language)
        if (signal.get("intent") == OPT_OUT or wrong_person) and not acknowledgement:
            opted_out = await self._opt_out(session, conversation, inbound, str(signal[OPT_OUT_SIGNAL]))
            return Screened(opted_out.replies)
        # Not a request to stop: the assistant forgets the turn, and the customer hears how to stop.
        if acknowledgement and wrong_person:
            key, values = "gateway_how_to_stop", self.replies.commands(conversation)
        else:
            key, values = ("gateway_acknowledged" if acknowledgement else "utter_rephrase"), {}
        return Screened(self.replies.rendered(conversation, inbound.id, key, values), forget_turn=True)

    async def _keyword(
        self, session: AsyncSession, conversation: Conversation, message: Message, keyword: Keyword
    ) -> Decision:
        if keyword == Keyword.STOP:
            return await self._opt_out(session, conversation, message, "keyword")
        if keyword == Keyword.START:
            was_opted_out = await is_opted_out(session, conversation.channel, conversation.channel_user_id)
            await opt_in(
                session, conversation.channel, conversation.channel_user_id, conversation.customer_id
            )
            if message.interpreted and not was_opted_out:  # Telegram's Start opens a chat: a greeting
                return Decision(to_assistant=True)
            key, values = "sms_resubscribed", self.replies.commands(conversation)
        else:
            key = "sms_help"
            values = {
                "creditor": self.policy.name,
                "phone": self.policy.phone,
                **self.replies.commands(conversation),
            }
        replies = self.replies.rendered(conversation, message.id, key, values, Purpose.KEYWORD_ANSWER)
        message.status = MessageStatus.ANSWERED
        session.add_all(replies)
        return Decision(replies)

    async def _opt_out(
        self, session: AsyncSession, conversation: Conversation, message: Message, reason: str
    ) -> Decision:
        """Record the opt-out and confirm it, once: a second STOP gets no second confirmation.

        A wait for a person ends (the assistant listens again, for START and HELP); a care
        handoff stays open, so a person still sees someone in crisis."""
        if await is_opted_out(session, conversation.channel, conversation.channel_user_id):
            _not_answered(message, "already_opted_out")
            return Decision()
        await opt_out(
            session, conversation.channel, conversation.channel_user_id, reason, conversation.customer_id
        )
        decision = Decision()
        handoff = await open_handoff(session, conversation.id)
        if handoff is not None and handoff.reason not in CARE_HANDOFFS:
            await end_by_customer(session, handoff, "opted_out")
            decision.resume_assistant = handoff.bot_paused
        message.status = MessageStatus.ANSWERED
        replies = self.replies.rendered(
            conversation,
            message.id,
            "utter_opted_out",
            self.replies.commands(conversation),
            purpose=Purpose.OPT_OUT_CONFIRMATION,
        )
        session.add_all(replies)
        decision.replies = replies
        return decision

    @staticmethod
    async def care_pause_of(session: AsyncSession, conversation: Conversation) -> str | None:
        """Why the person in this conversation may hear nothing about money: their own care pause
        or, someone we cannot name yet, the care handoff of their address (a crisis by SMS holds on
        the same number's WhatsApp)."""
        return await care_pause(session, conversation.customer_id) or await _care_of_address(
            session, conversation
        )

    async def _paused_for_care(
        self, session: AsyncSession, conversation: Conversation, message: Message, pause: str, now: datetime
    ) -> Decision:
        """Nothing about money: a person is asked for here too, and the customer hears the crisis line."""
        handoff = await open_handoff(session, conversation.id)
        decision = Decision(pause_assistant=handoff is None or not handoff.bot_paused)
        handoff = await request_handoff(
            session, conversation.id, HANDOFF_FOR_CARE.get(pause, HandoffReason.VULNERABILITY)
        )
        message.status = MessageStatus.WITH_PERSON
        if handoff.status == HandoffStatus.CLAIMED.value:
            return decision
        if await self._acknowledged_since(
            session, conversation.id, Purpose.CARE, now - self.timing.acknowledge_every
        ):
            # Never silence ("I'm fine, you misread me" must be heard), but one note for a burst.
            if await self._acknowledged_since(session, conversation.id, Purpose.CARE_NOTED, now - NOTE_BURST):
                message.error = "acknowledged_recently"
                return decision
            decision.replies = self.replies.rendered(
                conversation, message.id, "gateway_care_noted", purpose=Purpose.CARE_NOTED
            )
            notice = await waiting_notice_for(session, conversation, self.policy.staffed_hours, now)
            if notice.values:  # the team is away: say when a person will reply
                decision.replies += self.replies.rendered(
                    conversation, message.id, notice.key, notice.values, Purpose.CARE_NOTED
                )
            session.add_all(decision.replies)
            return decision
        customer = await session.get(Customer, conversation.customer_id) if conversation.customer_id else None
        lines = self.policy.support_lines_for(care.jurisdiction_of(conversation, customer))
        values = {"crisis_line": lines.crisis, "emergency": lines.emergency}
        decision.replies = self.replies.rendered(
            conversation, message.id, "gateway_care_waiting", values, Purpose.CARE
        )
        session.add_all(decision.replies)
        return decision

    async def _acknowledge_waiting(
        self,
        session: AsyncSession,
        conversation: Conversation,
        message: Message,
        handoff: Handoff,
        now: datetime,
    ) -> list[Message]:
        """When a person will be there, at most every few minutes; and, after a while or while the
        team is away, the offer to carry on with the assistant."""
        message.status = MessageStatus.WITH_PERSON
        if await self._acknowledged_since(
            session, conversation.id, Purpose.WAITING, now - self.timing.acknowledge_every
        ):
            message.error = "acknowledged_recently"
            return []
        notice = await waiting_notice_for(session, conversation, self.policy.staffed_hours, now)
        replies = self.replies.rendered(conversation, message.id, notice.key, notice.values, Purpose.WAITING)
        team_away = bool(notice.values)
        if team_away or now - handoff.created_at >= self.timing.self_service_after:
            replies += self.replies.rendered(
                conversation, message.id, "gateway_self_service_offer", purpose=Purpose.WAITING
            )
        session.add_all(replies)
        return replies

    @staticmethod
    async def _acknowledged_since(
        session: AsyncSession, conversation_id: str, purpose: Purpose, since: datetime
    ) -> bool:
        """Whether the customer was told this (cared for, or told a person will come) since."""
        return bool(
            await session.scalar(
                select(Message.id)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.direction == Direction.OUTBOUND,
                    Message.purpose == purpose.value,
                    Message.created_at >= since,
                )
                .limit(1)
            )
        )


async def _care_of_address(session: AsyncSession, conversation: Conversation) -> str | None:
    """Why the person at this address (a phone number, a chat, a browser's chat) is cared for by a
    person just now, on any channel: an open crisis or vulnerability handoff."""
    reason = await session.scalar(
        select(Handoff.reason)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(
            Conversation.channel_user_id == conversation.channel_user_id,
            Handoff.status.in_(OPEN),
            Handoff.reason.in_(list(CARE_HANDOFFS)),
        )
        .order_by(Handoff.priority)
        .limit(1)
    )
    return CARE_HANDOFFS.get(reason) if reason else None


def _not_answered(message: Message, reason: str) -> None:
    message.status, message.error = MessageStatus.NOT_ANSWERED, reason
