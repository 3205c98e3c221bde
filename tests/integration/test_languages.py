"""Whole journeys in the customer's own language: Indonesian over SMS, Japanese over the web chat."""

import pytest
import regex
from babel.numbers import get_currency_name
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Account, Arrangement, ArrangementStatus, Conversation
from bot.i18n import formatting_locale
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.customers import add_customer
from tests.integration.phone import Phone
from tests.stack import TWILIO

BUDI = DEMO_CUSTOMERS[1]  # Rp 1.250.000 on a personal loan, Jakarta, Indonesian profile
YUKI = DEMO_CUSTOMERS[5]  # ¥23,800 on a mobile plan, Tokyo


async def _arrangement(stack, reference: str) -> tuple[Account, Arrangement]:
    database = stack.database()
    try:
        async with database.session() as session:
            account = await session.scalar(select(Account).where(Account.reference == reference))
            arrangement = await session.scalar(
                select(Arrangement)
                .where(Arrangement.account_id == account.id)
                .options(selectinload(Arrangement.instalments))
            )
            return account, arrangement
    finally:
        await database.close()


async def _exchange(phone: Phone, text: str, done) -> str:
    """Text the assistant; what it texts back (all parts, joined) once `done(reply)` holds."""
    before = len(TWILIO.to(phone.number))
    phone.text(text)
    replies = await phone.replies_until(lambda r: len(r) > before and done("\n".join(r[before:])))
    return "\n".join(replies[before:])


async def test_an_indonesian_customer_agrees_a_plan_by_sms_in_indonesian(stack, catalog):
    phone = Phone(stack, BUDI.phone)

    def says(key: str):
        opening = catalog.languages["id"][key]["text"].split("{")[0][:40]  # the words before any value
        return lambda reply: opening in reply

    greeting = await _exchange(phone, "halo kak", says("utter_greet"))
    await _exchange(phone, "saya mau bayar cicilan aja, bisa?", says("utter_ask_account_reference"))
    await _exchange(phone, BUDI.reference, says("utter_ask_date_of_birth"))
    frequency = await _exchange(phone, "30 Agustus 1979", says("utter_ask_frequency"))
    await _exchange(phone, "bulanan", lambda reply: "Rp" in reply)
    options = await _exchange(phone, "Rp 300.000 sebulan", lambda reply: "\n1. " in f"\n{reply}")
    schedule = await _exchange(phone, "1", says("utter_plan_schedule"))
    agreed = await _exchange(phone, "ya, setuju", lambda reply: "AR-" in reply)

    account, arrangement = await _arrangement(stack, BUDI.reference)
    assert arrangement is not None, f"no plan was stored; the customer was offered:\n{options}"
    assert arrangement.status == ArrangementStatus.ACTIVE and arrangement.frequency == "monthly"
    assert sum(i.amount_minor for i in arrangement.instalments) == account.balance_minor
    assert max(i.amount_minor for i in arrangement.instalments) <= 300_000_00
    assert arrangement.reference in agreed
    assert "1. Cek tagihan saya" in greeting and "3. Bulanan" in frequency
    assert "Rp" in options and "Rp1.250.000" in schedule.replace(" ", "").replace("\xa0", "")


async def test_a_japanese_customer_agrees_a_plan_over_the_web_chat_in_japanese(stack, catalog):
    client = await ChatClient.connect(stack.ws_url)

    def said(key: str) -> str:
        return catalog.render(key, "ja").text

    try:
        asked_reference = bot_texts(await client.say("こんにちは、分割払いにしたいのですが"))
        asked_birthday = bot_texts(await client.say(YUKI.reference))
        frequency = [f for f in await client.say("1984年9月2日") if f["type"] == "message"][-1]
        monthly = next(b["payload"] for b in frequency["buttons"] if "monthly" in b["payload"])
        bot_texts(await client.say(monthly))
        options = [f for f in await client.say("月5000円なら払えます") if f["type"] == "message"][-1]
        schedule = bot_texts(await client.say(options["buttons"][0]["payload"]))
        agreed = bot_texts(await client.say("はい、それでお願いします"))
    finally:
        await client.close()

    assert asked_reference == [said("utter_ask_account_reference")]
    assert asked_birthday == [said("utter_ask_date_of_birth")]
    assert frequency["text"] == said("utter_ask_frequency")
    assert options["text"] in {said("utter_plan_options_fits"), said("utter_plan_options_choices")}
    assert "円" in schedule[-1]  # 11,900円, as Japanese write yen (locales/ja.yml: amount_patterns)

    account, arrangement = await _arrangement(stack, YUKI.reference)
    assert arrangement is not None and arrangement.reference in agreed[0], agreed
    assert arrangement.status == ArrangementStatus.ACTIVE and arrangement.frequency == "monthly"
    assert sum(i.amount_minor for i in arrangement.instalments) == account.balance_minor == 23_800

    database = stack.database()
    try:
        async with database.session() as session:
            conversation = await session.get(Conversation, client.conversation_id)
    finally:
        await database.close()
    assert (conversation.language, conversation.language_source) == ("ja", "detected")


