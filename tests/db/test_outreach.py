"""The outreach scheduler on a real database: planned once, sent once, within the rules, and
every decision kept."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.channels import build_channels, close_channels, senders
from bot.config import ROOT, Settings
from bot.db.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    ContactDecision,
    Conversation,
    Customer,
    Direction,
    Instalment,
    InstalmentStatus,
    Message,
    MessageStatus,
    PlannedContact,
    Sender,
)
from bot.db.protection import protection
from bot.domain.consent import opt_in, opt_out
from bot.domain.pauses import pause_collection
from bot.domain.policy import load_policy
from bot.gateway.replies import Purpose, Replies
from bot.outreach.contact_policy import Verdict
from bot.outreach.scheduler import LEASE, Scheduler
from bot.people import console_view

POLICY = load_policy(ROOT / "creditor.yml")
SYDNEY = ZoneInfo("Australia/Sydney")
PHONE = "+61298765432"  # a Sydney landline's area code agrees with the address
SETTINGS = Settings(
    twilio_account_sid="AC" + "0" * 32,
    twilio_auth_token="token",
    twilio_sms_from="+61400000000",
    twilio_whatsapp_from="+61400000001",
    twilio_whatsapp_templates={"en": "HX" + "0" * 32},
    telegram_bot_token="123:abc",
)


def _sydney(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SYDNEY).astimezone(UTC)


@pytest.fixture
async def channels():
    built = build_channels(SETTINGS)
    yield built
    await close_channels(built)


def _scheduler(db, catalog, channels, enabled=("sms",)) -> Scheduler:
    return Scheduler(
        db,
        POLICY,
        Replies(catalog, channels),
        senders(channels),
        list(enabled),
        SETTINGS.twilio_whatsapp_templates,
    )


@pytest.fixture
async def account(db) -> Account:
    """Mia's account fell past due on Tuesday 5 January 2027."""
    async with db.transaction() as session:
        customer = Customer(
            full_name="Mia Thompson",
            given_name="Mia",
            date_of_birth_digest=protection().birth_digest(date(1988, 4, 12)),
            phone_e164=PHONE,
            language="en",
            locale="en_AU",
            timezone="Australia/Sydney",
            jurisdiction="AU",
            region="NSW",
        )
        session.add(customer)
        await session.flush()
        account = Account(
            customer_id=customer.id,
            reference="CN-555001",
            product="Mobile plan",
            currency="AUD",
            balance_minor=48_650,
            overdue_minor=12_900,
            minimum_payment_minor=4_500,
            due_date=date(2027, 1, 5),
            status=AccountStatus.PAST_DUE,
        )
        session.add(account)
    return account


async def _outbound(db) -> list[Message]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.direction == Direction.OUTBOUND).order_by(Message.id)
            )
        )


