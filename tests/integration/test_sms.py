"""SMS through Twilio: signed webhooks in, the outbox out to a fake of Twilio's REST API."""

import asyncio

import httpx
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.channels.base import Allows
from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Account, Arrangement, Consent, Conversation, Direction, Message, MessageStatus
from tests.integration.phone import Phone
from tests.stack import TWILIO, TWILIO_NUMBER, TWILIO_TOKEN

MIA = DEMO_CUSTOMERS[0]
MARIA = DEMO_CUSTOMERS[2]

# What an SMS customer sends to stop, start again or get help.
SMS_WORDS = Allows().commands


async def _stored(stack, *conditions) -> list[Message]:
    database = stack.database()
    try:
        async with database.session() as session:
            return list(await session.scalars(select(Message).where(*conditions).order_by(Message.id)))
    finally:
        await database.close()


async def test_a_customer_checks_their_balance_and_agrees_a_plan_by_sms(stack, catalog):
    phone = Phone(stack, MIA.phone)
    assert phone.text("hi").status_code == 200
    greeting = (await phone.replies_until(lambda r: len(r) >= 1))[-1]
    assert greeting.endswith("1. Check what I owe\n2. Set up a payment plan\n3. Talk to a person")

    phone.text("2")  # the second option: a payment plan
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)
    phone.text(MIA.reference)
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_date_of_birth", "en").text)
    phone.text("12/04/1988")
    await phone.replies_until(lambda r: r[-1].endswith("1. Weekly\n2. Fortnightly\n3. Monthly"))
    phone.text("2")
    await phone.replies_until(lambda r: "each fortnight" in r[-1])
    phone.text("$100")
    options = (await phone.replies_until(lambda r: "1. 5 fortnightly payments of about $97.30" in r[-1]))[-1]
    # Only fortnightly plans: "no payment is more than you said" holds for every option.
    assert "\n2. 24 fortnightly payments of about $20.28" in options and "3." not in options
    phone.text("1")
    await phone.replies_until(
        lambda r: "Do you agree to this plan?" in r[-1] or "Do you agree" in "".join(r[-2:])
    )
    phone.text("yes")
    texts = await phone.replies_until(lambda r: any("Your plan reference is AR-" in t for t in r))

    database = stack.database()
    try:
        async with database.session() as session:
            [arrangement] = list(
                await session.scalars(
                    select(Arrangement)
                    .join(Account, Account.id == Arrangement.account_id)
                    .where(Account.reference == MIA.reference, Arrangement.conversation_id.is_not(None))
                    .where(Arrangement.frequency == "fortnightly")
                )
            )
    finally:
        await database.close()
    assert any(arrangement.reference in t for t in texts)
    assert [i.amount_minor for i in arrangement.instalments] == [9_730] * 5
    sent = await _stored(
        stack,
        Message.channel == "sms",
        Message.direction == Direction.OUTBOUND,
        Message.channel_message_id.is_not(None),
    )
    assert sent and all(m.status in (MessageStatus.SENT, MessageStatus.DELIVERED) for m in sent)


async def test_a_webhook_with_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(stack):
    phone = Phone(stack, "+61400000111")
    form = {"MessageSid": "SMforged1", "From": phone.number, "To": TWILIO_NUMBER, "Body": "hi"}
    assert phone.post("/webhooks/twilio/sms", form, signature="bad").status_code == 403
    assert httpx.post(f"{stack.api_url}/webhooks/twilio/sms", data=form).status_code == 403
    tampered = RequestValidator(TWILIO_TOKEN).compute_signature(f"{stack.api_url}/webhooks/twilio/sms", form)
    assert (
        phone.post("/webhooks/twilio/sms", form | {"Body": "changed"}, signature=tampered).status_code == 403
    )
    assert await _stored(stack, Message.channel_message_id == "SMforged1") == []


async def test_twilio_retrying_a_webhook_gets_it_processed_once(stack):
    phone = Phone(stack, "+61400000222")
    assert phone.text("hello", sid="SMretry1").status_code == 200
    assert phone.text("hello", sid="SMretry1").status_code == 200
    await phone.replies_until(lambda r: len(r) >= 1)
    await asyncio.sleep(1)
    assert len(TWILIO.to(phone.number)) == 1
    assert len(await _stored(stack, Message.channel_message_id == "SMretry1")) == 1


async def test_a_provider_failing_three_times_then_succeeding_delivers_once(stack):
    phone = Phone(stack, "+61400000333")
    TWILIO.fail_next((500, None), (503, None), (429, None))
    phone.text("hello")
    [greeting] = await phone.replies_until(lambda r: len(r) >= 1)
    await asyncio.sleep(1)
    assert TWILIO.to(phone.number) == [greeting]
    [reply] = await _stored(
        stack,
        Message.channel == "sms",
        Message.direction == Direction.OUTBOUND,
        Message.text == greeting,
        Message.attempts == 3,
    )
    assert reply.status == MessageStatus.SENT


async def test_a_number_twilio_refuses_for_good_is_marked_failed_with_the_reason(stack):
    phone = Phone(stack, "+61400000444")
    TWILIO.fail_next((400, 21610))
    phone.text("hello")
    for _ in range(100):
        failed = await _stored(
            stack,
            Message.channel == "sms",
            Message.status == MessageStatus.FAILED,
            Message.error == "unsubscribed",
        )
        if failed:
            break
        await asyncio.sleep(0.1)
    assert failed and TWILIO.to(phone.number) == []


async def test_stop_is_honoured_before_the_assistant_and_confirmed_once(stack, catalog):
    phone = Phone(stack, MARIA.phone)
    phone.text("STOP")
    # Maria's profile says Tagalog: the one confirmation is in Tagalog.
    assert await phone.replies_until(lambda r: len(r) >= 1) == [
        catalog.render("utter_opted_out", "tl", SMS_WORDS).text
    ]
    phone.text("what do I owe")  # a reply would be a new contact: it must not be sent
    await asyncio.sleep(2)
    assert len(TWILIO.to(phone.number)) == 1
    [unanswered] = await _stored(
        stack,
        Message.text == "what do I owe",
        Message.conversation_id.in_(
            select(Conversation.id).where(Conversation.channel_user_id == phone.number)
        ),
    )
    assert (unanswered.status, unanswered.error) == (MessageStatus.NOT_ANSWERED, "opted_out"), (
        "not sent to the assistant, the reason on record"
    )
    database = stack.database()
    try:
        async with database.session() as session:
            assert (
                await session.scalar(
                    select(func.count())
                    .select_from(Consent)
                    .where(Consent.address == MARIA.phone, Consent.opted_out.is_(True))
                )
                == 1
            )
    finally:
        await database.close()
    # She wrote in English since ("what do I owe"): her profile was only a guess, so English it is.
    phone.text("START")
    await phone.replies_until(lambda r: r[-1] == catalog.render("sms_resubscribed", "en", SMS_WORDS).text)


async def test_delivery_receipts_update_the_stored_message(stack):
    phone = Phone(stack, "+61400000555")
    phone.text("hello")
    await phone.replies_until(lambda r: len(r) >= 1)
    sid = TWILIO.sent[-1]["sid"]
    receipt = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert phone.post("/webhooks/twilio/status", receipt).status_code == 204
    [message] = await _stored(stack, Message.channel_message_id == sid)
    assert message.status == MessageStatus.DELIVERED
    assert phone.post("/webhooks/twilio/status", receipt | {"MessageStatus": "sent"}).status_code == 204
    [message] = await _stored(stack, Message.channel_message_id == sid)
    assert message.status == MessageStatus.DELIVERED, "a late 'sent' must not undo 'delivered'"
