"""The assistant speaks first, on the real stack: the scheduler plans and queues a reminder, the
api's outbox sends it to (a fake of) Twilio, and the customer's reply continues from it.

The scheduler runs here, in the test, over the stack's database at a chosen moment (the api runs
it only where CONCORD_OUTREACH_CHANNELS is set; the shared stack leaves it off so that the demo
customers hear nothing during other tests). For the same reason each test plans its own
customer's first contact as the cadence would (tests/db/test_outreach.py plans from the cadence)."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import (
    Account,
    AccountStatus,
    ContactKind,
    ContactStatus,
    Customer,
    Direction,
    Message,
    MessageStatus,
    PlannedContact,
    Sender,
)
from bot.db.protection import protection
from bot.db.types import utcnow
from bot.domain.consent import opt_in
from bot.domain.conversations import open_conversation
from bot.outreach.contact_policy import Verdict
from bot.understanding.dates import date_alone
from tests.integration.customers import deep_link, query
from tests.integration.phone import Phone
from tests.integration.telegram_chat import TelegramChat
from tests.stack import (
    TWILIO,
    WHATSAPP_TEMPLATE_ES,
    eventually,
)

SYDNEY = ZoneInfo("Australia/Sydney")
# A Wednesday morning in Sydney, inside every rule (and not a public holiday).
MORNING = datetime(2027, 3, 10, 10, 0, tzinfo=SYDNEY).astimezone(UTC)
BORN = date(1985, 6, 1)


async def _past_due_customer(stack, phone: str, reference: str, language: str = "en") -> None:
    """A customer whose account fell due a week before MORNING, and the first contact the
    cadence plans for them."""
    database = stack.database()
    try:
        async with database.transaction() as session:
            customer = Customer(
                full_name="Sam Carter",
                given_name="Sam",
                date_of_birth_digest=protection().birth_digest(BORN),
                phone_e164=phone,
                language=language,
                locale="en_AU",
                timezone="Australia/Sydney",
                jurisdiction="AU",
                region="NSW",
            )
            session.add(customer)
            await session.flush()
            account = Account(
                customer_id=customer.id,
                reference=reference,
                product="Mobile plan",
                currency="AUD",
                balance_minor=60_000,
                overdue_minor=15_000,
                minimum_payment_minor=5_000,
                due_date=(MORNING - timedelta(days=7)).date(),
                status=AccountStatus.PAST_DUE,
            )
            session.add(account)
            await session.flush()
            await _plan_first_contact(session, account)
    finally:
        await database.close()


async def _next_due_date_passed(stack, reference: str) -> None:
    """The account's next due date passed unpaid: a new first contact is planned."""
    database = stack.database()
    try:
        async with database.transaction() as session:
            account = await session.scalar(select(Account).where(Account.reference == reference))
            account.due_date += timedelta(days=1)
            await _plan_first_contact(session, account)
    finally:
        await database.close()


async def _plan_first_contact(session, account: Account) -> None:
    session.add(
        PlannedContact(
            account_id=account.id,
            kind=ContactKind.FIRST_CONTACT,
            occasion=f"first_contact:{account.id}:{account.due_date}",
            due_at=MORNING - timedelta(days=6),
            expires_at=MORNING + timedelta(days=4),
            status=ContactStatus.PLANNED,
        )
    )


async def test_a_reminder_goes_out_by_sms_and_replying_2_leads_to_plan_options(stack, catalog, scheduler_for):
    await _past_due_customer(stack, "+61298761001", "CN-770001")
    scheduler = scheduler_for("sms")
    outcomes = await scheduler.send_due(MORNING)
    assert [(o.verdict, o.channel) for o in outcomes] == [(Verdict.SEND, "sms")]

    phone = Phone(stack, "+61298761001")
    [reminder] = await phone.replies_until(lambda texts: len(texts) >= 1)
    assert reminder.startswith("Hi, this is the automated assistant for")
    assert "Reply STOP to stop messages." in reminder and reminder.endswith(
        "1. Pay now\n2. Set up a payment plan"
    )

    phone.text("2")  # the reminder's second option
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)
    phone.text("CN-770001")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_date_of_birth", "en").text)
    phone.text(BORN.strftime("%d/%m/%Y"))
    await phone.replies_until(lambda r: r[-1].endswith("1. Weekly\n2. Fortnightly\n3. Monthly"))
    assert await scheduler.send_due(MORNING + timedelta(hours=1)) == []  # sent once


async def test_nothing_goes_to_a_number_that_texted_stop(stack, scheduler_for):
    await _past_due_customer(stack, "+61298761002", "CN-770002")
    phone = Phone(stack, "+61298761002")
    phone.text("STOP")
    await phone.replies_until(lambda texts: len(texts) >= 1)  # the one confirmation
    [skipped] = await scheduler_for("sms").send_due(MORNING)
    assert (skipped.verdict, skipped.rule) == (Verdict.NEVER, "suppressed.opted_out")
    assert len(TWILIO.to("+61298761002")) == 1


