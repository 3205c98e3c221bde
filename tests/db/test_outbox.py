"""The outbox: stored first, sent once, retried on passing failures, never lost on a crash."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import Allows
from bot.channels.sms import SMSChannel
from bot.db.models import Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain.conversations import open_conversation
from bot.gateway.outbox import LEASE, MAX_ATTEMPTS, Outbox
from bot.people.console_view import supervisor_view
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
    await outbox._claim(now, 10, ["sms"])  # a worker claims it, then dies before sending

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


class _Silent:
    """A provider that takes the request and never answers."""

    name = "silent"
    allows = Allows()

    async def send(self, address, text, buttons):
        await asyncio.sleep(3600)


async def _queue_on(db, channel: str, text: str) -> int:
    async with db.transaction() as session:
        conversation = await open_conversation(session, channel, f"{channel}-chat", "en")
        message = Message(
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            sender=Sender.BOT,
            channel=channel,
            text=text,
            status=MessageStatus.QUEUED,
        )
        session.add(message)
        await session.flush()
        return message.id


async def test_a_provider_that_never_answers_holds_up_only_its_own_channel_and_counts_an_attempt(
    db, twilio, outbox
):
    fake, _ = twilio
    outbox.senders["silent"] = _Silent()
    outbox.send_timeout = timedelta(seconds=0.5)
    stuck = await _queue_on(db, "silent", "to a provider that hangs")
    await _queue(db, "+61400000005", "to a provider that answers")
    hanging = asyncio.create_task(outbox.deliver_due(channel="silent"))
    assert await outbox.deliver_due(channel="sms") == 1
    assert fake.to("+61400000005") == ["to a provider that answers"] and not hanging.done()
    assert await hanging == 0, "the call is given up on after the timeout"
    async with db.session() as session:
        message = await session.get(Message, stuck)
    assert (message.status, message.attempts, message.claimed_until) == (MessageStatus.QUEUED, 1, None)
    assert message.error == "silent did not answer"


async def test_a_message_that_keeps_failing_unexpectedly_ends_as_a_dead_letter(db, outbox):
    outbox.senders["broken"] = _Broken()
    message_id = await _queue_on(db, "broken", "never deliverable")
    for n in range(MAX_ATTEMPTS + 2):
        await outbox.deliver_due(utcnow() + timedelta(seconds=n), channel="broken")
    async with db.session() as session:
        message = await session.get(Message, message_id)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)
    assert message.error == "unexpected RuntimeError"
    async with db.session() as session:
        view = await supervisor_view(session, utcnow())
    assert [(u["channel"], u["error"]) for u in view["undelivered"]] == [
        ("broken", "unexpected RuntimeError")
    ]


async def test_a_message_another_worker_took_over_is_not_sent_twice(db, twilio, outbox):
    fake, _ = twilio
    message_id = await _queue(db, "+61400000006", "once only")
    now = utcnow()
    stale = await outbox._claim(now, 10, ["sms"])  # worker A's batch, which then took too long
    async with db.transaction() as session:  # A's lease ran out and worker B claimed the message
        (await session.get(Message, message_id)).claimed_until = now + 2 * LEASE

    async def batch_of_worker_a(*_):
        return stale

    outbox._claim = batch_of_worker_a
    assert await outbox.deliver_due(now) == 0, "A sees the message is no longer its own"
    assert fake.to("+61400000006") == []


async def test_two_workers_claiming_at_the_same_moment_send_each_message_once(db, twilio, outbox):
    """Two api processes on one database (SQLite has no row locks): each message is claimed by one."""
    fake, _ = twilio
    for n in range(5):
        await _queue(db, "+61400000007", f"message {n}")
    now = utcnow()
    first, second = await asyncio.gather(outbox._claim(now, 10, ["sms"]), outbox._claim(now, 10, ["sms"]))
    assert sorted(row[0] for row in first + second) == sorted({row[0] for row in first + second})
    assert len(first) + len(second) == 5
