"""The creditor's whole loop on the real stack: an account placed by API is reminded by SMS, the
customer agrees a plan by text, the creditor hears of it by a signed webhook, payments are
posted (one instalment missed), the missed instalment brings a reminder, and the exports and
events agree with what happened.

Time: the conversation runs now; the scheduler and the missed-instalment sweep are run by the
test at the moments the story needs (a weekday noon in Sydney), as the api would run them then.
"""

import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

import holidays
import httpx
from sqlalchemy import select

from bot.config import ROOT
from bot.creditor.webhooks import verify
from bot.db.models import Account, Arrangement, ArrangementStatus, InstalmentStatus, PlannedContact
from bot.domain.payments import mark_missed
from bot.domain.policy import load_policy
from bot.outreach.cadence import occasions
from bot.outreach.contact_policy import Verdict
from bot.people.dashboard import dashboard
from tests.integration.phone import Phone
from tests.stack import CREDITOR, CREDITOR_SECRET, eventually

SYDNEY = ZoneInfo("Australia/Sydney")
POLICY = load_policy(ROOT / "creditor.yml")
NUMBER = "+61298763001"
REFERENCE = "CN-880001"
BORN = "1986-07-21"


def _weekday_noon_from(day: date) -> datetime:
    """Noon in Sydney on the first working day from `day`: inside every contact rule there."""
    closed = holidays.country_holidays("AU", subdiv="NSW", years=range(day.year, day.year + 2))
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return datetime.combine(day, day_time(12), tzinfo=SYDNEY).astimezone(UTC)


def _api_key(stack) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "api.cli", "create-api-key", "journey"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


async def _plan_for_account(stack, reference: str, now: datetime) -> None:
    """What the scheduler's planning pass plans at `now`, for this account only (the shared stack's
    other customers stay unplanned)."""
    database = stack.database()
    try:
        async with database.transaction() as session:
            account_id = await session.scalar(select(Account.id).where(Account.reference == reference))
            planned = set(
                await session.scalars(
                    select(PlannedContact.occasion).where(PlannedContact.account_id == account_id)
                )
            )
            for occasion in await occasions(session, now, POLICY.outreach.cadence):
                if occasion.account_id == account_id and occasion.key not in planned:
                    session.add(
                        PlannedContact(
                            account_id=account_id,
                            instalment_id=occasion.instalment_id,
                            kind=occasion.kind,
                            occasion=occasion.key,
                            due_at=occasion.due_at,
                            expires_at=occasion.expires_at,
                        )
                    )
    finally:
        await database.close()


async def _plan(stack, reference: str) -> Arrangement:
    database = stack.database()
    try:
        async with database.session() as session:
            return await session.scalar(
                select(Arrangement)
                .join(Account, Account.id == Arrangement.account_id)
                .where(Account.reference == reference, Arrangement.status == ArrangementStatus.ACTIVE)
            )
    finally:
        await database.close()


async def _figures(stack, start: date, end: date) -> dict:
    """The dashboard's overall figures for the days [start, end), from the stack's database."""
    database = stack.database()
    try:
        async with database.session() as session:
            board = await dashboard(
                session,
                datetime.combine(start, day_time(0), tzinfo=UTC),
                datetime.combine(end, day_time(0), tzinfo=UTC),
            )
    finally:
        await database.close()
    overall = board["overall"]
    collected = {row["currency"]: row["minor"] for row in overall["collected"]}
    return {
        "arrangements": overall["arrangements"]["made"],
        "kept": overall["instalments"]["kept"],
        "missed": overall["instalments"]["missed"],
        "collected_aud": collected.get("AUD", 0),
    }


def _events_for(kind: str) -> list[dict]:
    return [e for e in CREDITOR.events(kind) if e["data"].get("account") == REFERENCE]


