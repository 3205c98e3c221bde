"""The gateway stores every message first and loses none when the assistant is unreachable."""

import pytest
from sqlalchemy import select

from bot.db.models import Conversation, Direction, Message, MessageStatus, Sender
from bot.domain.conversations import open_conversation, sentiment_trend, transcript
from bot.gateway.intake import InboundMessage, UnknownConversation


@pytest.fixture
async def conversation_id(db) -> str:
    async with db.transaction() as session:
        return (await open_conversation(session, "web", "web", "en")).id


async def _messages(db, conversation_id) -> list[Message]:
    async with db.session() as session:
        return await transcript(session, conversation_id)


async def test_when_the_assistant_is_down_the_customer_is_told_kindly_once_and_messages_wait(
    gateway, db, conversation_id, catalog
):
    first = await gateway.receive(InboundMessage(conversation_id, "web", "hi", "c1"))
    second = await gateway.receive(InboundMessage(conversation_id, "web", "are you there?", "c2"))

    assert [r.text for r in first.replies] == [catalog.render("gateway_delayed", "en").text]
    assert second.replies == []
    stored = await _messages(db, conversation_id)
    inbound = [m for m in stored if m.direction == Direction.INBOUND]
    assert [(m.text, m.status) for m in inbound] == [
        ("hi", MessageStatus.PENDING),
        ("are you there?", MessageStatus.PENDING),
    ]
    assert [m.sender for m in stored if m.direction == Direction.OUTBOUND] == [Sender.SYSTEM]


async def test_waiting_messages_keep_waiting_while_the_assistant_stays_down(gateway, db, conversation_id):
    await gateway.receive(InboundMessage(conversation_id, "web", "hi", "c1"))
    assert await gateway.answer_pending() == {}
    [inbound] = [m for m in await _messages(db, conversation_id) if m.direction == Direction.INBOUND]
    assert inbound.status == MessageStatus.PENDING
    assert inbound.attempts == 0  # being unreachable says nothing about the message itself


async def test_a_process_that_lost_the_assistant_never_takes_back_a_message_another_answered(
    gateway, db, conversation_id
):
    """Two api processes: this one read the message, then the assistant stopped answering it;
    meanwhile the other one answered it. Putting it back to waiting would answer it twice."""
    await gateway.receive(InboundMessage(conversation_id, "web", "hi", "c1"))
    [inbound] = [m for m in await _messages(db, conversation_id) if m.direction == Direction.INBOUND]
    async with db.transaction() as session:
        (await session.get(Message, inbound.id)).status = MessageStatus.ANSWERED  # the other process
        conversation = await session.get(Conversation, conversation_id)
    told = await gateway.turn._hold(conversation, [inbound], tell_customer=True, failed=True)
    assert told == []
    [after] = [m for m in await _messages(db, conversation_id) if m.direction == Direction.INBOUND]
    assert (after.status, after.attempts) == (MessageStatus.ANSWERED, 0)
    assert await gateway.answer_pending() == {}


async def test_a_provider_retry_of_the_same_message_is_stored_once(gateway, db, conversation_id):
    first = await gateway.receive(InboundMessage(conversation_id, "web", "hi", "same-id"))
    again = await gateway.receive(InboundMessage(conversation_id, "web", "hi", "same-id"))

    assert again.duplicate and again.inbound_id == first.inbound_id
    assert [r.id for r in again.replies] == [r.id for r in first.replies]
    inbound = [m for m in await _messages(db, conversation_id) if m.direction == Direction.INBOUND]
    assert len(inbound) == 1


async def test_an_over_long_message_is_kept_but_not_sent_to_the_assistant(gateway, db, conversation_id):
    delivery = await gateway.receive(InboundMessage(conversation_id, "web", "x" * 51, "long"))

    assert delivery.rejected == "too_long" and delivery.replies == []
    [stored] = await _messages(db, conversation_id)
    assert (stored.status, stored.error) == (MessageStatus.REJECTED, "too_long")
    assert stored.text == "x" * 50 + "…", "what fits and a mark, not the whole of it"


async def test_a_frame_we_could_not_read_is_still_on_record(gateway, db, conversation_id):
    message_id = await gateway.record_rejected(conversation_id, "web", "", "invalid_json")
    async with db.session() as session:
        stored = await session.scalar(select(Message).where(Message.id == message_id))
    assert (stored.text, stored.status, stored.error) == ("", MessageStatus.REJECTED, "invalid_json")


async def test_a_message_for_a_conversation_that_does_not_exist_is_refused(gateway):
    with pytest.raises(UnknownConversation):
        await gateway.receive(InboundMessage("no-such-conversation", "web", "hi"))


async def _conversation_language(db, conversation_id) -> tuple[str, str]:
    async with db.session() as session:
        conversation = await session.get(Conversation, conversation_id)
        return conversation.language, conversation.language_source


async def test_a_first_message_in_another_language_switches_the_conversation_to_it(
    gateway, db, conversation_id
):
    delivery = await gateway.receive(
        InboundMessage(conversation_id, "web", "halo, saya mau cek tagihan saya")
    )
    assert await _conversation_language(db, conversation_id) == ("id", "detected")
    assert [r.language for r in delivery.replies] == ["id"], "the customer is answered in their language"
    [stored] = [m for m in await _messages(db, conversation_id) if m.direction == Direction.INBOUND]
    assert (stored.detected_language, stored.language) == ("id", "id")


@pytest.mark.parametrize("said", ["ok", "1", "ya", "👍", "Maria", "CN-100234", "50", "😊😊"])
async def test_a_message_that_says_nothing_about_language_never_switches_it(
    gateway, db, conversation_id, said
):
    await gateway.receive(InboundMessage(conversation_id, "web", "could you tell me what I owe please"))
    await gateway.receive(InboundMessage(conversation_id, "web", said))
    assert (await _conversation_language(db, conversation_id))[0] == "en"


async def test_a_chosen_language_changes_only_when_two_messages_in_a_row_say_so(gateway, db):
    async with db.transaction() as session:
        conversation = await open_conversation(session, "web", "web", "ja", language_source="picker")
    await gateway.receive(InboundMessage(conversation.id, "web", "how much do I need to pay"))
    after_one = await _conversation_language(db, conversation.id)
    await gateway.receive(InboundMessage(conversation.id, "web", "ok"))
    await gateway.receive(InboundMessage(conversation.id, "web", "can I pay next friday instead"))
    after_a_gap = await _conversation_language(db, conversation.id)
    await gateway.receive(InboundMessage(conversation.id, "web", "I want to set up a payment plan"))
    assert after_one == ("ja", "picker")
    assert after_a_gap == ("ja", "picker"), "an unclear message in between breaks the run"
    assert await _conversation_language(db, conversation.id) == ("en", "detected")


async def test_every_customer_message_is_stored_with_how_it_feels(gateway, db, conversation_id):
    await gateway.receive(InboundMessage(conversation_id, "web", "thank you so much, that really helps"))
    await gateway.receive(InboundMessage(conversation_id, "web", "this is ridiculous, I'm so angry"))
    inbound = [m for m in await _messages(db, conversation_id) if m.direction == Direction.INBOUND]
    assert [m.sentiment_label for m in inbound] == ["positive", "negative"]
    assert inbound[0].sentiment_score > 0 > inbound[1].sentiment_score
    async with db.session() as session:
        trend = await sentiment_trend(session, conversation_id)
    assert trend == round((inbound[0].sentiment_score + inbound[1].sentiment_score) / 2, 3)
