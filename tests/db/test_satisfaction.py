"""The satisfaction question through the gateway, on a real database, with a stand-in for the
assistant that says what the test tells it (its goodbye, or anything else)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.db.demo_data import seed_if_empty
from bot.db.models import (
    Account,
    Conversation,
    Customer,
    Direction,
    Handoff,
    Message,
    MessageStatus,
    SatisfactionSurvey,
)
from bot.db.types import utcnow
from bot.domain.consent import opt_out
from bot.domain.conversations import open_conversation, transcript
from bot.gateway.assistant import BotReply
from bot.gateway.intake import InboundMessage
from bot.gateway.replies import Purpose
from bot.gateway.satisfaction import Facts, read_facts

MIA_PHONE = "+61412345678"


class Assistant:
    """What the assistant says next, and what it was given."""

    def __init__(self, catalog) -> None:
        self.catalog = catalog
        self.heard: list[str] = []
        self.next: list[BotReply] = []

    def goodbye(self, language: str = "en") -> None:
        self.next = [BotReply(self.catalog.render("utter_goodbye", language).text)]

    def says(self, text: str) -> None:
        self.next = [BotReply(text)]

    async def send(self, sender_id, text, metadata):
        self.heard.append(text)
        return self.next


@pytest.fixture
def assistant(gateway, catalog, monkeypatch) -> Assistant:
    fake = Assistant(catalog)
    monkeypatch.setattr(gateway.rasa, "send", fake.send)
    return fake


async def _conversation(db, channel="web", language="en", verified=True) -> str:
    """A conversation with Mia (a demo customer), her identity checked in this session or not."""
    async with db.transaction() as session:
        await seed_if_empty(session)
        conversation = await open_conversation(
            session, channel, MIA_PHONE if channel == "sms" else None, language
        )
        account = await session.scalar(select(Account).where(Account.reference == "CN-100234"))
        conversation.customer_id = account.customer_id
        if verified:
            conversation.verified_account_id, conversation.verified_at = account.id, utcnow()
        return conversation.id


async def _say(gateway, conversation_id, text, channel="web"):
    return await gateway.receive(InboundMessage(conversation_id, channel, text))


async def _surveys(db, conversation_id) -> list[SatisfactionSurvey]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(SatisfactionSurvey)
                .where(SatisfactionSurvey.conversation_id == conversation_id)
                .order_by(SatisfactionSurvey.id)
            )
        )


async def _asked(db, conversation_id) -> list[str]:
    async with db.session() as session:
        return [
            m.text
            for m in await transcript(session, conversation_id)
            if m.direction == Direction.OUTBOUND and m.purpose == Purpose.CSAT.value
        ]


async def _end(gateway, assistant, conversation_id, said="no thanks, that's all", channel="web"):
    assistant.goodbye()
    return await _say(gateway, conversation_id, said, channel)


async def test_a_served_customer_who_says_goodbye_gets_one_question_after_the_goodbye(
    gateway, db, assistant, catalog
):
    conversation_id = await _conversation(db)
    delivery = await _end(gateway, assistant, conversation_id)

    question = catalog.render("csat_question", "en")
    assert [r.text for r in delivery.replies] == [catalog.render("utter_goodbye", "en").text, question.text]
    assert delivery.replies[-1].purpose == Purpose.CSAT.value
    assert [b["payload"] for b in delivery.replies[-1].buttons] == [f"/csat_{n}" for n in range(1, 6)]
    [survey] = await _surveys(db, conversation_id)
    assert (survey.channel, survey.language, survey.score, survey.answered_at) == ("web", "en", None, None)
    assert survey.asked_at is not None


@pytest.mark.parametrize(
    ("channel", "answer"),
    [("sms", "4"), ("web", "/csat_4"), ("web", "４"), ("web", "four"), ("web", "Good")],
    ids=["typed number", "button", "full-width digit", "in words", "the option's words"],
)
async def test_an_answer_is_stored_thanked_for_and_never_reaches_the_assistant(
    gateway, db, assistant, catalog, channel, answer
):
    conversation_id = await _conversation(db, channel=channel)
    await _end(gateway, assistant, conversation_id, channel=channel)
    heard_before = list(assistant.heard)

    delivery = await _say(gateway, conversation_id, answer, channel)

    assert [r.text for r in delivery.replies] == [catalog.render("csat_thanks", "en").text]
    assert assistant.heard == heard_before, f"the assistant was given {assistant.heard[-1]!r}"
    [survey] = await _surveys(db, conversation_id)
    assert survey.score == 4 and survey.answered_at is not None
    async with db.session() as session:
        inbound = await session.get(Message, delivery.inbound_id)
    assert inbound.status == MessageStatus.ANSWERED


async def test_a_spanish_customer_is_asked_and_thanked_in_spanish(gateway, db, assistant, catalog):
    conversation_id = await _conversation(db, language="es")
    assistant.goodbye("es")
    asked = await _say(gateway, conversation_id, "no, eso es todo, gracias")
    thanked = await _say(gateway, conversation_id, "cinco")

    assert asked.replies[-1].text == catalog.render("csat_question", "es").text
    assert [r.text for r in thanked.replies] == [catalog.render("csat_thanks", "es").text]
    [survey] = await _surveys(db, conversation_id)
    assert (survey.language, survey.score) == ("es", 5)


async def test_anything_else_after_the_question_goes_to_the_assistant_and_leaves_it_unanswered(
    gateway, db, assistant, catalog
):
    conversation_id = await _conversation(db)
    await _end(gateway, assistant, conversation_id)
    assistant.says(catalog.render("utter_you_are_welcome", "en").text)

    delivery = await _say(gateway, conversation_id, "thanks again")

    assert assistant.heard[-1] == "thanks again"
    assert [r.text for r in delivery.replies] == [catalog.render("utter_you_are_welcome", "en").text]
    [survey] = await _surveys(db, conversation_id)
    assert (survey.score, survey.answered_at) == (None, None)


async def test_a_number_once_the_conversation_moved_on_is_the_assistants_as_typed(
    gateway, db, assistant, catalog
):
    conversation_id = await _conversation(db, channel="sms")
    await _end(gateway, assistant, conversation_id, channel="sms")
    assistant.says("Sure. What can I help you with?")
    await _say(gateway, conversation_id, "actually one more thing", "sms")

    await _say(gateway, conversation_id, "1", "sms")

    assert assistant.heard[-1] == "1", "the question's first option would have been sent to the assistant"
    [survey] = await _surveys(db, conversation_id)
    assert survey.score is None


async def test_a_second_score_right_after_the_thanks_keeps_the_first(gateway, db, assistant):
    conversation_id = await _conversation(db)
    await _end(gateway, assistant, conversation_id)
    await _say(gateway, conversation_id, "/csat_2")
    again = await _say(gateway, conversation_id, "/csat_5")

    assert again.replies == []
    [survey] = await _surveys(db, conversation_id)
    assert survey.score == 2
    async with db.session() as session:
        inbound = await session.get(Message, again.inbound_id)
    assert (inbound.status, inbound.error) == (MessageStatus.NOT_ANSWERED, "survey_already_answered")
    assert assistant.heard[-1] == "no thanks, that's all"


async def test_a_question_more_than_a_day_old_is_no_longer_answered(gateway, db, assistant):
    conversation_id = await _conversation(db)
    await _end(gateway, assistant, conversation_id)
    async with db.transaction() as session:
        await session.execute(
            update(SatisfactionSurvey)
            .where(SatisfactionSurvey.conversation_id == conversation_id)
            .values(asked_at=utcnow() - timedelta(hours=25))
        )
    assistant.says("Sorry, could you say that another way?")
    await _say(gateway, conversation_id, "4")
    assert assistant.heard[-1] == "4"
    [survey] = await _surveys(db, conversation_id)
    assert survey.score is None


async def test_asked_at_most_once_a_day_in_a_conversation(gateway, db, assistant):
    conversation_id = await _conversation(db)
    await _end(gateway, assistant, conversation_id)
    await _say(gateway, conversation_id, "/csat_4")
    await _end(gateway, assistant, conversation_id, said="bye")
    assert len(await _asked(db, conversation_id)) == 1, "asked twice in a day"

    async with db.transaction() as session:
        await session.execute(
            update(SatisfactionSurvey)
            .where(SatisfactionSurvey.conversation_id == conversation_id)
            .values(asked_at=utcnow() - timedelta(hours=25))
        )
    await _end(gateway, assistant, conversation_id, said="bye")
    assert len(await _asked(db, conversation_id)) == 2, "not asked again the next day"


async def test_a_customer_who_never_got_past_a_greeting_is_not_asked(gateway, db, assistant):
    conversation_id = await _conversation(db, verified=False)
    assistant.says("Hi, I'm Concord, an automated assistant.")
    await _say(gateway, conversation_id, "hi")
    await _end(gateway, assistant, conversation_id, said="bye")
    assert await _asked(db, conversation_id) == []
    assert await _surveys(db, conversation_id) == []


async def test_after_a_care_cue_in_the_conversation_nobody_is_asked(gateway, db, assistant):
    conversation_id = await _conversation(db)
    await _say(gateway, conversation_id, "I've been really sick, I was in hospital for weeks")
    async with db.session() as session:
        cues = [
            m.vulnerability_cue for m in await transcript(session, conversation_id) if m.vulnerability_cue
        ]
    assert cues, "the message was not read as a care cue; pick another"
    await _end(gateway, assistant, conversation_id)
    assert await _asked(db, conversation_id) == []


async def test_a_recent_crisis_handoff_of_the_number_means_no_question_an_old_one_does_not(
    gateway, db, assistant
):
    conversation_id = await _conversation(db, channel="sms")
    async with db.transaction() as session:
        earlier = await open_conversation(session, "whatsapp", MIA_PHONE, "en")  # the same number
        handoff = Handoff(
            conversation_id=earlier.id,
            reason="crisis",
            priority=1,
            status="closed",
            created_at=utcnow() - timedelta(days=3),
            ended_at=utcnow() - timedelta(days=3),
        )
        session.add(handoff)
    await _end(gateway, assistant, conversation_id, channel="sms")
    assert await _asked(db, conversation_id) == []

    async with db.transaction() as session:
        await session.execute(
            update(Handoff).where(Handoff.id == handoff.id).values(created_at=utcnow() - timedelta(days=40))
        )
    await _end(gateway, assistant, conversation_id, said="bye", channel="sms")
    assert len(await _asked(db, conversation_id)) == 1


async def test_while_a_person_has_the_conversation_nobody_is_asked(gateway, db, assistant):
    conversation_id = await _conversation(db)
    async with db.transaction() as session:
        # A hardship review waits for a person while the assistant still talks.
        session.add(Handoff(conversation_id=conversation_id, reason="hardship", priority=4, bot_paused=False))
    await _end(gateway, assistant, conversation_id)
    assert await _asked(db, conversation_id) == []


async def test_an_opt_out_a_care_pause_and_a_pending_consent_question_are_read_from_the_database(db):
    """None of them lets the assistant say goodbye through the gateway (an opted-out address and a
    customer paused for care are not given to the assistant, a consent question is dropped by the
    next message), so they are read directly: the rule holds even when another process records
    one while the assistant answers."""
    conversation_id = await _conversation(db)
    async with db.transaction() as session:
        await opt_out(session, "web", conversation_id, "keyword")
        conversation = await session.get(Conversation, conversation_id)
        conversation.pending_consent = "serious_illness"
        customer = await session.get(Customer, conversation.customer_id)
        customer.care_pause, customer.care_paused_at = "bereavement", utcnow()
    async with db.session() as session:
        facts = await read_facts(session, await session.get(Conversation, conversation_id), utcnow())
    assert facts == Facts(served=True, opted_out=True, care_pause=True, consent_pending=True)


async def test_a_conversation_with_nothing_against_it_reads_as_served_and_clear(db):
    conversation_id = await _conversation(db)
    async with db.session() as session:
        facts = await read_facts(session, await session.get(Conversation, conversation_id), utcnow())
    assert facts == Facts(served=True)