async def _wrote_on_whatsapp_long_ago(stack, phone: str) -> None:
    database = stack.database()
    try:
        async with database.transaction() as session:
            customer_id = await session.scalar(select(Customer.id).where(Customer.phone_e164 == phone))
            conversation = await open_conversation(session, "whatsapp", phone, "es")
            conversation.customer_id = customer_id
            session.add(
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.INBOUND,
                    sender=Sender.CUSTOMER,
                    channel="whatsapp",
                    text="hola",
                    status=MessageStatus.ANSWERED,
                    created_at=utcnow() - timedelta(days=3),
                )
            )
            await opt_in(session, "whatsapp", phone, customer_id)
    finally:
        await database.close()


async def test_whatsapp_outside_the_window_goes_as_the_customers_language_template_and_only_with_opt_in(
    stack, scheduler_for
):
    await _past_due_customer(stack, "+61298761003", "CN-770003", language="es")
    scheduler = scheduler_for("whatsapp")
    [skipped] = await scheduler.send_due(MORNING)
    assert (skipped.verdict, skipped.rule) == (Verdict.NEVER, "channel.whatsapp.no_opt_in")

    await _wrote_on_whatsapp_long_ago(stack, "+61298761003")
    await _next_due_date_passed(stack, "CN-770003")
    [sent] = await scheduler.send_due(MORNING)
    assert (sent.verdict, sent.channel) == (Verdict.SEND, "whatsapp")
    [message] = await eventually(lambda: TWILIO.to("whatsapp:+61298761003"), lambda r: len(r) >= 1)
    [request] = [m for m in TWILIO.sent if m["To"] == "whatsapp:+61298761003"]
    assert request["ContentSid"] == WHATSAPP_TEMPLATE_ES and "Body" not in request
    assert "STOP" in json.loads(request["ContentVariables"])["1"]


async def test_a_day_said_in_answer_to_a_reminder_is_read_as_a_payment_on_that_day(
    stack, catalog, scheduler_for
):
    await _past_due_customer(stack, "+61298761004", "CN-770004")
    [sent] = await scheduler_for("sms").send_due(MORNING)
    assert sent.verdict == Verdict.SEND
    phone = Phone(stack, "+61298761004")
    await phone.replies_until(lambda texts: len(texts) >= 1)
    phone.text("next Friday")  # not an option: a day, in answer to the reminder
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)
    phone.text("CN-770004")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_date_of_birth", "en").text)
    phone.text(BORN.strftime("%d/%m/%Y"))
    friday = date_alone("next Friday", "en", datetime.now(SYDNEY).date(), catalog)
    on_friday = f"To confirm: you'll pay $150.00 by {friday.day} {friday:%B %Y}. Shall I note that?"
    await phone.replies_until(lambda r: r[-1].startswith(on_friday))


async def _customer_id(stack, phone: str) -> int:
    [customer_id] = await query(stack, select(Customer.id).where(Customer.phone_e164 == phone))
    return customer_id


async def test_telegram_carries_a_reminder_only_once_the_customer_pressed_start(
    stack, catalog, scheduler_for
):
    await _past_due_customer(stack, "+61298761005", "CN-770005")
    scheduler = scheduler_for("telegram")
    [skipped] = await scheduler.send_due(MORNING)
    assert (skipped.verdict, skipped.rule) == (Verdict.NEVER, "channel.telegram.not_started")

    chat = TelegramChat(stack, 5_770, name="Sam")
    chat.say(f"/start {await deep_link(stack, await _customer_id(stack, '+61298761005'))}")
    await chat.replies_until(lambda r: len(r) >= 1)  # the greeting
    await _next_due_date_passed(stack, "CN-770005")
    [sent] = await scheduler.send_due(MORNING)
    assert (sent.verdict, sent.channel) == (Verdict.SEND, "telegram")
    reminder = (await chat.replies_until(lambda r: len(r) >= 2))[-1]
    assert reminder["text"].startswith("Hi, this is the automated assistant for")
    titles = [row[0]["text"] for row in reminder["reply_markup"]["inline_keyboard"]]
    assert titles == ["Pay now", "Set up a payment plan"]


async def test_nothing_goes_to_a_customer_who_disputed_the_account_or_is_paused_for_care(
    stack, scheduler_for
):
    await _past_due_customer(stack, "+61298761006", "CN-770006")
    phone = Phone(stack, "+61298761006")
    phone.text("this isn't my debt, I never had this account")
    await phone.replies_until(lambda texts: len(texts) >= 1)
    [skipped] = await scheduler_for("sms").send_due(MORNING)
    assert (skipped.verdict, skipped.rule) == (Verdict.NEVER, "suppressed.dispute")

    await _past_due_customer(stack, "+61298761007", "CN-770007")
    other = Phone(stack, "+61298761007")
    other.text("my husband passed away last week and I can't think about bills")
    await other.replies_until(lambda texts: len(texts) >= 1)
    [skipped] = await scheduler_for("sms").send_due(MORNING)
    assert (skipped.verdict, skipped.rule) == (Verdict.NEVER, "suppressed.bereavement")
