"""What the customer already said is read, not asked again: amounts, frequencies and a plan's
first day in the message that makes the request, an amount answering "how much?", and a number
picking an option on every channel. Through the real stack, in the customer's words."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.models import Case
from bot.domain.plans import today_for
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.customers import add_customer, query


def _messages(frames):
    return [f for f in frames if f["type"] == "message"]


async def _verified(stack, request: str, language: str = "en"):
    customer, account = await add_customer(stack, language=language)
    chat = await ChatClient.connect(stack.ws_url, language=language, origin=stack.api_url)
    await chat.say(request)
    await chat.say(account.reference)
    return customer, chat, await chat.say("14/03/1990")


@pytest.mark.parametrize(
    ("language", "request_"),
    [
        ("en", "can I pay $50 today"),
        ("es", "¿puedo pagar 50 dólares hoy?"),
        ("id", "bisa bayar $50 hari ini?"),
    ],
)
async def test_an_amount_in_the_request_is_the_amount_paid(stack, language, request_):
    _, chat, said = await _verified(stack, request_, language)
    await chat.close()
    [link] = [f["text"] for f in _messages(said) if "https://pay.example.com" in f["text"]]
    words = re.sub(r"https://\S+", "", link)  # the link's random token may hold any digits
    assert "50" in words and "320" not in words and "80" not in words, link


async def test_an_amount_answers_how_much_to_pay_now(stack, catalog):
    _, chat, asked = await _verified(stack, "I want to pay now")
    try:
        assert (
            _messages(asked)[0]["text"]
            == catalog.render(
                "utter_ask_payment_choice", "en", {"overdue": "$80.00", "balance": "$320.00"}
            ).text
        )
        said = bot_texts(await chat.say("just $50 please"))
    finally:
        await chat.close()
    assert any("https://pay.example.com" in text and "$50.00" in text for text in said), said


async def test_twenty_bucks_every_two_weeks_starting_next_friday_offers_fortnightly_plans_from_that_friday(
    stack, catalog
):
    customer, chat, offered = await _verified(stack, "I can do 20 bucks every two weeks starting next Friday")
    try:
        [options] = _messages(offered)
        schedule = bot_texts(await chat.say("1"))  # typed, not tapped: the first option
    finally:
        await chat.close()
    assert options["text"] == catalog.render("utter_plan_options_fits", "en").text
    assert options["buttons"][0]["title"] == "16 fortnightly payments of about $20.00"
    today = today_for(customer.timezone, datetime.now(UTC))
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    first = re.search(r"^1\. (.+): \$20\.00$", schedule[-1], re.M)
    assert first and first.group(1) == f"{friday.day} {friday:%b}", schedule  # in order, so no year


async def test_a_first_day_too_far_away_says_why_and_offers_the_soonest(stack, catalog):
    _, chat, offered = await _verified(stack, "can I pay $40 a month starting in three months?")
    await chat.close()
    texts = [f["text"] for f in _messages(offered)]
    why = catalog.render("utter_plan_start_not_possible", "en", {"latest": "\0", "date": "\0"}).text
    assert texts[0].startswith(why.split("\0")[0]), texts
    assert texts[1] == catalog.render("utter_plan_options_fits", "en").text


@pytest.mark.parametrize(
    ("language", "request_", "too_much"),
    [
        ("en", "I can pay $20 a week", "that's too much"),
        ("hi", "मैं हर हफ्ते $20 दे सकता हूँ", "ये तो ज़्यादा है"),
        ("hi", "main har hafte 20 dollar de sakta hu", "ye sab 20 se zyada hai bhai"),
        ("es", "puedo pagar 20 dólares por semana", "eso es demasiado"),
    ],
)
async def test_that_is_too_much_after_the_offer_is_not_a_dispute(
    stack, catalog, language, request_, too_much
):
    """Rejecting the plans offered as unaffordable is not disputing the debt (nothing paused)."""
    _, chat, _ = await _verified(stack, request_, language)
    try:
        said = bot_texts(await chat.say(too_much))
    finally:
        await chat.close()
    disputed = catalog.render("utter_dispute_recorded", language).text
    assert all(text != disputed for text in said), said
    assert await query(stack, select(Case).where(Case.conversation_id == chat.conversation_id)) == []