@pytest.mark.parametrize(
    ("customer", "ask", "born", "shows", "leaves_out"),
    [
        # no fees: no fees clause; rupiah without the sen nobody uses; the product in Indonesian
        (
            BUDI,
            "berapa tagihan saya?",
            "30/08/1979",
            ["Bapak/Ibu Budi", "pinjaman pribadi", "Rp1.250.000"],
            ["biaya", ",00"],
        ),
        # the family name with 様; fees shown because there are some
        (
            YUKI,
            "残高を教えてください",
            "1984年9月2日",
            ["Tanaka様", "携帯電話プラン", "手数料"],
            ["Yuki様", "Mobile plan"],
        ),
    ],
)
async def test_a_balance_reads_as_a_native_customer_expects(stack, customer, ask, born, shows, leaves_out):
    client = await ChatClient.connect(stack.ws_url)
    try:
        await client.say(ask)
        await client.say(customer.reference)
        balance = bot_texts(await client.say(born))[0]
    finally:
        await client.close()
    assert all(part in balance for part in shows), balance
    assert not any(part in balance for part in leaves_out), balance


def _script_share(texts: list[str], script: str) -> float:
    letters = regex.findall(r"\p{L}", " ".join(texts))
    return len(regex.findall(rf"\p{{sc={script}}}", " ".join(texts))) / max(1, len(letters))


async def test_hindi_is_answered_in_the_script_the_customer_writes(stack, catalog):
    client = await ChatClient.connect(stack.ws_url)
    try:
        latin = bot_texts(await client.say("namaste, mera balance kitna hai?"))
        devanagari = bot_texts(await client.say("माफ़ कीजिए, मुझे अपना रेफरेंस नंबर याद नहीं है"))
        latin_again = bot_texts(await client.say("koi baat nahi, main baad mein dekh leta hoon"))
    finally:
        await client.close()
    assert latin == [catalog.render("utter_ask_account_reference", "hi-Latn").text], latin
    assert _script_share(devanagari, "Deva") > 0.5, devanagari
    assert _script_share(latin_again, "Latn") > 0.5, latin_again


async def test_an_amount_in_another_currency_is_asked_again_in_the_accounts(stack, catalog):
    """A Thai-speaking customer whose account is in Australian dollars offers baht: never converted."""
    customer, account = await add_customer(stack, language="th")
    client = await ChatClient.connect(stack.ws_url)
    try:
        await client.say("อยากผ่อนชำระค่ะ")
        await client.say(account.reference)
        frequency = [f for f in await client.say("14/03/1990") if f["type"] == "message"][-1]
        await client.say(next(b["payload"] for b in frequency["buttons"] if "monthly" in b["payload"]))
        asked_again = bot_texts(await client.say("เดือนละ 500 บาท"))
    finally:
        await client.close()
    currency = get_currency_name("AUD", locale=formatting_locale("th", customer.locale))
    expected = catalog.render("utter_amount_in_account_currency", "th", {"currency": currency}).text
    assert asked_again[0] == expected, asked_again  # then the amount is asked for again
    assert "500" not in " ".join(asked_again), asked_again


async def test_after_switching_language_the_next_question_is_in_the_new_language(stack, catalog):
    client = await ChatClient.connect(stack.ws_url)
    try:
        await client.say("what do I owe?")
        switched = bot_texts(await client.say("can we do this in Spanish please?"))
    finally:
        await client.close()
    assert switched[-1] == catalog.render("utter_ask_account_reference", "es").text, switched
