"""Telegram: updates built with python-telegram-bot's own types, replies to a fake Bot API."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Account, Consent, Conversation, MessageStatus
from bot.db.models import Message as StoredMessage
from tests.integration.customers import add_customer, deep_link, query
from tests.integration.telegram_chat import TelegramChat
from tests.stack import TELEGRAM

MIA = DEMO_CUSTOMERS[0]


async def test_a_deep_linked_customer_taps_a_button_and_checks_their_balance(stack, catalog):
    [account] = await query(stack, select(Account).where(Account.reference == MIA.reference))
    chat = TelegramChat(stack, 5_001)
    assert chat.say(f"/start {await deep_link(stack, account.customer_id)}").status_code == 200
    greeting = (await chat.replies_until(lambda r: len(r) >= 1))[-1]
    assert greeting["text"] == catalog.render("utter_greet", "en").text
    assert [row[0]["text"] for row in greeting["reply_markup"]["inline_keyboard"]][0] == "Check what I owe"

    chat.tap("Check what I owe")
    await chat.replies_until(
        lambda r: r[-1]["text"] == catalog.render("utter_ask_account_reference", "en").text
    )
    chat.say(MIA.reference)
    await chat.replies_until(lambda r: r[-1]["text"] == catalog.render("utter_ask_date_of_birth", "en").text)
    chat.say("12 April 1988")
    # The balance and what follows it leave the outbox one by one: wait for all five.
    await chat.replies_until(lambda r: len(r) >= 5 and any("$486.50" in m["text"] for m in r))
    assert "answerCallbackQuery" in TELEGRAM.calls

    [conversation] = await query(stack, select(Conversation).where(Conversation.channel_user_id == "5001"))
    assert conversation.customer_id == account.customer_id and conversation.verified_account_id == account.id
    tapped = await query(
        stack,
        select(StoredMessage).where(
            StoredMessage.interpreted == "/check_balance", StoredMessage.conversation_id == conversation.id
        ),
    )
    assert [m.text for m in tapped] == ["Check what I owe"]
    await asyncio.sleep(1)
    assert len(TELEGRAM.to(5_001)) == 5, "each reply sent once"


async def test_an_update_without_the_webhook_secret_is_refused_and_nothing_is_stored(stack):
    chat = TelegramChat(stack, 5_002)
    update = chat.message("hi", update_id=990_001)
    assert chat.post(update, secret="wrong").status_code == 403
    assert chat.post(update, secret=None).status_code == 403
    assert await query(stack, select(StoredMessage).where(StoredMessage.channel_message_id == "990001")) == []


async def test_telegram_delivering_an_update_twice_gets_it_processed_once(stack):
    chat = TelegramChat(stack, 5_003)
    update = chat.message("hello", update_id=990_002)
    assert chat.post(update).status_code == 200
    assert chat.post(update).status_code == 200
    await chat.replies_until(lambda r: len(r) >= 1)
    await asyncio.sleep(1)
    assert len(TELEGRAM.to(5_003)) == 1
    assert (
        len(await query(stack, select(StoredMessage).where(StoredMessage.channel_message_id == "990002")))
        == 1
    )


async def test_too_many_requests_waits_as_telegram_asks_and_then_delivers_once(stack):
    chat = TelegramChat(stack, 5_004)
    TELEGRAM.fail_next(
        {
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
    )
    chat.say("hello")
    await chat.replies_until(lambda r: len(r) >= 1)
    await asyncio.sleep(1)
    assert len(TELEGRAM.to(5_004)) == 1


async def test_a_customer_who_blocked_the_bot_is_marked_unreachable(stack):
    chat = TelegramChat(stack, 5_005)
    TELEGRAM.fail_next({"error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    chat.say("hello")
    for _ in range(100):
        consents = await query(
            stack, select(Consent).where(Consent.channel == "telegram", Consent.address == "5005")
        )
        if consents:
            break
        await asyncio.sleep(0.1)
    assert [(c.opted_out, c.reason) for c in consents] == [(True, "blocked")]
    chat.say("are you there?")
    await asyncio.sleep(2)
    assert TELEGRAM.to(5_005) == []
    failed = await query(
        stack,
        select(StoredMessage).where(
            StoredMessage.channel == "telegram", StoredMessage.status == MessageStatus.FAILED
        ),
    )
    assert {m.error for m in failed} == {"blocked"}
    [unanswered] = await query(
        stack,
        select(StoredMessage).where(
            StoredMessage.text == "are you there?", StoredMessage.error == "opted_out"
        ),
    )
    assert unanswered.status == MessageStatus.NOT_ANSWERED


async def test_a_deep_link_belongs_to_the_first_chat_that_opens_it_and_expires(stack):
    customer, _ = await add_customer(stack)
    link = await deep_link(stack, customer.id)
    first, other = TelegramChat(stack, 5_101), TelegramChat(stack, 5_102)
    assert first.say(f"/start {link}").status_code == 200
    assert first.say(f"/start {link}").status_code == 200  # pressing Start again in that chat
    assert other.say(f"/start {link}").status_code == 200  # the same link, forwarded elsewhere
    expired = await deep_link(stack, customer.id, lifetime=timedelta(seconds=-1))
    late = TelegramChat(stack, 5_103)
    assert late.say(f"/start {expired}").status_code == 200
    assert TelegramChat(stack, 5_104).say("/start c1x0123456789abcdef012345").status_code == 200  # forged
    await asyncio.sleep(1)

    owners = {
        c.channel_user_id: c.customer_id
        for c in await query(
            stack,
            select(Conversation).where(Conversation.channel_user_id.in_(["5101", "5102", "5103", "5104"])),
        )
    }
    assert owners == {"5101": customer.id, "5102": None, "5103": None, "5104": None}
