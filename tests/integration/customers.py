"""Customers of the integration tests' own, so what one test does to a customer (a care pause,
an opt-out) reaches no other test; and the checks every conversation must pass."""

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.db.models import (
    Account,
    AccountStatus,
    Customer,
    Direction,
    Message,
    MessageStatus,
    Sender,
)
from bot.db.protection import protection
from bot.domain.deep_links import create_link
from bot.gateway.replies import SENT_AFTER_OPT_OUT, Purpose
from bot.i18n import Catalog
from tests.integration.chat_client import ChatClient, bot_texts

_NUMBERS = itertools.count(int(datetime.now(UTC).timestamp()) % 1_000_000)


async def add_customer(stack, language: str = "en", jurisdiction: str = "AU") -> tuple[Customer, Account]:
    """A new customer with an Australian mobile number and one past-due account in AUD."""
    n = next(_NUMBERS)
    database = stack.database()
    try:
        async with database.transaction() as session:
            customer = Customer(
                full_name="Alex Rivera",
                date_of_birth_digest=protection().birth_digest(date(1990, 3, 14)),
                phone_e164=f"+614{n % 100_000_000:08d}",
                language=language,
                locale={"en": "en_AU", "es": "es_US"}.get(language, "en_AU"),
                timezone="Australia/Sydney",
                jurisdiction=jurisdiction,
            )
            session.add(customer)
            await session.flush()
            account = Account(
                customer_id=customer.id,
                reference=f"CN-9{n % 100_000:05d}",
                product="Mobile plan",
                currency="AUD",
                balance_minor=32_000,
                overdue_minor=8_000,
                minimum_payment_minor=2_000,
                fees_minor=0,
                due_date=(datetime.now(UTC) - timedelta(days=12)).date(),
                status=AccountStatus.PAST_DUE,
            )
            session.add(account)
        return customer, account
    finally:
        await database.close()


async def query(stack, statement):
    database = stack.database()
    try:
        async with database.session() as session:
            return list(await session.scalars(statement))
    finally:
        await database.close()


async def messages_of(stack, *conversation_ids: str) -> list[Message]:
    database = stack.database()
    try:
        async with database.session() as session:
            return list(
                await session.scalars(
                    select(Message).where(Message.conversation_id.in_(conversation_ids)).order_by(Message.id)
                )
            )
    finally:
        await database.close()


def silent_turns(messages: list[Message]) -> list[str]:
    """Customer messages that got no reply and have no reason on record for it."""
    answered = {m.reply_to_id for m in messages if m.direction == Direction.OUTBOUND}
    return [
        m.text
        for m in messages
        if m.direction == Direction.INBOUND
        and m.id not in answered
        and not (m.status in (MessageStatus.NOT_ANSWERED, MessageStatus.WITH_PERSON) and m.error)
    ]


def confirmations(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.purpose == Purpose.OPT_OUT_CONFIRMATION.value]


def opt_out_breaches(messages: list[Message], catalog: Catalog) -> list[str]:
    """One conversation's messages in order: a second confirmation without a START between, or
    anything but a START/HELP answer to an address after its opt-out was confirmed."""
    opted_out, breaches = False, []
    for message in messages:
        if message.direction == Direction.INBOUND:
            said = message.text.split(" ")[0] if message.text.startswith("/") else message.text
            if said == "/start" or catalog.keyword("sms_keywords", said, "en", anywhere=True) == "start":
                opted_out = False
        elif message.purpose == Purpose.OPT_OUT_CONFIRMATION.value:
            if opted_out:
                breaches.append(f"a second confirmation: {message.text}")
            opted_out = True
        elif (
            opted_out and message.purpose not in SENT_AFTER_OPT_OUT and message.status != MessageStatus.FAILED
        ):
            breaches.append(f"sent after the opt-out: {message.text}")
    return breaches


def money_while_paused(messages: list[Message], paused_at: datetime | None) -> list[str]:
    """What the assistant got out to the customer after a care pause began (it may only be held)."""
    if paused_at is None:
        return []
    return [
        m.text
        for m in messages
        if m.sender == Sender.BOT
        and m.created_at >= paused_at
        and m.status in (MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED)
    ]


async def deep_link(stack, customer_id: int, lifetime: timedelta = timedelta(days=7)) -> str:
    """A Telegram /start payload for the customer, as `make telegram-link` makes one."""
    database = stack.database()
    try:
        async with database.transaction() as session:
            return await create_link(session, customer_id, "telegram", lifetime, datetime.now(UTC))
    finally:
        await database.close()


async def ask_balance(stack, account) -> tuple[str, list[str]]:
    """A new web chat asking what is owed on an account made by `add_customer`, with its owner's
    details: the conversation's id and what the assistant said last."""
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("what do I owe?")
        await chat.say(account.reference)
        told = bot_texts(await chat.say("14/03/1990"))
    finally:
        await chat.close()
    return chat.conversation_id, told
