"""The outbox: stored first, sent once, retried on passing failures, never lost on a crash."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import Allows
from bot.channels.sms import SMSChannel
from bot.db.models import Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain.conversations import open_conversation
from bot.gateway.outbox import LEASE, Outbox
from tests.fakes.twilio_api import FakeTwilio


@pytest.fixture
def twilio():
    fake = FakeTwilio()
    server, url = fake.start()
    yield fake, url
    server.shutdown()


async def _queue(db, number: str, text: str) -> int:
    async with db.transaction() as session:
        conversation = await open_conversation(session, "sms", number, "en")
        message = Message(
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            sender=Sender.BOT,
            channel="sms",
            text=text,
            status=MessageStatus.QUEUED,
        )
        session.add(message)
        await session.flush()
        return message.id


@pytest.fixture
async def outbox(db, twilio):
    sender = SMSChannel("AC" + "0" * 32, "token", "+61480000000", "http://127.0.0.1:9/status", twilio[1])
    yield Outbox(db, {"sms": sender}, backoff_seconds=[0])
    await sender.close()


async def test_a_message_claimed_by_a_worker_that_died_is_sent_after_its_lease(db, twilio, outbox):
    fake, _ = twilio
    message_id = await _queue(db, "+61400000001", "Your plan is set up.")
    now = utcnow()
    await outbox._claim(now, limit=10)  # a worker claims it, then dies before sending

    assert await outbox.deliver_due(now + timedelta(seconds=1)) == 0  # still held by the dead worker
    assert await outbox.deliver_due(now + LEASE + timedelta(seconds=1)) == 1
    assert await outbox.deliver_due(now + 2 * LEASE) == 0
    assert fake.to("+61400000001") == ["Your plan is set up."]
    async with db.session() as session:
        message = await session.get(Message, message_id)
    assert (message.status, message.channel_message_id) == (MessageStatus.SENT, fake.sent[0]["sid"])


async def test_passing_failures_are_retried_and_the_message_is_sent_once(db, twilio, outbox):
    fake, _ = twilio
    await _queue(db, "+61400000002", "Hello")
    fake.fail_next((500, None), (429, None))
    sent = [await outbox.deliver_due(utcnow() + timedelta(seconds=n)) for n in range(4)]
    assert sent == [0, 0, 1, 0]
    assert fake.to("+61400000002") == ["Hello"] and fake.attempts == 3


async def test_a_permanent_refusal_fails_the_message_with_the_providers_reason(db, twilio, outbox):
    fake, _ = twilio
    message_id = await _queue(db, "+61400000003", "Hello")
    fake.fail_next((400, 21211))
    await outbox.deliver_due()
    async with db.session() as session:
        message = await session.scalar(select(Message).where(Message.id == message_id))
    assert (message.status, message.error) == (MessageStatus.FAILED, "invalid_number")


class _Broken:
    """A sender with a bug: it must not hold up the messages of other channels."""

    name = "broken"
    allows = Allows()

    async def send(self, address, text, buttons):
        raise RuntimeError("bug")


async def test_one_channel_failing_unexpectedly_does_not_hold_up_the_others(db, twilio, outbox):
    fake, _ = twilio
    async with db.transaction() as session:
        conversation = await open_conversation(session, "broken", "x", "en")
        session.add(
            Message(
                conversation_id=conversation.id,
                direction=Direction.OUTBOUND,
                sender=Sender.BOT,
                channel="broken",
                text="first",
                status=MessageStatus.QUEUED,
            )
        )
    await _queue(db, "+61400000004", "second")
    outbox.senders["broken"] = _Broken()
    assert await outbox.deliver_due() == 1
    assert fake.to("+61400000004") == ["second"]