async def _decisions(db) -> list[tuple[str, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(ContactDecision.verdict, ContactDecision.rule).order_by(ContactDecision.id)
        )
        return [tuple(row) for row in rows]


async def test_a_first_contact_is_planned_once_moved_into_hours_and_sent_once(db, catalog, channels, account):
    scheduler = _scheduler(db, catalog, channels)
    # Planned late on the evening the account fell due: the contact is for the next day, and the
    # policy moves it to 08:00 in Sydney (Australia allows 07:30; this creditor starts at 08:00).
    [planned] = await scheduler.plan(_sydney(2027, 1, 5, 23, 0))
    assert (planned.verdict, planned.rule) == (Verdict.DEFER, "AU.hours")
    assert planned.not_before == _sydney(2027, 1, 6, 8, 0)
    assert await scheduler.plan(_sydney(2027, 1, 6, 1, 0)) == []  # the same occasion is not planned twice

    assert await scheduler.send_due(_sydney(2027, 1, 6, 7, 45)) == []
    [sent] = await scheduler.send_due(_sydney(2027, 1, 6, 8, 1))
    assert (sent.verdict, sent.channel) == (Verdict.SEND, "sms")
    assert await scheduler.send_due(_sydney(2027, 1, 6, 12, 0)) == []

    [message] = await _outbound(db)
    assert (message.sender, message.purpose, message.status) == (
        Sender.BOT,
        Purpose.OUTREACH,
        MessageStatus.QUEUED,
    )
    # How to stop is in the message; nothing about the account is (the number may have changed hands).
    assert (
        "Reply STOP to stop" in message.text and "486" not in message.text and "CN-555001" not in message.text
    )
    assert [b["payload"] for b in message.buttons] == ["/make_payment", "/request_payment_plan"]
    async with db.session() as session:
        conversation = await session.get(Conversation, message.conversation_id)
        assert (conversation.channel, conversation.channel_user_id) == ("sms", PHONE)
    assert await _decisions(db) == [("defer", "AU.hours"), ("send", "AU.allowed")]


async def test_two_workers_at_once_send_a_contact_once(db, catalog, channels, account):
    await _scheduler(db, catalog, channels).plan(_sydney(2027, 1, 6, 9, 0))
    first, second = _scheduler(db, catalog, channels), _scheduler(db, catalog, channels)
    now = _sydney(2027, 1, 6, 9, 1)
    results = await asyncio.gather(first.send_due(now), second.send_due(now))
    assert sum(len(outcomes) for outcomes in results) == 1
    assert len(await _outbound(db)) == 1


async def test_a_worker_that_dies_after_claiming_leaves_the_contact_to_another(
    db, catalog, channels, account
):
    dead = _scheduler(db, catalog, channels)
    await dead.plan(_sydney(2027, 1, 6, 9, 0))
    claimed = await dead._claim(_sydney(2027, 1, 6, 9, 1), limit=10)  # and then it is killed
    assert len(claimed) == 1
    alive = _scheduler(db, catalog, channels)
    assert await alive.send_due(_sydney(2027, 1, 6, 9, 1, 30)) == []  # the lease still holds
    [sent] = await alive.send_due(_sydney(2027, 1, 6, 9, 1) + LEASE + timedelta(seconds=1))
    assert sent.verdict == Verdict.SEND
    assert len(await _outbound(db)) == 1


async def test_nothing_goes_to_a_disputed_account_or_an_opted_out_number(db, catalog, channels, account):
    scheduler = _scheduler(db, catalog, channels)
    async with db.transaction() as session:
        await pause_collection(
            session, await session.get(Account, account.id), "dispute", _sydney(2027, 1, 5, 12)
        )
    [outcome] = await scheduler.plan(_sydney(2027, 1, 6, 9, 0))
    assert (outcome.verdict, outcome.rule) == (Verdict.NEVER, "suppressed.dispute")
    assert await scheduler.send_due(_sydney(2027, 1, 7, 9, 0)) == []

    async with db.transaction() as session:
        (await session.get(Account, account.id)).collection_paused_reason = None
        account_row = await session.get(Account, account.id)
        account_row.due_date = date(2027, 2, 5)  # a new occasion: the next due date passed
        await opt_out(session, "sms", PHONE, "keyword")
    [outcome] = await scheduler.plan(_sydney(2027, 2, 8, 9, 0))
    assert outcome.rule == "suppressed.opted_out"
    assert await _outbound(db) == []


async def test_a_paused_customer_planned_before_the_pause_hears_nothing(db, catalog, channels, account):
    scheduler = _scheduler(db, catalog, channels)
    [planned] = await scheduler.plan(_sydney(2027, 1, 6, 6, 0))
    assert planned.verdict == Verdict.DEFER
    async with db.transaction() as session:
        (await session.get(Customer, account.customer_id)).care_pause = "crisis"
    [outcome] = await scheduler.send_due(_sydney(2027, 1, 6, 8, 0))
    assert (outcome.verdict, outcome.rule) == (Verdict.NEVER, "suppressed.crisis")
    assert await _outbound(db) == []


async def test_australias_weekly_cap_holds_across_channels(db, catalog, channels, account):
    scheduler = _scheduler(db, catalog, channels, enabled=("sms", "whatsapp"))
    async with db.transaction() as session:
        arrangement = Arrangement(
            account_id=account.id,
            kind=ArrangementKind.INSTALMENTS,
            status=ArrangementStatus.ACTIVE,
            frequency="weekly",
            total_minor=12_000,
            currency="AUD",
            instalments=[
                Instalment(sequence=n, due_date=date(2027, 1, 4) + timedelta(days=2 * n), amount_minor=3_000)
                for n in range(1, 5)
            ],
        )
        session.add(arrangement)
    # Four instalments two days apart: a reminder two days before each, all within one week.
    sent = []
    for day in range(4, 13):
        now = _sydney(2027, 1, day, 12, 0)
        await scheduler.plan(now)
        sent += [o for o in await scheduler.send_due(now) if o.verdict == Verdict.SEND]
    async with db.session() as session:
        times = sorted(
            await session.scalars(select(PlannedContact.sent_at).where(PlannedContact.sent_at.is_not(None)))
        )
    assert all(later - earlier >= timedelta(0) for earlier, later in zip(times, times[1:], strict=False))
    for moment in times:
        assert sum(1 for other in times if moment - timedelta(days=7) < other <= moment) <= 3
    assert ("defer", "AU.cap.week") in await _decisions(db)


async def _promise_for_friday_15th(db, account) -> None:
    """Mia brought the account up to date with a promise to pay on Friday 15 January."""
    async with db.transaction() as session:
        session.add(
            Arrangement(
                account_id=account.id,
                kind=ArrangementKind.PROMISE,
                status=ArrangementStatus.ACTIVE,
                total_minor=12_900,
                currency="AUD",
                instalments=[Instalment(sequence=1, due_date=date(2027, 1, 15), amount_minor=12_900)],
            )
        )
        (await session.get(Account, account.id)).status = AccountStatus.CURRENT


async def test_a_reminder_for_an_instalment_paid_meanwhile_is_not_sent(db, catalog, channels, account):
    await _promise_for_friday_15th(db, account)
    scheduler = _scheduler(db, catalog, channels)
    [planned] = await scheduler.plan(_sydney(2027, 1, 13, 6, 0))
    async with db.transaction() as session:
        (await session.scalar(select(Instalment))).status = InstalmentStatus.PAID
    [outcome] = await scheduler.send_due(_sydney(2027, 1, 13, 9, 0))
    assert (outcome.verdict, outcome.rule) == (Verdict.NEVER, "no_longer_applies")


async def test_a_promise_not_kept_gets_one_kind_follow_up(db, catalog, channels, account):
    await _promise_for_friday_15th(db, account)
    scheduler = _scheduler(db, catalog, channels)
    await scheduler.plan(_sydney(2027, 1, 18, 9, 0))  # the Monday after the promised Friday
    [outcome] = await scheduler.send_due(_sydney(2027, 1, 18, 9, 0))
    assert outcome.verdict == Verdict.SEND
    async with db.session() as session:
        kinds = list(await session.scalars(select(PlannedContact.kind)))
    assert [k.value for k in kinds] == ["broken_promise"]
    [message] = await _outbound(db)
    assert message.text.startswith(
        catalog.render("outreach_broken_promise", "en", {"creditor": POLICY.name, "stop": "STOP"}).text[:40]
    )


async def test_whatsapp_outside_the_window_needs_opt_in_and_telegram_needs_start(
    db, catalog, channels, account
):
    scheduler = _scheduler(db, catalog, channels, enabled=("telegram", "whatsapp"))
    [outcome] = await scheduler.plan(_sydney(2027, 1, 6, 9, 0))
    assert (outcome.verdict, outcome.rule) == (
        Verdict.NEVER,
        "channel.telegram.not_started; channel.whatsapp.no_opt_in",
    )
    async with db.transaction() as session:
        (await session.get(Account, account.id)).due_date = date(2027, 2, 5)
        await opt_in(session, "whatsapp", PHONE)
    [outcome] = await scheduler.plan(_sydney(2027, 2, 8, 9, 0))
    [sent] = await scheduler.send_due(_sydney(2027, 2, 8, 9, 0))
    assert (sent.verdict, sent.channel) == (Verdict.SEND, "whatsapp")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PlannedContact)) == 2


