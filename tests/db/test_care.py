"""Distress is answered with care before anything else, on a real database, with the assistant down.

The assistant being unreachable shows these replies come from the gateway itself: a crisis is
never left waiting for Rasa.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.db.demo_data import seed_if_empty
from bot.db.models import (
    Account,
    Customer,
    Direction,
    Handoff,
    Message,
    MessageStatus,
    Sender,
    VulnerabilityFlag,
)
from bot.domain.conversations import open_conversation, transcript
from bot.gateway.intake import InboundMessage
from bot.i18n import country_of_timezone
from bot.people.handoff import waiting_notice
from tests.db.conftest import POLICY


async def _sms_conversation(db, phone: str = "+61412345678") -> str:
    """Mia's number (a demo customer in Australia), known by possession of the phone."""
    async with db.transaction() as session:
        await seed_if_empty(session)
        conversation = await open_conversation(session, "sms", phone, "en")
        customer_id = await session.scalar(
            select(Account.customer_id).where(Account.reference == "CN-100234")
        )
        if phone == "+61412345678":
            conversation.customer_id = customer_id
        return conversation.id


async def _sent(db, conversation_id: str) -> list[Message]:
    async with db.session() as session:
        return [m for m in await transcript(session, conversation_id) if m.direction == Direction.OUTBOUND]


def _cared_for(delivery) -> bool:
    """Answered with care by the gateway itself, not by the assistant."""
    return bool(delivery.replies) and all(r.purpose == "care" for r in delivery.replies)


def _expected(catalog, key: str, language: str = "en", **values) -> str:
    return catalog.render(key, language, values).text


async def test_a_crisis_gets_the_local_crisis_line_a_person_at_once_and_contact_suppressed(
    gateway, db, catalog
):
    conversation_id = await _sms_conversation(db)

    delivery = await gateway.receive(
        InboundMessage(conversation_id, "sms", "honestly I don't want to be here anymore")
    )

    lines = POLICY.support_lines["AU"]
    assert _cared_for(delivery)
    assert delivery.replies[0].text == _expected(
        catalog,
        "care_crisis",
        crisis_line=lines.crisis,
        family_violence_line=lines.family_violence,
        emergency="000",
    )
    assert "13 11 14" in delivery.replies[0].text
    assert "consent" not in " ".join(r.text for r in delivery.replies).casefold()
    async with db.session() as session:
        handoff = await session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id))
        paused = set(
            await session.scalars(
                select(Account.collection_paused_reason).where(Account.reference == "CN-100234")
            )
        )
        care_pause = await session.scalar(
            select(Customer.care_pause).join(Account).where(Account.reference == "CN-100234")
        )
    assert (handoff.reason, handoff.priority, handoff.bot_paused) == ("crisis", 1, True)
    assert paused == {"crisis"} and care_pause == "crisis"

    # Whatever the customer says next waits for the person, with nothing about money; the crisis
    # line was given a moment ago, so they hear only that it was passed on (never silence: "I'm
    # fine, you misread me" is answered), and a burst of messages gets that note once.
    later = await gateway.receive(InboundMessage(conversation_id, "sms", "I'm fine, you misread me"))
    noted = _expected(catalog, "gateway_care_noted")
    assert [r.text for r in later.replies][:1] == [noted]
    assert all(r.purpose == "care_noted" for r in later.replies)
    now = datetime.now(UTC)
    team_away = bool(waiting_notice(POLICY.staffed_hours, now, "en_AU", "Australia/Sydney").values)
    assert len(later.replies) == (2 if team_away else 1)
    burst = await gateway.receive(InboundMessage(conversation_id, "sms", "how much do I owe"))
    assert burst.replies == []
    async with db.session() as session:
        stored = await session.get(Message, burst.inbound_id)
        waiting = await session.get(Message, later.inbound_id)
    assert (stored.status, stored.error) == (MessageStatus.WITH_PERSON, "acknowledged_recently")
    assert waiting.status == MessageStatus.WITH_PERSON


async def test_the_crisis_line_follows_the_phone_numbers_country_when_the_customer_is_unknown(gateway, db):
    conversation_id = await _sms_conversation(db, phone="+12025550123")
    delivery = await gateway.receive(InboundMessage(conversation_id, "sms", "I want to end it all"))
    assert "988" in delivery.replies[0].text and "911" in delivery.replies[0].text


async def test_bereavement_is_met_with_condolences_and_noted_only_with_consent(gateway, db, catalog):
    conversation_id = await _sms_conversation(db)

    first = await gateway.receive(InboundMessage(conversation_id, "sms", "my mum passed away last week"))
    assert [r.text for r in first.replies][:1] == [_expected(catalog, "care_bereavement")]
    assert first.replies[-1].text == _expected(catalog, "consent_ask")
    async with db.session() as session:
        assert await session.scalar(select(VulnerabilityFlag.id)) is None, "nothing noted before consent"

    answer = await gateway.receive(InboundMessage(conversation_id, "sms", "yes please"))
    assert [r.text for r in answer.replies] == [_expected(catalog, "consent_recorded")]
    async with db.session() as session:
        flags = list(await session.scalars(select(VulnerabilityFlag)))
    assert [(f.cue, f.customer_id is not None) for f in flags] == [("bereavement", True)]

    # Told once, not asked again.
    again = await gateway.receive(
        InboundMessage(conversation_id, "sms", "since my mother died everything is hard")
    )
    assert _expected(catalog, "consent_ask") not in [r.text for r in again.replies]


