"""One satisfaction question when a conversation ends well, on the real stack: asked after the
assistant's goodbye by SMS (numbered options) and on the web chat (buttons), its answer stored and
thanked for without reaching the assistant; never after a crisis; anything else said instead goes
on as usual and leaves the question unanswered."""

import asyncio

import httpx
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import Conversation, Direction, MessageStatus, SatisfactionSurvey, Sender
from bot.gateway.replies import Purpose
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.customers import add_customer, messages_of, query
from tests.integration.phone import Phone
from tests.stack import TWILIO

ANYTHING_ELSE_BY_SMS = "1. Yes, please\n2. No, that's all"


def _says(catalog, key: str, language: str = "en") -> str:
    return catalog.render(key, language).text


def _numbered_question(catalog, language: str = "en") -> str:
    rendered = catalog.render("csat_question", language)
    return rendered.text + "".join(f"\n{n}. {b.title}" for n, b in enumerate(rendered.buttons, start=1))


async def _sms_conversation(stack, number: str) -> str:
    [conversation_id] = await query(
        stack,
        select(Conversation.id).where(Conversation.channel == "sms", Conversation.channel_user_id == number),
    )
    return conversation_id


async def _surveys(stack, conversation_id: str) -> list[SatisfactionSurvey]:
    return await query(
        stack, select(SatisfactionSurvey).where(SatisfactionSurvey.conversation_id == conversation_id)
    )


def _what_the_assistant_heard(stack, conversation_id: str) -> list[str]:
    tracker = httpx.get(
        f"http://127.0.0.1:{stack.env['CONCORD_RASA_PORT']}/conversations/{conversation_id}/tracker",
        params={"token": Settings.model_fields["rasa_token"].default},
        timeout=10,
    ).json()
    return [event.get("text") for event in tracker["events"] if event["event"] == "user"]


async def _balance_by_sms(phone: Phone, account, catalog) -> None:
    phone.text("what do I owe?")
    await phone.replies_until(lambda r: r[-1:] == [_says(catalog, "utter_ask_account_reference")])
    phone.text(account.reference)
    await phone.replies_until(lambda r: r[-1:] == [_says(catalog, "utter_ask_date_of_birth")])
    phone.text("14/03/1990")
    await phone.replies_until(lambda r: r[-1].endswith(ANYTHING_ELSE_BY_SMS))


async def _ended_by_sms(phone: Phone, catalog) -> list[str]:
    """ "No, that's all": every text the phone has, once the goodbye and anything after it arrived."""
    phone.text("2")
    await phone.replies_until(
        lambda r: r[-1] == _says(catalog, "utter_goodbye") or r[-2:-1] == [_says(catalog, "utter_goodbye")]
    )
    await asyncio.sleep(1)  # the question is stored with the goodbye: it has arrived by now, if asked
    return TWILIO.to(phone.number)


async def _balance_on_the_web(chat: ChatClient, account) -> None:
    await chat.say("/check_balance")
    await chat.say(account.reference)
    said = await chat.say("14/03/1990")
    assert any(f["type"] == "message" and f.get("buttons") for f in said), "no 'anything else?' offered"


async def test_an_sms_customer_who_ends_the_conversation_is_asked_once_and_their_4_is_stored(stack, catalog):
    customer, account = await add_customer(stack)
    phone = Phone(stack, customer.phone_e164)
    await _balance_by_sms(phone, account, catalog)

    texts = await _ended_by_sms(phone, catalog)
    assert texts[-2:] == [_says(catalog, "utter_goodbye"), _numbered_question(catalog)], (
        f"after the goodbye the customer saw {texts[-1:]}"
    )

    phone.text("4")
    thanked = await phone.replies_until(lambda r: len(r) >= len(texts) + 1)
    assert thanked[-1] == _says(catalog, "csat_thanks"), f"the customer saw {thanked[-1]!r} after answering 4"

    conversation_id = await _sms_conversation(stack, phone.number)
    [survey] = await _surveys(stack, conversation_id)
    assert (survey.channel, survey.language, survey.score) == ("sms", "en", 4)
    assert survey.answered_at >= survey.asked_at
    assert "4" not in _what_the_assistant_heard(stack, conversation_id), "the answer reached the assistant"


