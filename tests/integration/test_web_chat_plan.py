"""A customer agrees an instalment plan over the web chat; the arrangement is stored as shown."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Account, Arrangement, ArrangementKind, ArrangementStatus
from bot.domain.plans import today_for
from tests.integration.chat_client import ChatClient, bot_texts

JAMES = DEMO_CUSTOMERS[3]  # $1,842.50 on a credit card, Chicago


def _messages(frames):
    return [f for f in frames if f["type"] == "message"]


async def test_a_customer_agrees_a_weekly_plan_and_it_is_stored_as_shown(stack, catalog):
    client = await ChatClient.connect(stack.ws_url)
    try:
        await client.say("hi, can I pay my credit card off in instalments?")
        await client.say(JAMES.reference)
        [frequency_question] = _messages(await client.say("23 November 1975"))
        weekly = next(b["payload"] for b in frequency_question["buttons"] if b["title"] == "Weekly")
        assert frequency_question["text"] == catalog.render("utter_ask_frequency", "en").text

        await client.say(weekly)
        [options] = _messages(await client.say("I can do $100 a week"))
        titles = [b["title"] for b in options["buttons"]]
        [schedule] = _messages(await client.say(options["buttons"][0]["payload"]))
        agreed = bot_texts(await client.say("yes, I agree"))
    finally:
        await client.close()

    assert options["text"] == catalog.render("utter_plan_options_fits", "en").text
    assert titles[0] == "19 weekly payments of about $96.98"
    lines = [line for line in schedule["text"].splitlines() if re.match(r"^\d+\. ", line)]
    assert len(lines) == 19 and "Total: $1,842.50" in schedule["text"]

    database = stack.database()
    try:
        async with database.session() as session:
            account = await session.scalar(select(Account).where(Account.reference == JAMES.reference))
            arrangement = await session.scalar(
                select(Arrangement)
                .where(Arrangement.account_id == account.id)
                .options(selectinload(Arrangement.instalments))
            )
            instalments = list(arrangement.instalments)
    finally:
        await database.close()

    assert arrangement.reference in agreed[0]
    assert (arrangement.kind, arrangement.status, arrangement.frequency) == (
        ArrangementKind.INSTALMENTS,
        ArrangementStatus.ACTIVE,
        "weekly",
    )
    assert arrangement.conversation_id == client.conversation_id
    assert (
        sum(i.amount_minor for i in instalments)
        == arrangement.total_minor
        == account.balance_minor
        == 184_250
    )
    assert max(i.amount_minor for i in instalments) <= 10_000
    first = today_for(JAMES.timezone, datetime.now(UTC)) + timedelta(days=7)
    assert [i.due_date for i in instalments] == [first + timedelta(weeks=n) for n in range(19)]
