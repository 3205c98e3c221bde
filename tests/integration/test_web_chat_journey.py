"""A customer checks what they owe over the web chat, through the real Rasa, actions and api."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Account, Conversation, Customer, Direction, Message, MessageStatus
from bot.domain.accounts import account_summary
from bot.i18n import formatting_locale
from tests.integration.chat_client import ChatClient, bot_texts

MIA = DEMO_CUSTOMERS[0]


async def _complete_the_balance_journey(stack, catalog):
    def says(key, **values):
        return catalog.render(key, "en", values).text

    client = await ChatClient.connect(stack.ws_url)
    try:
        greeting = await client.say("hi")
        assert bot_texts(greeting) == [says("utter_greet")], "the bot must introduce itself as automated"
        assert [b["title"] for b in greeting[-2]["buttons"]] == [
            "Check what I owe",
            "Set up a payment plan",
            "Talk to a person",
        ]
        assert bot_texts(await client.say("/check_balance")) == [says("utter_ask_account_reference")]
        assert bot_texts(await client.say("it's cn 100234")) == [says("utter_ask_date_of_birth")]
        shown = bot_texts(await client.say("12 April 1988"))
        bye = bot_texts(await client.say("no thanks"))
    finally:
        await client.close()

    database = stack.database()
    try:
        async with database.session() as session:
            account = await session.scalar(select(Account).where(Account.reference == MIA.reference))
            customer = await session.get(Customer, account.customer_id)
            conversation = await session.get(Conversation, client.conversation_id)
            messages = list(
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == client.conversation_id)
                    .order_by(Message.id)
                )
            )
    finally:
        await database.close()
    summary = account_summary(
        account, customer, datetime.now(UTC), formatting_locale("en", customer.locale), "given"
    )
    expected_balance = says("utter_balance", **summary)
    assert shown == [expected_balance, says("utter_anything_else")]
    assert "$486.50" in expected_balance and "$129.00" in expected_balance
    assert bye == [says("utter_goodbye"), says("csat_question")]  # a verified customer leaving is asked once
    assert conversation.verified_account_id == account.id

    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    outbound = [m for m in messages if m.direction == Direction.OUTBOUND]
    assert [m.text for m in inbound] == [
        "hi",
        "/check_balance",
        "it's cn 100234",
        "12 April 1988",
        "no thanks",
    ]
    assert all(m.status == MessageStatus.ANSWERED and m.channel_message_id for m in inbound)
    assert len(outbound) == 7 and all(m.status == MessageStatus.SENT for m in outbound)
    assert all(m.reply_to_id in {i.id for i in inbound} for m in outbound)


async def test_a_customer_checks_their_balance_over_the_web_chat(stack, catalog):
    await _complete_the_balance_journey(stack, catalog)


@pytest.mark.usefixtures("postgres_admin")
async def test_the_same_journey_runs_on_postgresql_for_app_and_tracker_store(postgres_stack, catalog):
    await _complete_the_balance_journey(postgres_stack, catalog)
