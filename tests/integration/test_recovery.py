"""Conversations that recover, in the customer's own words, on the real stack: "that's all" ends
kindly, a doubt whether we are genuine gets how to check (not a dispute), texts for someone else
are a wrong-person report, two misreadings get choices (not a loop), and an existing arrangement
is shown before a new plan replaces it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import ROOT
from bot.db.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    Handoff,
    Instalment,
)
from bot.domain.policy import load_policy
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.customers import add_customer, query
from tests.integration.phone import Phone

CREDITOR = load_policy(ROOT / "creditor.yml")
GENUINE = {"creditor": CREDITOR.name, "phone": CREDITOR.phone, "website": CREDITOR.website}


def _messages(frames):
    return [f for f in frames if f["type"] == "message"]


@pytest.mark.parametrize(
    ("language", "doubt", "again"),
    [
        ("en", "is this a scam?", "how do I know you're really from them?"),
        ("es", "¿esto es una estafa?", "¿cómo sé que de verdad son ustedes?"),
        ("id", "ini penipuan ya?", "gimana saya tahu ini beneran dari mereka?"),
        ("zh", "这是诈骗吗？", "我怎么知道你们真的是他们？"),
    ],
)
async def test_a_doubt_whether_we_are_genuine_gets_how_to_check_and_records_nothing(
    stack, catalog, language, doubt, again
):
    chat = await ChatClient.connect(stack.ws_url, language=language, origin=stack.api_url)
    try:
        first = bot_texts(await chat.say(doubt))
        second = bot_texts(await chat.say(again))
    finally:
        await chat.close()
    expected = catalog.render("utter_how_to_check_genuine", language, GENUINE).text
    assert first == [expected], first
    assert second == [expected], second
    assert await query(stack, select(Case).where(Case.conversation_id == chat.conversation_id)) == []
    assert await query(stack, select(Handoff).where(Handoff.conversation_id == chat.conversation_id)) == []


async def test_asked_mid_verification_whether_we_are_genuine_the_question_is_asked_again(stack, catalog):
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("what do I owe?")
        said = bot_texts(await chat.say("wait, is this legit? how can I check it's really you"))
    finally:
        await chat.close()
    assert said == [
        catalog.render("utter_how_to_check_genuine", "en", GENUINE).text,
        catalog.render("utter_ask_account_reference", "en").text,
    ], said


@pytest.mark.parametrize(
    ("number", "language", "texts_for_someone_else"),
    [
        ("+61400112001", "en", "Who is this? I keep getting texts for someone called James"),
        ("+61400112002", "es", "¿Quién es? Me siguen llegando mensajes para un tal Jorge"),
        ("+61400112003", "tl", "Sino po ito? Lagi akong nakakatanggap ng text para kay Mark"),
        ("+61400112004", "ja", "どちら様ですか？佐藤さんという人宛てのメッセージがずっと届きます"),
    ],
)
async def test_texts_for_someone_else_are_a_wrong_person_report(
    stack, catalog, number, language, texts_for_someone_else
):
    phone = Phone(stack, number)
    phone.text(texts_for_someone_else)
    replies = await phone.replies_until(lambda r: len(r) >= 1)
    assert replies[0].startswith(catalog.render("utter_wrong_person", language).text), replies


@pytest.mark.parametrize(
    ("number", "language", "who_is_this"),
    [
        ("+61400112011", "en", "sorry, who's this?"),
        ("+61400112012", "ko", "이거 누구세요?"),
        ("+61400112013", "zh", "请问你是哪位？"),
        ("+61400112014", "es", "perdón, ¿quién me escribe?"),
    ],
)
async def test_who_is_this_is_told_who_we_are_and_nothing_about_an_account(
    stack, catalog, number, language, who_is_this
):
    """The first thing many people reply to a message from a number they don't know."""
    phone = Phone(stack, number)
    phone.text(who_is_this)
    replies = await phone.replies_until(lambda r: len(r) >= 1)
    assert replies[0].startswith(
        catalog.render("utter_iamabot", language, {"creditor": CREDITOR.name}).text[:40]
    ), replies


