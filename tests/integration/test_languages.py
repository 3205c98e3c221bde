"""Whole journeys in the customer's own language: Indonesian over SMS, Japanese over the web chat."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.db.models import Account, Arrangement, ArrangementStatus, Conversation
from bot.demo_data import DEMO_CUSTOMERS
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.test_sms import Phone

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


async def test_an_indonesian_customer_agrees_a_plan_by_sms_in_indonesian(stack, catalog):
    phone = Phone(stack, BUDI.phone)

    def said(key: str) -> str:
        return catalog.render(key, "id").text

    phone.text("halo kak")
    greeting = (await phone.replies_until(lambda r: len(r) >= 1))[-1]
    assert greeting.startswith(said("utter_greet"))
    phone.text("saya mau bayar cicilan aja, bisa?")
    await phone.replies_until(lambda r: r[-1] == said("utter_ask_account_reference"))
    phone.text(BUDI.reference)
    await phone.replies_until(lambda r: r[-1] == said("utter_ask_date_of_birth"))
    phone.text("30 Agustus 1979")
    await phone.replies_until(lambda r: r[-1].startswith(said("utter_ask_frequency")))
    phone.text("bulanan")
    await phone.replies_until(lambda r: "Rp" in r[-1] and "3." not in r[-1])
    phone.text("Rp 300.000 sebulan")
    options = (await phone.replies_until(lambda r: r[-1].startswith("1.") or "\n1. " in r[-1]))[-1]
    phone.text("1")
    await phone.replies_until(lambda r: "Total" in "".join(r[-2:]) or "Rp 1.250.000" in "".join(r[-2:]))
    phone.text("ya, setuju")
    texts = await phone.replies_until(lambda r: any("AR-" in t for t in r))

    account, arrangement = await _arrangement(stack, BUDI.reference)
    assert arrangement is not None, f"no plan was stored; the customer was offered:\n{options}"
    assert arrangement.status == ArrangementStatus.ACTIVE and arrangement.frequency == "monthly"
    assert sum(i.amount_minor for i in arrangement.instalments) == account.balance_minor
    assert max(i.amount_minor for i in arrangement.instalments) <= 300_000_00
    assert any(arrangement.reference in t for t in texts)
    assert "Rp" in options and "bulanan" in options.casefold()


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
    assert "￥" in schedule[-1] or "¥" in schedule[-1]

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