async def test_a_placed_account_is_reminded_agrees_a_plan_pays_misses_and_is_reminded_again(
    stack, catalog, scheduler_for
):
    api = httpx.Client(
        base_url=f"{stack.api_url}/api/v1", headers={"Authorization": f"Bearer {_api_key(stack)}"}, timeout=60
    )
    today = datetime.now(SYDNEY).date()
    placed = api.post(
        "/accounts",
        json={
            "accounts": [
                {
                    "reference": REFERENCE,
                    "full_name": "Jordan Lee",
                    "given_name": "Jordan",
                    "date_of_birth": BORN,
                    "phone": "02 9876 3001",
                    "language": "en",
                    "timezone": "Australia/Sydney",
                    "jurisdiction": "AU",
                    "region": "NSW",
                    "product": "Broadband",
                    "currency": "AUD",
                    "balance_minor": 60_000,
                    "overdue_minor": 15_000,
                    "minimum_payment_minor": 5_000,
                    "due_date": (today - timedelta(days=5)).isoformat(),
                }
            ]
        },
    )
    assert placed.status_code == 201, placed.text
    # The dashboard's period: from yesterday, for two months (the plan's first instalments).
    period = (today - timedelta(days=1), today + timedelta(days=60))
    before = await _figures(stack, *period)

    # The first reminder, at the next weekday noon in Sydney.
    first_noon = _weekday_noon_from(today)
    await _plan_for_account(stack, REFERENCE, first_noon)
    scheduler = scheduler_for("sms")
    [sent] = await scheduler.send_due(first_noon)
    assert (sent.verdict, sent.channel) == (Verdict.SEND, "sms"), sent

    # The customer answers the reminder by text and agrees a fortnightly plan.
    phone = Phone(stack, NUMBER)
    await phone.replies_until(lambda texts: len(texts) >= 1)
    phone.text("2")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)
    phone.text(REFERENCE)
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_date_of_birth", "en").text)
    phone.text("21/07/1986")
    await phone.replies_until(lambda r: r[-1].endswith("1. Weekly\n2. Fortnightly\n3. Monthly"))
    phone.text("2")
    await phone.replies_until(lambda r: "each fortnight" in r[-1])
    phone.text("$100")
    await phone.replies_until(lambda r: "Which would suit you?" in r[-1], timeout=60)
    phone.text("1")
    await phone.replies_until(lambda r: "Which would suit you?" not in r[-1], timeout=60)
    phone.text("yes")
    await eventually(lambda: _events_for("arrangement.created"), bool, timeout=60)

    # The creditor heard of it, signed.
    [created] = _events_for("arrangement.created")
    delivery = next(d for d in CREDITOR.received if d.event["id"] == created["id"])
    assert verify(CREDITOR_SECRET, delivery.body, delivery.signature, int(time.time()))
    plan = await _plan(stack, REFERENCE)
    first, second = plan.instalments[0], plan.instalments[1]
    assert created["data"]["arrangement"] == plan.reference

    # The first instalment is paid on its day; the second is not.
    paid = api.post(
        "/payments",
        json={
            "account": REFERENCE,
            "amount_minor": first.amount_minor,
            "currency": "AUD",
            "paid_at": datetime.combine(first.due_date, day_time(9), tzinfo=SYDNEY).isoformat(),
            "reference": "journey-1",
        },
    )
    assert paid.status_code == 201, paid.text
    after_second = _weekday_noon_from(
        second.due_date + timedelta(days=POLICY.outreach.cadence.missed_instalment_after)
    )
    database = stack.database()
    try:
        async with database.transaction() as session:
            await mark_missed(session, after_second, POLICY.arrangements)
    finally:
        await database.close()
    plan = await _plan(stack, REFERENCE)
    assert [i.status for i in plan.instalments[:2]] == [InstalmentStatus.PAID, InstalmentStatus.MISSED]
    await eventually(lambda: _events_for("instalment.missed"), bool)

    # The missed instalment brings its reminder.
    heard = len(await phone.replies_until(lambda r: True))
    await _plan_for_account(stack, REFERENCE, after_second)
    outcomes = await scheduler.send_due(after_second)
    assert [(o.verdict, o.channel) for o in outcomes] == [(Verdict.SEND, "sms")], outcomes
    [reminder] = (await phone.replies_until(lambda r: len(r) > heard))[heard:]
    assert "STOP" in reminder

    # What the creditor can read back agrees.
    account = api.get(f"/accounts/{REFERENCE}").json()
    assert account["balance_minor"] == 60_000 - first.amount_minor
    assert [p["reference"] for p in account["payments"]] == ["journey-1"]
    kinds = [
        e["type"]
        for e in api.get("/events", params={"limit": 1000}).json()["events"]
        if e["data"].get("account") == REFERENCE
    ]
    assert kinds[:3] == ["arrangement.created", "payment.applied", "instalment.missed"], kinds

    # The dashboard counts this customer's story.
    after = await _figures(stack, *period)
    assert {name: after[name] - before[name] for name in after} == {
        "arrangements": 1,
        "kept": 1,
        "missed": 1,
        "collected_aud": first.amount_minor,
    }