async def test_a_web_chat_customer_answers_with_a_button(stack, catalog):
    _, account = await add_customer(stack)
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await _balance_on_the_web(chat, account)
        ended = [f for f in await chat.say("no thanks") if f["type"] == "message"]
        question = ended[-1]
        good = next(b for b in question.get("buttons") or [] if b["payload"] == "/csat_4")
        thanked = bot_texts(await chat.say(good["payload"]))
    finally:
        await chat.close()

    assert [m["text"] for m in ended] == [_says(catalog, "utter_goodbye"), _says(catalog, "csat_question")]
    assert [b["title"] for b in question["buttons"]] == [
        b.title for b in catalog.render("csat_question", "en").buttons
    ]
    assert thanked == [_says(catalog, "csat_thanks")], (
        f"after pressing {good['title']!r} the customer saw {thanked}"
    )
    [survey] = await _surveys(stack, chat.conversation_id)
    assert (survey.channel, survey.score) == ("web", 4)


async def test_after_a_crisis_earlier_in_the_conversation_the_goodbye_comes_without_a_question(
    stack, catalog, console
):
    """A person took the crisis, judged it safe and handed back; the customer then checked their
    balance and ended the conversation."""
    agent = await console("hana", ["en"])
    customer, account = await add_customer(stack)
    phone = Phone(stack, customer.phone_e164)
    phone.text("I can't do this anymore, I just want it all to stop for good")
    await phone.replies_until(lambda r: len(r) >= 1)
    conversation_id = await _sms_conversation(stack, phone.number)
    queued = await agent.frame_where(
        lambda f: f["type"] == "lists" and any(i["conversation_id"] == conversation_id for i in f["queue"])
    )
    [handoff_id] = [i["handoff_id"] for i in queued["queue"] if i["conversation_id"] == conversation_id]
    assert (await agent.post(f"/console/api/handoffs/{handoff_id}/claim")).status_code == 200
    assert (
        await agent.post(f"/console/api/conversations/{conversation_id}/lift-care-pause")
    ).status_code == 200
    assert (await agent.post(f"/console/api/conversations/{conversation_id}/hand-back")).status_code == 200
    returned = _says(catalog, "handoff_returned")
    await phone.replies_until(lambda r: any(t.startswith(returned) for t in r))

    await _balance_by_sms(phone, account, catalog)
    texts = await _ended_by_sms(phone, catalog)

    assert texts[-1] == _says(catalog, "utter_goodbye"), (
        f"after a crisis, the goodbye was followed by {texts[-1]!r}"
    )
    asked = [m.text for m in await messages_of(stack, conversation_id) if m.purpose == Purpose.CSAT.value]
    assert asked == [], f"after a crisis the customer was asked: {asked}"
    assert await _surveys(stack, conversation_id) == []


async def test_thanks_again_after_the_question_is_the_assistants_and_leaves_it_unanswered(stack, catalog):
    _, account = await add_customer(stack)
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await _balance_on_the_web(chat, account)
        await chat.say("no thanks")
        said = bot_texts(await chat.say("thanks again"))
    finally:
        await chat.close()

    assert said and _says(catalog, "csat_thanks") not in said, f"the customer saw {said}"
    messages = await messages_of(stack, chat.conversation_id)
    [inbound] = [m for m in messages if m.direction == Direction.INBOUND and m.text == "thanks again"]
    answers = [m for m in messages if m.reply_to_id == inbound.id]
    assert inbound.status == MessageStatus.ANSWERED and {m.sender for m in answers} == {Sender.BOT}, (
        "not answered by the assistant"
    )
    [survey] = await _surveys(stack, chat.conversation_id)
    assert (survey.score, survey.answered_at) == (None, None)
