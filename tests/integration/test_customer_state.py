"""A customer's state holds on every channel: what each customer receives, through the real stack.

Opt-out confirmed once on every path, acknowledgements that never opt out, a web opt-out that
belongs to one browser, a care pause that holds across channels, no silent turns while waiting for
a person, a wrong number that ends the wait, and replies in the language the customer writes.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.channels.base import Allows
from bot.channels.telegram import TelegramChannel
from bot.config import ROOT
from bot.db.models import Consent, Conversation, Customer, Handoff, HandoffStatus, MessageStatus
from bot.domain.policy import load_policy
from tests.integration.chat_client import ChatClient
from tests.integration.customers import (
    add_customer,
    confirmations,
    deep_link,
    messages_of,
    money_while_paused,
    opt_out_breaches,
    query,
    silent_turns,
)
from tests.integration.phone import Phone
from tests.integration.telegram_chat import TelegramChat
from tests.stack import TELEGRAM, TWILIO

CREDITOR = load_policy(ROOT / "creditor.yml")

# What an SMS customer sends to stop, start again or get help.
SMS_WORDS = Allows().commands


async def _conversation(stack, channel: str, address: str) -> Conversation:
    [conversation] = await query(
        stack,
        select(Conversation).where(Conversation.channel == channel, Conversation.channel_user_id == address),
    )
    return conversation


def _texts(frames: list[dict]) -> list[str]:
    return [f["text"] for f in frames if f["type"] == "message"]


async def test_an_opt_out_in_the_customers_own_words_is_confirmed_once_then_only_start_and_help_answer(
    stack, catalog
):
    phone = Phone(stack, "+61400111001")
    confirmation = catalog.render("utter_opted_out", "en", SMS_WORDS).text
    phone.text("hi")
    await phone.replies_until(lambda r: len(r) >= 1)

    phone.text("please stop messaging me")
    await phone.replies_until(lambda r: r[-1] == confirmation)
    for said in ("hello?", "what do I owe", "STOP"):
        phone.text(said)
    await asyncio.sleep(1)
    assert TWILIO.to(phone.number)[1:] == [confirmation], (
        "after the opt-out, one confirmation and nothing else"
    )
    phone.text("HELP")
    texts = await phone.replies_until(lambda r: len(r) >= 3)
    assert (
        texts[-1]
        == catalog.render(
            "sms_help", "en", {"creditor": CREDITOR.name, "phone": CREDITOR.phone, **SMS_WORDS}
        ).text
    )

    phone.text("START")
    phone.text("hi")
    await phone.replies_until(lambda r: len(r) >= 5)
    conversation = await _conversation(stack, "sms", phone.number)
    stored = await messages_of(stack, conversation.id)
    assert silent_turns(stored) == []
    assert [(m.text, m.error) for m in stored if m.status == MessageStatus.NOT_ANSWERED] == [
        ("hello?", "opted_out"),
        ("what do I owe", "opted_out"),
        ("STOP", "already_opted_out"),
    ]
    assert opt_out_breaches(stored, catalog) == []


async def test_the_wrong_persons_yes_please_stop_gets_its_confirmation(stack, catalog):
    phone = Phone(stack, "+61400111002")
    phone.text("wrong number, I don't know this person")
    offer = (await phone.replies_until(lambda r: len(r) >= 1))[-1]
    assert offer.startswith(catalog.render("utter_wrong_person", "en").text)
    phone.text("1")
    texts = await phone.replies_until(lambda r: len(r) >= 2)
    assert texts[-1] == catalog.render("utter_opted_out", "en", SMS_WORDS).text
    [consent] = await query(stack, select(Consent).where(Consent.address == phone.number))
    assert (consent.opted_out, consent.reason) == (True, "wrong_person")


async def test_acknowledgements_never_opt_anyone_out_in_any_language(stack, catalog):
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("hi")
        for said in ("👍", "ok", "👌", "🙏", "✅", "thanks", "sí", "好", "はい", "네", "हाँ", "ya", "vâng"):
            frames = await chat.say(said)
            assert _texts(frames), f"{said!r} got no reply"
            assert catalog.render("utter_opted_out", "en", SMS_WORDS).text not in _texts(frames), (
                f"{said!r} opted out"
            )
        assert _texts(await chat.say("what do I owe?")), "the assistant still answers"
    finally:
        await chat.close()
    assert await query(stack, select(Consent).where(Consent.address == chat.conversation_id)) == []
    assert silent_turns(await messages_of(stack, chat.conversation_id)) == []


async def test_a_web_chat_opt_out_belongs_to_that_browser_alone(stack, catalog):
    first, second = await ChatClient.connect(stack.ws_url), await ChatClient.connect(stack.ws_url)
    try:
        assert _texts(await first.say("stop")) == [catalog.render("utter_opted_out", "en", SMS_WORDS).text]
        assert _texts(await first.say("hello")) == [], "after the confirmation, nothing"
        assert _texts(await second.say("hello")), "another browser is not opted out"
    finally:
        await first.close()
        await second.close()
    consents = await query(stack, select(Consent).where(Consent.channel == "web"))
    assert first.conversation_id in {c.address for c in consents}
    assert "web" not in {c.address for c in consents} and second.conversation_id not in {
        c.address for c in consents
    }


async def test_a_crisis_on_the_web_chat_holds_on_every_channel_of_that_customer(stack, catalog, console):
    customer, account = await add_customer(stack)
    chat = await ChatClient.connect(stack.ws_url)
    phone = Phone(stack, customer.phone_e164)
    try:
        await chat.say("what do I owe?")
        await chat.say(account.reference)
        verified = _texts(await chat.say("14/03/1990"))
        assert any("$320.00" in text for text in verified), f"verification first: {verified}"
        crisis = _texts(await chat.say("I can't go on anymore, I want to end it all"))
        assert any("13 11 14" in text for text in crisis), crisis
        # Minutes later, from the customer's phone: no balance, the crisis line and a person.
        phone.text("hi what's my balance")
        [reply] = await phone.replies_until(lambda r: len(r) >= 1)
        assert "13 11 14" in reply and "$" not in reply, f"the customer in crisis was sent: {reply}"
        # Never silence, but no second crisis text within minutes: a short "passed on" note, once
        # for a burst of messages.
        phone.text("hello??")
        noted = (await phone.replies_until(lambda r: len(r) >= 2))[1]
        assert noted == catalog.render("gateway_care_noted", "en").text and "$" not in noted
        await asyncio.sleep(1)
        told = len(TWILIO.to(phone.number))
        phone.text("are you there")
        await asyncio.sleep(1)
        assert len(TWILIO.to(phone.number)) == told, "one note for a burst of messages"
        # Nor a plan on the web chat.
        assert not any("$" in text for text in _texts(await chat.say("can I set up a payment plan?")))
    finally:
        await chat.close()
    sms = await _conversation(stack, "sms", customer.phone_e164)
    stored = await messages_of(stack, chat.conversation_id, sms.id)
    [paused_at] = await query(stack, select(Customer.care_paused_at).where(Customer.id == customer.id))
    assert money_while_paused(stored, paused_at) == []
    assert silent_turns(stored) == []
    handoffs = await query(stack, select(Handoff).where(Handoff.conversation_id == sms.id))
    assert [h.reason for h in handoffs] == ["crisis"], "a person is asked for where the customer wrote too"
    agent = await console("chen", ["en"])
    queue = (await agent.get("/console/api/queue")).json()["queue"]
    mine = [item for item in queue if item["conversation_id"] in {sms.id, chat.conversation_id}]
    assert {item["reason"] for item in mine} == {"crisis"} and len(mine) == 2

    # A person takes both, judges it safe, and closes them: the assistant answers the phone again.
    for item in mine:
        assert (await agent.post(f"/console/api/handoffs/{item['handoff_id']}/claim")).status_code == 200
    lifted = await agent.post(f"/console/api/conversations/{sms.id}/lift-care-pause")
    assert lifted.json() == {"lifted": True}
    for item in mine:
        closed = await agent.post(
            f"/console/api/conversations/{item['conversation_id']}/close", {"outcome": "referred"}
        )
        assert closed.status_code == 200
    phone.text("what do I owe?")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)


async def test_waiting_for_a_person_is_acknowledged_and_the_customer_can_carry_on_alone(stack, catalog):
    customer, account = await add_customer(stack)
    chat = TelegramChat(stack, 7_001)
    chat.say(f"/start {await deep_link(stack, customer.id)}")
    await chat.replies_until(lambda r: len(r) >= 1)
    chat.say("I want to talk to a person")
    await chat.replies_until(lambda r: len(r) >= 2)
    conversation = await _conversation(stack, "telegram", "7001")
    # Nobody has claimed it for a quarter of an hour.
    database = stack.database()
    try:
        async with database.transaction() as session:
            await session.execute(
                update(Handoff)
                .where(Handoff.conversation_id == conversation.id)
                .values(created_at=datetime.now(UTC) - timedelta(minutes=15))
            )
    finally:
        await database.close()
    before = len(TELEGRAM.to(7_001))
    chat.say("hello? anyone there?")
    replies = await chat.replies_until(lambda r: len(r) >= before + 2)
    offer = replies[-1]
    assert offer["text"] == catalog.render("gateway_self_service_offer", "en").text
    chat.tap(catalog.render("gateway_self_service_offer", "en").buttons[0].title)
    await chat.replies_until(lambda r: r[-1]["text"] == catalog.render("utter_greet", "en").text)
    chat.say("what do I owe?")
    await chat.replies_until(
        lambda r: r[-1]["text"] == catalog.render("utter_ask_account_reference", "en").text
    )
    [handoff] = await query(stack, select(Handoff).where(Handoff.conversation_id == conversation.id))
    assert (handoff.status, handoff.outcome) == (HandoffStatus.RETURNED.value, "customer_resumed")
    assert silent_turns(await messages_of(stack, conversation.id)) == []


async def test_a_wrong_number_ends_the_wait_and_the_real_customer_is_answered_later(stack, catalog):
    phone = Phone(stack, "+61400111003")
    phone.text("can I talk to a real person please")
    await phone.replies_until(lambda r: len(r) >= 1)
    phone.text("wrong number")
    texts = await phone.replies_until(
        lambda r: any(t.startswith(catalog.render("utter_wrong_person", "en").text) for t in r)
    )
    phone.text("1")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_opted_out", "en", SMS_WORDS).text)
    phone.text("ok")
    phone.text("START")
    await phone.replies_until(lambda r: r[-1] == catalog.render("sms_resubscribed", "en", SMS_WORDS).text)
    count = len(TWILIO.to(phone.number))
    phone.text("hi, what do I owe?")
    texts = await phone.replies_until(lambda r: len(r) > count)
    assert texts[-1] == catalog.render("utter_ask_account_reference", "en").text
    conversation = await _conversation(stack, "sms", phone.number)
    [handoff] = await query(stack, select(Handoff).where(Handoff.conversation_id == conversation.id))
    assert (handoff.status, handoff.outcome) == (HandoffStatus.CLOSED.value, "wrong_person")
    stored = await messages_of(stack, conversation.id)
    assert silent_turns(stored) == [] and len(confirmations(stored)) == 1


async def test_the_reply_language_follows_the_customers_message_not_their_profile(stack, catalog):
    customer, _ = await add_customer(stack, language="es")
    phone = Phone(stack, customer.phone_e164)
    phone.text("hi what's my balance")
    [reply] = await phone.replies_until(lambda r: len(r) >= 1)
    assert reply == catalog.render("utter_ask_account_reference", "en").text, f"answered: {reply}"
    # Two messages in a row in another language switch it (README, "Languages").
    phone.text("hola, ¿cuánto debo?")
    phone.text("no tengo mi número de referencia aquí")
    await phone.replies_until(lambda r: len(r) >= 3)
    conversation = await _conversation(stack, "sms", customer.phone_e164)
    assert conversation.language == "es"
    [last] = [m for m in await messages_of(stack, conversation.id) if m.direction == "outbound"][-1:]
    assert last.language == "es", f"answered in {last.language}: {last.text}"


async def test_each_channel_names_what_its_customer_actually_sends_to_start_again(stack, catalog):
    chat = TelegramChat(stack, 7_002)
    chat.say("/start")
    await chat.replies_until(lambda r: len(r) >= 1)
    chat.say("/stop")
    confirmation = (await chat.replies_until(lambda r: len(r) >= 2))[-1]["text"]
    assert confirmation == catalog.render("utter_opted_out", "en", TelegramChannel.allows.commands).text
    assert "/start" in confirmation and "START" not in confirmation.replace("/start", "")
    chat.say("/help")
    help_text = (await chat.replies_until(lambda r: len(r) >= 3))[-1]["text"]
    assert "/stop" in help_text, help_text


async def test_a_crisis_from_a_number_we_cannot_name_holds_on_that_numbers_whatsapp(stack, catalog):
    sms, whatsapp = Phone(stack, "+61400111004"), Phone(stack, "+61400111004", "whatsapp")
    sms.text("i cant pay this. i dont want to be here anymore")
    crisis = (await sms.replies_until(lambda r: len(r) >= 1))[0]  # (and when a person will reply)
    assert "13 11 14" in crisis
    whatsapp.text("hello")
    [reply] = await whatsapp.replies_until(lambda r: len(r) >= 1)
    lines = CREDITOR.support_lines_for("AU")
    expected = catalog.render(
        "gateway_care_waiting", "en", {"crisis_line": lines.crisis, "emergency": lines.emergency}
    )
    assert reply == expected.text, f"the same person on WhatsApp was sent: {reply}"


async def test_an_ok_after_the_greeting_leaves_the_conversation_as_it_was(stack, catalog):
    _, account = await add_customer(stack)
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("hi")
        # A kind word back, whichever: the gateway's acknowledgement or the assistant's "what can I help with?".
        kind = {catalog.render(key, "en").text for key in ("gateway_acknowledged", "utter_how_can_i_help")}
        [reply] = _texts(await chat.say("ok"))
        assert reply in kind, reply
        asked = _texts(await chat.say("what do I owe?"))
        assert asked == [catalog.render("utter_ask_account_reference", "en").text], asked
        await chat.say(account.reference)
        answer = _texts(await chat.say("14/03/1990"))
    finally:
        await chat.close()
    assert any("$320.00" in text for text in answer), f"the customer who said 'ok' earlier got: {answer}"
    assert await query(stack, select(Consent).where(Consent.address == chat.conversation_id)) == []


async def test_someone_else_on_a_verified_chat_learns_nothing_more(stack, catalog):
    _, account = await add_customer(stack)
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("what do I owe?")
        await chat.say(account.reference)
        assert any("$320.00" in text for text in _texts(await chat.say("14/03/1990")))
        await chat.say("sorry wrong number, I'm not Alex")
        said = _texts(await chat.say("ok"))
        assert said == [catalog.render("gateway_how_to_stop", "en", SMS_WORDS).text], said
        later = _texts(await chat.say("what's the balance?"))
    finally:
        await chat.close()
    assert not any("$" in text for text in later), f"after 'wrong number' the balance was shown: {later}"


async def test_a_customer_paused_for_care_who_proves_who_they_are_elsewhere_hears_no_figures(stack, catalog):
    customer, account = await add_customer(stack)
    phone = Phone(stack, customer.phone_e164)
    phone.text("I don't want to be here anymore")
    await phone.replies_until(lambda r: len(r) >= 1)
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("what do I owe?")
        await chat.say(account.reference)
        answer = _texts(await chat.say("14/03/1990"))
        again = _texts(await chat.say("so what's my balance?"))
    finally:
        await chat.close()
    assert answer and not any("$" in text for text in answer + again), (
        f"figures reached them: {answer + again}"
    )
    assert any("13 11 14" in text for text in answer), answer
    assert silent_turns(await messages_of(stack, chat.conversation_id)) == []


async def test_stop_and_start_while_waiting_for_a_person_gives_the_assistant_back(stack, catalog):
    phone = Phone(stack, "+61400111005")
    phone.text("I want to speak to a real person")
    await phone.replies_until(lambda r: len(r) >= 1)
    phone.text("STOP")
    phone.text("START")
    await phone.replies_until(lambda r: r[-1] == catalog.render("sms_resubscribed", "en", SMS_WORDS).text)
    phone.text("how much do I owe")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)


async def test_stop_and_start_leave_a_crisis_in_a_persons_hands(stack, catalog):
    sms, whatsapp = Phone(stack, "+61400111006"), Phone(stack, "+61400111006", "whatsapp")
    sms.text("i just want to end it all, i don't want to be alive")
    await sms.replies_until(lambda r: len(r) >= 1)
    sms.text("STOP")
    sms.text("START")
    await sms.replies_until(lambda r: r[-1] == catalog.render("sms_resubscribed", "en", SMS_WORDS).text)
    whatsapp.text("how much do I owe")
    [reply] = await whatsapp.replies_until(lambda r: len(r) >= 1)
    assert "13 11 14" in reply, f"after STOP and START the person in crisis was sent: {reply}"


async def test_someone_paused_for_care_can_still_ask_us_to_stop_in_their_own_words(stack, catalog):
    phone = Phone(stack, "+61400111007")
    phone.text("my dad passed away last week")
    await phone.replies_until(lambda r: len(r) >= 1)
    phone.text("please don't message me anymore")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_opted_out", "en", SMS_WORDS).text)