async def test_declining_consent_records_nothing_and_a_button_press_answers_too(gateway, db, catalog):
    conversation_id = await _sms_conversation(db)
    await gateway.receive(InboundMessage(conversation_id, "sms", "I was diagnosed with cancer last month"))
    answer = await gateway.receive(InboundMessage(conversation_id, "sms", "2", interpreted="/consent_no"))
    assert [r.text for r in answer.replies] == [_expected(catalog, "consent_declined")]
    async with db.session() as session:
        assert await session.scalar(select(VulnerabilityFlag.id)) is None


async def test_look_alikes_and_everyday_messages_go_to_the_assistant_as_usual(gateway, db, catalog):
    conversation_id = await _sms_conversation(db)
    for said in ("this bill is killing me", "hi", "how much do I owe"):
        delivery = await gateway.receive(InboundMessage(conversation_id, "sms", said))
        assert not _cared_for(delivery), said
    async with db.session() as session:
        assert await session.scalar(select(Handoff.id)) is None


async def test_a_conversation_that_stays_upset_is_handed_to_a_person(gateway, db, catalog):
    conversation_id = await _sms_conversation(db)
    angry = [
        "this is ridiculous, I'm so angry",
        "you people are useless and rude",
        "worst service ever, I'm furious",
    ]
    deliveries = [await gateway.receive(InboundMessage(conversation_id, "sms", said)) for said in angry]

    assert not any(_cared_for(d) for d in deliveries[:-1]), "one or two angry messages are not a trend"
    assert _cared_for(deliveries[-1])
    notice = waiting_notice(POLICY.staffed_hours, datetime.now(UTC), "en_AU", "Australia/Sydney")
    assert [r.text for r in deliveries[-1].replies] == [
        _expected(catalog, "handoff_sentiment"),
        _expected(catalog, notice.key, **notice.values),
    ]
    async with db.session() as session:
        handoff = await session.scalar(select(Handoff))
    assert handoff.reason == "negative_sentiment"


async def test_care_replies_are_stored_as_the_systems_and_answer_the_message(gateway, db):
    conversation_id = await _sms_conversation(db)
    delivery = await gateway.receive(InboundMessage(conversation_id, "sms", "I lost my husband in june"))
    assert {r.sender for r in delivery.replies} == {Sender.SYSTEM}
    async with db.session() as session:
        inbound = await session.get(Message, delivery.inbound_id)
    assert (inbound.status, inbound.vulnerability_cue) == (MessageStatus.ANSWERED, "bereavement")


async def test_someone_in_crisis_we_cannot_name_is_cared_for_and_never_handed_back_to_the_assistant(
    gateway, db, catalog
):
    conversation_id = await _sms_conversation(db, phone="+12025550123")  # not a customer's number
    await gateway.receive(InboundMessage(conversation_id, "sms", "I want to end it all"))
    async with db.transaction() as session:  # a quarter of an hour on, nobody has claimed it
        earlier = datetime.now(UTC) - timedelta(minutes=15)
        await session.execute(update(Handoff).values(created_at=earlier))
        await session.execute(
            update(Message).where(Message.conversation_id == conversation_id).values(created_at=earlier)
        )

    later = await gateway.receive(InboundMessage(conversation_id, "sms", "/resume_assistant"))

    assert [r.purpose for r in later.replies] == ["care"], "the crisis line again, not the assistant"
    assert "988" in later.replies[0].text
    assert catalog.render("gateway_self_service_offer", "en").text not in [r.text for r in later.replies]
    async with db.session() as session:
        [handoff] = list(
            await session.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id))
        )
    assert (handoff.status, handoff.reason) == ("requested", "crisis")


async def test_a_web_visitor_we_cannot_name_gets_the_crisis_lines_of_their_browsers_country(gateway, db):
    async with db.transaction() as session:
        await seed_if_empty(session)
        madrid = (
            await open_conversation(session, "web", None, "es", region=country_of_timezone("Europe/Madrid"))
        ).id
        unknown = (
            await open_conversation(session, "web", None, "en", region=country_of_timezone("Etc/UTC"))
        ).id
    said = await gateway.receive(InboundMessage(madrid, "web", "ya no quiero seguir viviendo"))
    assert "024" in said.replies[0].text and "112" in said.replies[0].text
    # No country to go by: the creditor's home lines, as before.
    fallback = await gateway.receive(InboundMessage(unknown, "web", "I want to end it all"))
    assert "13 11 14" in fallback.replies[0].text
