"""Generated conversations on four channels at once hold a customer's state, through the real stack.

One customer writes by SMS and WhatsApp (their number is on record), on Telegram (a signed deep link) and in
the web chat, in any order, with ordinary messages, STOP/START/HELP, 👍, a crisis, a request for a
person and a wrong number. Whatever the order:
- no turn is silent, except after an opt-out's confirmation (and then the reason is on record);
- each opt-out is confirmed exactly once, and nothing but START/HELP answers follows it;
- once the customer is paused for care, nothing from the assistant reaches them on any channel.
"""

import asyncio
import itertools
import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from websockets.sync.client import connect

from bot.db.models import Conversation, Customer
from tests.integration.customers import (
    add_customer,
    deep_link,
    messages_of,
    money_while_paused,
    opt_out_breaches,
    silent_turns,
)
from tests.integration.phone import Phone
from tests.integration.telegram_chat import TelegramChat

SAID = [
    "hi",
    "what do I owe?",
    "can I pay in instalments?",
    "STOP",
    "START",
    "HELP",
    "👍",
    "ok",
    "thanks",
    "1",
    "I want to talk to a person",
    "wrong number",
    "I can't go on anymore, I want to end it",
]
CHANNELS = ["sms", "whatsapp", "telegram", "web"]
CHAT_IDS = itertools.count(8_000)


class WebCustomer:
    """The widget's protocol with a blocking WebSocket client (hypothesis drives plain functions)."""

    def __init__(self, ws_url: str) -> None:
        self.socket = connect(ws_url)
        self.session = json.loads(self.socket.recv(timeout=30))
        json.loads(self.socket.recv(timeout=30))  # the history

    def say(self, text: str) -> None:
        frame = {
            "session": self.session["session"],
            "type": "message",
            "text": text,
            "client_id": str(uuid.uuid4()),
        }
        self.socket.send(json.dumps(frame))
        while True:
            frame = json.loads(self.socket.recv(timeout=60))
            if frame["type"] == "typing" and not frame["on"]:
                return

    def close(self) -> None:
        self.socket.close()


def _run(coroutine):
    return asyncio.run(coroutine)


async def _state(stack, customer_id: int, web_conversation: str) -> list[tuple[list, object]]:
    """Each conversation's messages, and since when nothing about money may reach it: the customer's
    care pause where the conversation is theirs, else its own first crisis (an unverified web visitor)."""
    database = stack.database()
    try:
        async with database.session() as session:
            linked = set(
                await session.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id))
            )
            paused_at = await session.scalar(
                select(Customer.care_paused_at).where(Customer.id == customer_id)
            )
    finally:
        await database.close()
    states = []
    for conversation in {*linked, web_conversation}:
        messages = await messages_of(stack, conversation)
        crisis = next((m.created_at for m in messages if m.vulnerability_cue == "suicide_risk"), None)
        states.append((messages, paused_at if conversation in linked else crisis))
    return states


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(CHANNELS), st.sampled_from(SAID)), min_size=3, max_size=8))
def test_any_order_of_messages_on_any_channel_keeps_the_customers_state(stack, catalog, steps):
    customer, _ = _run(add_customer(stack))
    phones = {channel: Phone(stack, customer.phone_e164, channel) for channel in ("sms", "whatsapp")}
    telegram = TelegramChat(stack, next(CHAT_IDS))
    assert telegram.say(f"/start {_run(deep_link(stack, customer.id))}").status_code == 200
    web = WebCustomer(stack.ws_url)
    try:
        for channel, said in steps:
            if channel in phones:
                assert phones[channel].text(said).status_code == 200
            elif channel == "telegram":
                assert telegram.say(said).status_code == 200
            else:
                web.say(said)
    finally:
        web.close()

    for messages, paused_at in _run(_state(stack, customer.id, web.session["conversation_id"])):
        transcript = [(m.direction.value, m.text[:60], m.status.value, m.error, m.purpose) for m in messages]
        assert silent_turns(messages) == [], f"silent turns in {transcript}"
        assert opt_out_breaches(messages, catalog) == [], f"opt-out not honoured in {transcript}"
        assert money_while_paused(messages, paused_at) == [], (
            f"the assistant spoke during a care pause: {transcript}"
        )