async def test_the_console_shows_a_customers_contacts_and_supervisors_see_todays_plan(
    db, catalog, channels, account
):
    scheduler = _scheduler(db, catalog, channels)
    await scheduler.plan(_sydney(2027, 1, 5, 23, 0))
    async with db.session() as session:
        customer = await session.get(Customer, account.customer_id)
        panel = await console_view._customer(session, customer)
        today = (await console_view.supervisor_view(session, _sydney(2027, 1, 5, 23, 30)))["outreach"]
    [contact] = panel["contacts"]
    assert (contact["kind"], contact["status"], contact["rule"]) == ("first_contact", "planned", "AU.hours")
    assert contact["at"] == _sydney(2027, 1, 6, 8, 0).isoformat()
    assert today["upcoming"] == [{"kind": "first_contact", "count": 1}]
    assert today["decided"] == [{"verdict": "defer", "rule": "AU.hours", "count": 1}]


async def test_a_channel_switched_on_for_outreach_but_not_set_up_is_named_as_off(db, catalog, account):
    without_whatsapp = build_channels(
        Settings(twilio_account_sid="AC" + "0" * 32, twilio_auth_token="t", twilio_sms_from="+61400000000")
    )
    try:
        scheduler = Scheduler(
            db, POLICY, Replies(catalog, without_whatsapp), senders(without_whatsapp), ["whatsapp"], {}
        )
        [outcome] = await scheduler.plan(_sydney(2027, 1, 6, 9, 0))
    finally:
        await close_channels(without_whatsapp)
    assert (outcome.verdict, outcome.rule) == (Verdict.NEVER, "channel.whatsapp.off")
