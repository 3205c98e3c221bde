"""One short satisfaction question (CSAT) when a conversation ends well, and its answer.

Asked right after the assistant's goodbye (`utter_goodbye`: the customer said goodbye or "that's
all", or no to "anything else?" after an answer, an agreed plan or more time), in the
conversation's language, with five options each channel shows as it shows any (numbered on SMS
and WhatsApp, a keyboard on Telegram, buttons on the web). Never (`reason_not_to_ask`):
- after care: a vulnerability cue in the conversation, a care pause on the customer, a consent
  question pending, a crisis or vulnerability handoff of the address open or in the last 30 days;
- while a person has (or is about to take) the conversation;
- to an address that opted out;
- more than once a day in a conversation;
- before the assistant could serve the customer: their identity was not checked in this session
  (verification lasts one Rasa session). Every account journey (balance, plan, more time, a
  payment link, hardship) passes that check; a greeting, a doubt whether we are genuine, a wrong
  number or a customer who leaves before verifying is never asked.

An answer is a reply, while the question is the latest thing we said and less than a day old,
that is only a score: its option's number or words, a button, a digit 1-5 (in any script, full
width too) or the number in words (`words.csat_score` in locales). It is stored on the survey and
thanked for, and never reaches the assistant. Anything else goes on as usual and leaves the
survey unanswered.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Conversation, Handoff, Message, MessageStatus, SatisfactionSurvey
from bot.domain.consent import is_opted_out
from bot.domain.conversations import latest_purpose
from bot.domain.pauses import care_pause
from bot.gateway.assistant import BotReply
from bot.gateway.replies import Purpose, Replies
from bot.i18n import Catalog, normalise
from bot.people.handoff import OPEN, HandoffReason, open_handoff

log = logging.getLogger(__name__)

QUESTION, THANKS = "csat_question", "csat_thanks"
# The assistant's response that ends a conversation well.
GOODBYE = "utter_goodbye"
# The question's options (locales: csat_question), worst first.
PAYLOAD = re.compile(r"/csat_([1-5])")
ASK_AT_MOST_EVERY = timedelta(days=1)
ANSWERED_WITHIN = timedelta(days=1)
# A crisis or vulnerability handoff this recent still means: no survey.
CARE_REMEMBERED = timedelta(days=30)
CARE_HANDOFFS = (HandoffReason.CRISIS.value, HandoffReason.VULNERABILITY.value)


@dataclass(frozen=True)
class Facts:
    """What decides whether to ask, read when the assistant has just said goodbye."""

    served: bool  # the customer's identity was checked in this session
    opted_out: bool = False
    care_cue: bool = False  # a message of the conversation showed a vulnerability cue
    care_pause: bool = False
    consent_pending: bool = False
    care_handoff: bool = False  # a crisis or vulnerability handoff of the address, open or recent
    with_person: bool = False  # an open handoff of the conversation
    asked_today: bool = False


def reason_not_to_ask(facts: Facts) -> str | None:
    """Why the question must not be asked (the first reason that holds), or None: ask it."""
    reasons = {
        "care_cue": facts.care_cue,
        "care_pause": facts.care_pause,
        "consent_pending": facts.consent_pending,
        "care_handoff": facts.care_handoff,
        "with_person": facts.with_person,
        "opted_out": facts.opted_out,
        "asked_today": facts.asked_today,
        "not_served": not facts.served,
    }
    return next((reason for reason, holds in reasons.items() if holds), None)


class Satisfaction:
    def __init__(self, catalog: Catalog, replies: Replies) -> None:
        self.catalog = catalog
        self.replies = replies
        # The goodbye as the assistant says it in each language (Rasa names no response in its replies).
        self.goodbyes = {catalog.render(GOODBYE, language).text.strip() for language in catalog.languages}

    def ends_conversation(self, said: list[BotReply]) -> bool:
        """Whether the assistant's turn ended with its goodbye."""
        texts = [reply.text.strip() for reply in said if reply.text]
        return bool(texts) and texts[-1] in self.goodbyes

    async def ask_after(
        self,
        session: AsyncSession,
        conversation: Conversation,
        inbound_id: int,
        said: list[BotReply],
        now: datetime,
    ) -> list[Message]:
        """The question to store after the assistant's turn, when that turn said goodbye and the
        rule allows; the survey it opens is added to the session."""
        if not self.ends_conversation(said):
            return []
        reason = reason_not_to_ask(await read_facts(session, conversation, now))
        if reason is not None:
            log.info("no satisfaction question in conversation %s: %s", conversation.id, reason)
            return []
        session.add(
            SatisfactionSurvey(
                conversation_id=conversation.id,
                channel=conversation.channel,
                language=conversation.language,
                asked_at=now,
            )
        )
        return self.replies.rendered(conversation, inbound_id, QUESTION, purpose=Purpose.CSAT)

    async def answer(
        self, session: AsyncSession, conversation: Conversation, message: Message, now: datetime
    ) -> list[Message] | None:
        """The thanks for an answer to the question, its score stored (added to the session);
        None when the message is not an answer to a waiting question: it goes on as usual."""
        score = self.score_of(message, conversation.language)
        if score is None:
            return None
        purpose = await latest_purpose(session, conversation.id)
        if purpose == Purpose.CSAT_THANKS:
            # A second tap, or a score again right after the thanks: the first answer stands.
            message.status, message.error = MessageStatus.NOT_ANSWERED, "survey_already_answered"
            return []
        survey = await _waiting_survey(session, conversation.id, now) if purpose == Purpose.CSAT else None
        if survey is None:
            if message.interpreted and PAYLOAD.fullmatch(message.interpreted):
                message.interpreted = None  # not an option of anything waiting: read as typed
            return None
        survey.score, survey.answered_at = score, now
        message.status = MessageStatus.ANSWERED
        thanks = self.replies.rendered(conversation, message.id, THANKS, purpose=Purpose.CSAT_THANKS)
        session.add_all(thanks)
        return thanks

    def score_of(self, message: Message, language: str) -> int | None:
        """The score a message gives, 1 to 5, if that is all it says."""
        for said in (message.interpreted, message.text):
            if said and (pressed := PAYLOAD.fullmatch(said)):
                return int(pressed.group(1))
        if message.interpreted is not None:  # it picked another option
            return None
        typed = normalise(message.text)  # "４", "4.", " 4 " → "4"
        if re.fullmatch(r"\d", typed):
            digit = unicodedata.digit(typed)
            return digit if 1 <= digit <= 5 else None
        word = self.catalog.keyword("csat_score", message.text, language)
        return int(word) if word else None