@pytest.mark.parametrize(
    ("language", "all_done"),
    [
        ("en", "thanks, that's all"),
        ("en", "no that's everything"),
        ("es", "no, eso es todo, gracias"),
        ("ms", "tak, itu je. terima kasih"),
        ("ko", "아니요 그게 다예요"),
    ],
)
async def test_thats_all_after_an_answer_ends_kindly_without_a_payment_link(
    stack, catalog, language, all_done
):
    _, account = await add_customer(stack, language=language)
    chat = await ChatClient.connect(stack.ws_url, language=language, origin=stack.api_url)
    try:
        await chat.say("/check_balance")
        await chat.say(account.reference)
        await chat.say("14/03/1990")
        said = bot_texts(await chat.say(all_done))
    finally:
        await chat.close()
    goodbye, question = (catalog.render(key, language).text for key in ("utter_goodbye", "csat_question"))
    assert said == [goodbye, question], said


async def test_two_misreadings_get_choices_then_a_person_never_a_loop(stack, catalog, console):
    vera = await console("vera", ["en"])
    chat = await ChatClient.connect(stack.ws_url)
    try:
        first = bot_texts(await chat.say("what about the thing"))
        [choices] = _messages(await chat.say("the thing from before"))
        third = bot_texts(await chat.say("and then?"))
    finally:
        await chat.close()
    assert first == [catalog.render("utter_rephrase", "en").text]
    assert choices["text"] == catalog.render("utter_not_understood_choices", "en").text
    payloads = [b["payload"] for b in choices["buttons"]]
    assert len(payloads) == 4 and payloads[-1] == "/request_human" and len(set(payloads)) == 4
    assert third[0] == catalog.render("utter_handoff_not_understood", "en").text
    queued = await vera.frame_where(
        lambda f: any(i["conversation_id"] == chat.conversation_id for i in f.get("queue") or [])
    )
    assert [i["reason"] for i in queued["queue"] if i["conversation_id"] == chat.conversation_id] == [
        "not_understood"
    ]


async def test_a_choice_after_two_misreadings_carries_the_conversation_on(stack, catalog):
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("what about the thing")
        [choices] = _messages(await chat.say("the thing from before"))
        balance = next(b for b in choices["buttons"] if b["payload"] == "/check_balance")
        said = bot_texts(await chat.say(balance["payload"]))
    finally:
        await chat.close()
    assert balance["title"] == catalog.render("utter_out_of_scope", "en").buttons[0].title
    assert said == [catalog.render("utter_ask_account_reference", "en").text]


async def test_a_new_plan_shows_the_arrangement_it_would_replace_and_replaces_it_only_when_agreed(
    stack, catalog
):
    customer, account = await add_customer(stack)
    database = stack.database()
    try:
        async with database.transaction() as session:
            due = datetime.now(UTC).date() + timedelta(days=5)
            promise = Arrangement(
                account_id=account.id,
                kind=ArrangementKind.PROMISE,
                status=ArrangementStatus.ACTIVE,
                total_minor=8_000,
                currency="AUD",
                reference=f"AR-T{account.id}",
                instalments=[Instalment(sequence=1, due_date=due, amount_minor=8_000)],
            )
            session.add(promise)
    finally:
        await database.close()
    chat = await ChatClient.connect(stack.ws_url)
    try:
        await chat.say("can I pay it off monthly?")
        await chat.say(account.reference)
        await chat.say("14/03/1990")  # then: how much a month?
        [options] = _messages(await chat.say("$80"))
        schedule = bot_texts(await chat.say(options["buttons"][0]["payload"]))
        [(kept,)] = [
            (a.status,) for a in await query(stack, select(Arrangement).where(Arrangement.id == promise.id))
        ]
        await chat.say("no, change something")
    finally:
        await chat.close()
    replaces = {"reference": promise.reference, "left": "$80.00"}
    assert schedule[0] == catalog.render("utter_plan_replaces", "en", replaces).text, schedule
    assert kept == ArrangementStatus.ACTIVE
    [(still,)] = [
        (a.status,) for a in await query(stack, select(Arrangement).where(Arrangement.id == promise.id))
    ]
    assert still == ArrangementStatus.ACTIVE
