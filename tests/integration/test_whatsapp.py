"""WhatsApp through Twilio: numbered options, and the 24-hour customer-service window."""

import asyncio
import json
from datetime import timedelta

import httpx
from twilio.request_validator import RequestValidator

from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain.consent import opt_in
from bot.domain.conversations import open_conversation
from tests.stack import TWILIO, TWILIO_TOKEN, WHATSAPP_NUMBER, WHATSAPP_TEMPLATE, eventually

BUDI = DEMO_CUSTOMERS[1]


def _whatsapp(stack, number: str, body: str, sid: str) -> httpx.Response:
    url = f"{stack.api_url}/webhooks/twilio/whatsapp"
    form = {
        "MessageSid": sid,
        "From": f"whatsapp:{number}",
        "To": f"whatsapp:{WHATSAPP_NUMBER}",
        "Body": body,
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


async def test_a_whatsapp_customer_gets_replies_with_numbered_options_in_one_message(stack, catalog):
    # Budi's profile says Indonesian, and "hello" says nothing about language: he is answered in Indonesian.
    assert _whatsapp(stack, BUDI.phone, "hello", "SMwa1").status_code == 200
    [greeting] = await eventually(lambda: TWILIO.to(f"whatsapp:{BUDI.phone}"), lambda r: len(r) >= 1)
    rendered = catalog.render("utter_greet", "id")
    assert greeting.startswith(rendered.text)
    assert greeting.endswith("\n".join(f"{n}. {b.title}" for n, b in enumerate(rendered.buttons, start=1)))
    sent = [m for m in TWILIO.sent if m["To"] == f"whatsapp:{BUDI.phone}"]
    assert sent[0]["From"] == f"whatsapp:{WHATSAPP_NUMBER}"


async def _queue_after_window(stack, number: str, text: str, opted_in: bool) -> int:
    """A message for a customer who last wrote 25 hours ago (an agent's late reply, say)."""
    database = stack.database()
    try:
        async with database.transaction() as session:
            conversation = await open_conversation(session, "whatsapp", number, "en")
            session.add(
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.INBOUND,
                    sender=Sender.CUSTOMER,
                    channel="whatsapp",
                    text="hi",
                    status=MessageStatus.ANSWERED,
                    created_at=utcnow() - timedelta(hours=25),
                )
            )
            if opted_in:
                await opt_in(session, "whatsapp", number)
            message = Message(
                conversation_id=conversation.id,
                direction=Direction.OUTBOUND,
                sender=Sender.AGENT,
                channel="whatsapp",
                text=text,
                status=MessageStatus.QUEUED,
            )
            session.add(message)
            await session.flush()
            return message.id
    finally:
        await database.close()


async def _status(stack, message_id: int) -> tuple[MessageStatus, str | None]:
    database = stack.database()
    try:
        async with database.session() as session:
            message = await session.get(Message, message_id)
            return message.status, message.error
    finally:
        await database.close()


async def test_outside_the_window_without_opt_in_nothing_is_sent(stack):
    message_id = await _queue_after_window(
        stack, "+61400000666", "Following up on your request.", opted_in=False
    )
    for _ in range(100):  # the outbox worker polls every 0.2 s in the test stack
        status = await _status(stack, message_id)
        if status[0] != MessageStatus.QUEUED:
            break
        await asyncio.sleep(0.1)
    assert status == (MessageStatus.FAILED, "window_closed_no_opt_in")
    assert TWILIO.to("whatsapp:+61400000666") == []


async def test_outside_the_window_with_opt_in_the_approved_template_is_sent(stack):
    await _queue_after_window(stack, "+61400000777", "Following up on your request.", opted_in=True)
    [sent] = await eventually(
        lambda: [m for m in TWILIO.sent if m["To"] == "whatsapp:+61400000777"], lambda r: len(r) >= 1
    )
    assert sent["ContentSid"] == WHATSAPP_TEMPLATE and "Body" not in sent
    assert json.loads(sent["ContentVariables"]) == {"1": "Following up on your request."}


async def test_a_photo_without_a_caption_is_answered_gently(stack, catalog):
    # Twilio posts an empty Body for media alone; the assistant cannot read it, and says so kindly.
    number = "+6281234500077"
    assert _whatsapp(stack, number, "", "SMwaPhoto1").status_code == 200
    [reply] = await eventually(lambda: TWILIO.to(f"whatsapp:{number}"), lambda r: len(r) >= 1)
    assert reply == catalog.render("utter_rephrase", "en").text