async def read_facts(session: AsyncSession, conversation: Conversation, now: datetime) -> Facts:
    address = conversation.channel_user_id
    cue = await session.scalar(
        select(Message.id)
        .where(Message.conversation_id == conversation.id, Message.vulnerability_cue.is_not(None))
        .limit(1)
    )
    # Of the person at this address on any channel (a crisis by SMS counts on the number's WhatsApp).
    care_handoff = await session.scalar(
        select(Handoff.id)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(
            Conversation.channel_user_id == address,
            Handoff.reason.in_(CARE_HANDOFFS),
            or_(Handoff.status.in_(OPEN), Handoff.created_at >= now - CARE_REMEMBERED),
        )
        .limit(1)
    )
    asked = await session.scalar(
        select(SatisfactionSurvey.id)
        .where(
            SatisfactionSurvey.conversation_id == conversation.id,
            SatisfactionSurvey.asked_at >= now - ASK_AT_MOST_EVERY,
        )
        .limit(1)
    )
    return Facts(
        served=conversation.verified_account_id is not None,
        opted_out=await is_opted_out(session, conversation.channel, address),
        care_cue=cue is not None,
        care_pause=await care_pause(session, conversation.customer_id) is not None,
        consent_pending=conversation.pending_consent is not None,
        care_handoff=care_handoff is not None,
        with_person=await open_handoff(session, conversation.id) is not None,
        asked_today=asked is not None,
    )


async def _waiting_survey(
    session: AsyncSession, conversation_id: str, now: datetime
) -> SatisfactionSurvey | None:
    """The conversation's latest survey, if it is unanswered and asked less than a day ago."""
    survey = await session.scalar(
        select(SatisfactionSurvey)
        .where(SatisfactionSurvey.conversation_id == conversation_id)
        .order_by(SatisfactionSurvey.id.desc())
        .limit(1)
    )
    if survey is None or survey.score is not None or survey.asked_at < now - ANSWERED_WITHIN:
        return None
    return survey
