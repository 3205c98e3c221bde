"""What we do when a customer shows distress, before anything about payments (DOMAIN.md).

The gateway calls `respond` for every customer message. It answers instead of the assistant
when the message shows a vulnerability cue, answers the consent question this module asked,
or when the conversation's mood has stayed low; it returns None to let the assistant answer.
"""

from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Conversation, Customer, Message, VulnerabilityFlag
from bot.domain.conversations import recent_scores
from bot.domain.pauses import CarePause, pause_for_care
from bot.domain.policy import CreditorPolicy
from bot.i18n import Catalog
from bot.people.handoff import HandoffReason, open_handoff, request_handoff, waiting_notice_for
from bot.understanding import sentiment

CONSENT_PAYLOADS = {"/consent_yes": "yes", "/consent_no": "no"}
# Cues whose note needs the customer's consent (a crisis is acted on, not noted on request).
NOTED_WITH_CONSENT = ("domestic_abuse", "bereavement", "serious_illness")
# Cues a person must take over, and why; the others are answered here and the assistant goes on.
HANDED_TO_A_PERSON = {
    "suicide_risk": HandoffReason.CRISIS,
    "domestic_abuse": HandoffReason.VULNERABILITY,
    "bereavement": HandoffReason.VULNERABILITY,
}
# Why the customer is paused for care (every channel, every account), per cue.
PAUSES_FOR_CARE = {
    "suicide_risk": CarePause.CRISIS,
    "domestic_abuse": CarePause.FAMILY_VIOLENCE,
    "bereavement": CarePause.BEREAVEMENT,
}
RESPONSE = {
    "suicide_risk": "care_crisis",
    "domestic_abuse": "care_domestic_abuse",
    "bereavement": "care_bereavement",
    "serious_illness": "care_illness",
}


@dataclass(frozen=True)
class MoodRule:
    """Hand over when the average of the latest `window` scores falls below `threshold`."""

    threshold: float
    at_least: int  # messages before the trend counts, so one angry word does not hand over


@dataclass
class CareReply:
    """Responses to send (keys and values) and whether the assistant must fall silent."""

    responses: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    pause_assistant: bool = False


async def respond(
    session: AsyncSession,
    conversation: Conversation,
    message: Message,
    catalog: Catalog,
    policy: CreditorPolicy,
    mood: MoodRule,
    now: datetime,
) -> CareReply | None:
    consent = _consent_answer(conversation, message, catalog)
    if consent is not None:
        return await _record_consent(session, conversation, consent)
    conversation.pending_consent = None  # not answered: the customer moved on, and is not asked twice
    if message.vulnerability_cue in RESPONSE:
        return await _respond_to_cue(session, conversation, message.vulnerability_cue, policy, now)
    if message.sentiment_label == "negative":  # only an upset message can bring the mood down
        return await _respond_to_mood(session, conversation, policy, mood, now)
    return None


def _consent_answer(conversation: Conversation, message: Message, catalog: Catalog) -> str | None:
    if conversation.pending_consent is None:
        return None
    if message.interpreted in CONSENT_PAYLOADS:
        return CONSENT_PAYLOADS[message.interpreted]
    return catalog.keyword("consent", message.text, conversation.language)


async def _record_consent(session: AsyncSession, conversation: Conversation, answer: str) -> CareReply:
    cue, conversation.pending_consent = conversation.pending_consent, None
    if answer == "yes":
        session.add(
            VulnerabilityFlag(customer_id=conversation.customer_id, cue=cue, conversation_id=conversation.id)
        )
    record(
        session,
        "customer",
        "vulnerability_flag_recorded" if answer == "yes" else "vulnerability_flag_declined",
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        details={"cue": cue},
    )
    return CareReply([("consent_recorded" if answer == "yes" else "consent_declined", {})])


async def _respond_to_cue(
    session: AsyncSession, conversation: Conversation, cue: str, policy: CreditorPolicy, now: datetime
) -> CareReply | None:
    handoff = await open_handoff(session, conversation.id)
    reason = HANDED_TO_A_PERSON.get(cue)
    already_with_a_person = handoff is not None and handoff.bot_paused
    if reason is not None:
        await request_handoff(session, conversation.id, reason)
    customer = await session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    if cue in PAUSES_FOR_CARE and customer is not None:
        await pause_for_care(session, customer, PAUSES_FOR_CARE[cue], now)
    record(session, "bot", "vulnerability_cue", conversation_id=conversation.id, details={"cue": cue})
    # A person already with the customer answers them; only a new crisis still gets its lines at once.
    if already_with_a_person and not (cue == "suicide_risk" and handoff.reason != HandoffReason.CRISIS):
        return CareReply(pause_assistant=True)
    lines = policy.support_lines_for(jurisdiction_of(conversation, customer))
    reply = CareReply(
        [
            (
                RESPONSE[cue],
                {
                    "crisis_line": lines.crisis,
                    "family_violence_line": lines.family_violence,
                    "emergency": lines.emergency,
                },
            )
        ],
        pause_assistant=reason is not None,
    )
    if reason is not None:
        notice = await waiting_notice_for(session, conversation, policy.staffed_hours, now)
        if notice.values:  # after hours: say when a person will reply
            reply.responses.append((notice.key, notice.values))
    if cue in NOTED_WITH_CONSENT and not await _noted(session, conversation, cue):
        conversation.pending_consent = cue
        reply.responses.append(("consent_ask", {}))
    return reply


async def _respond_to_mood(
    session: AsyncSession, conversation: Conversation, policy: CreditorPolicy, mood: MoodRule, now: datetime
) -> CareReply | None:
    if await open_handoff(session, conversation.id) is not None:
        return None
    # One read: enough messages to count, and the latest of them for the trend.
    scores = await recent_scores(session, conversation.id, max(mood.at_least, sentiment.TREND_WINDOW))
    if len(scores) < mood.at_least or sentiment.trend(scores) >= mood.threshold:
        return None
    await request_handoff(session, conversation.id, HandoffReason.NEGATIVE_SENTIMENT)
    notice = await waiting_notice_for(session, conversation, policy.staffed_hours, now)
    return CareReply([("handoff_sentiment", {}), (notice.key, notice.values)], pause_assistant=True)


async def _noted(session: AsyncSession, conversation: Conversation, cue: str) -> bool:
    """Whether this customer (or, before we know them, this conversation) already has the note."""
    owner = (
        VulnerabilityFlag.customer_id == conversation.customer_id
        if conversation.customer_id
        else VulnerabilityFlag.conversation_id == conversation.id
    )
    return bool(await session.scalar(select(VulnerabilityFlag.id).where(owner, VulnerabilityFlag.cue == cue)))


def jurisdiction_of(conversation: Conversation, customer: Customer | None) -> str | None:
    """The customer's country: their record, else their phone number's, else where their
    browser says it is (a web chat), else unknown."""
    if customer is not None:
        return customer.jurisdiction
    if conversation.channel in ("sms", "whatsapp"):
        try:
            return phonenumbers.region_code_for_number(phonenumbers.parse(conversation.channel_user_id))
        except phonenumbers.NumberParseException:
            return None
    return conversation.region
