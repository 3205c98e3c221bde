"""A month of outreach on a simulated clock: the real scheduler and contact policy over generated
accounts in seven jurisdictions, with payments, missed instalments, opt-outs, disputes and care
pauses happening along the way. Writes the ledger of every message that would be sent, for anyone
to audit against the rules without trusting this code.
"""

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from sqlalchemy import select

from bot.channels.base import Channel, SendingChannel
from bot.db.engine import Database
from bot.db.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Consent,
    ContactDecision,
    ContactStatus,
    Conversation,
    Customer,
    Instalment,
    InstalmentStatus,
    PlannedContact,
)
from bot.db.protection import protection
from bot.domain.consent import opt_in, opt_out
from bot.domain.pauses import CarePause, pause_collection, pause_for_care
from bot.domain.policy import CreditorPolicy
from bot.gateway.replies import Replies
from bot.i18n import Catalog
from bot.outreach.facts import possible_zones
from bot.outreach.scheduler import PLAN_EVERY, Scheduler

STEP = timedelta(minutes=30)  # the clock's tick: every opening hour falls on one
# Where the generated customers live: jurisdiction, region, zone, how their numbers start and how
# many digits follow, languages.
PLACES = (
    ("AU", "NSW", "Australia/Sydney", "+614", 8, ("en",)),
    ("AU", "VIC", "Australia/Melbourne", "+614", 8, ("en",)),
    ("AU", "QLD", "Australia/Brisbane", "+614", 8, ("en",)),
    ("AU", "WA", "Australia/Perth", "+614", 8, ("en",)),
    ("AU", "SA", "Australia/Adelaide", "+614", 8, ("en",)),
    ("US", "NY", "America/New_York", "+1212555", 4, ("en", "es")),
    ("US", "IL", "America/Chicago", "+1312555", 4, ("en", "es")),
    ("US", "CO", "America/Denver", "+1303555", 4, ("en",)),
    ("US", "CA", "America/Los_Angeles", "+1310555", 4, ("en", "es")),
    ("ID", None, "Asia/Jakarta", "+62812", 8, ("id",)),
    ("ID", None, "Asia/Makassar", "+62813", 8, ("id",)),
    ("ID", None, "Asia/Jayapura", "+62821", 8, ("id",)),
    ("PH", None, "Asia/Manila", "+63917", 7, ("tl", "en")),
    ("MY", None, "Asia/Kuala_Lumpur", "+6012", 8, ("ms", "en")),
    ("GB", "ENG", "Europe/London", "+447", 9, ("en",)),
    ("ES", None, "Europe/Madrid", "+346", 8, ("es",)),
)
# A quarter of US customers kept a number from another state: their zone is uncertain.
US_AREA_CODES = ("+1212555", "+1312555", "+1303555", "+1310555")
CURRENCIES = {"AU": "AUD", "US": "USD", "ID": "IDR", "PH": "PHP", "MY": "MYR", "GB": "GBP", "ES": "EUR"}


@dataclass(frozen=True)
class Event:
    at: datetime
    subject: int  # an instalment's id for pay_instalment and miss_instalment, else an account's
    what: str  # pay_instalment, miss_instalment, pay_account, fall_due, opt_out, dispute, care, wrong_person, recall


@dataclass
class Summary:
    sent: Counter
    deferred: Counter
    skipped: Counter
    accounts: int
    days: int

    def table(self) -> str:
        jurisdictions = sorted({j for _, j in self.sent})
        kinds = sorted({k for k, _ in self.sent})
        lines = [
            f"{self.accounts} accounts, {self.days} days: {sum(self.sent.values())} messages sent",
            f"{'kind':18}" + "".join(f"{j:>6}" for j in jurisdictions),
            *(f"{k:18}" + "".join(f"{self.sent[(k, j)]:6d}" for j in jurisdictions) for k in kinds),
            "deferred (times, by rule): " + ", ".join(f"{r} {n}" for r, n in self.deferred.most_common()),
            "skipped (by rule): " + ", ".join(f"{r} {n}" for r, n in self.skipped.most_common()),
        ]
        return "\n".join(lines)


async def simulate(
    db: Database,
    policy: CreditorPolicy,
    catalog: Catalog,
    channels: dict[str, Channel],
    senders: dict[str, SendingChannel],
    start: date,
    days: int,
    accounts: int,
    seed: int,
    out: IO[str],
) -> Summary:
    """Run the clock from `start` for `days`, write one JSON line per message sent to `out`."""
    rng = random.Random(seed)
    begin = datetime.combine(start, time.min, tzinfo=UTC)
    end = begin + timedelta(days=days)
    events = await _populate(db, rng, begin, days, accounts)
    scheduler = Scheduler(
        db,
        policy,
        Replies(catalog, channels),
        senders,
        ["telegram", "whatsapp", "sms"],
        {"en": "HX-en", "es": "HX-es"},
    )
    now, pending = begin, sorted(events, key=lambda e: e.at)
    while now < end:
        while pending and pending[0].at <= now:
            await _happen(db, pending.pop(0), now)
        if (now - begin) % PLAN_EVERY == timedelta(0):
            await scheduler.plan(now)
        # A worker polls; on a simulated clock, passes with nothing due are skipped.
        if (due := await scheduler.next_due()) is not None and due <= now:
            await scheduler.send_due(now, limit=10_000)
        now += STEP
    return await _report(db, out, accounts, days)


async def _populate(db: Database, rng: random.Random, begin: datetime, days: int, count: int) -> list[Event]:
    events: list[Event] = []
    birth = protection().birth_digest(date(1980, 1, 1))
    async with db.transaction() as session:
        for n in range(count):
            jurisdiction, region, zone, prefix, digits, languages = rng.choice(PLACES)
            if jurisdiction == "US" and rng.random() < 0.25:
                prefix = rng.choice(US_AREA_CODES)
            phone = f"{prefix}{n:0{digits}d}"
            customer = Customer(
                full_name=f"Customer {n}",
                date_of_birth_digest=birth,
                phone_e164=phone,
                language=rng.choice(languages),
                locale="en_AU",
                timezone=zone,
                jurisdiction=jurisdiction,
                region=region,
            )
            if rng.random() < 0.05:
                customer.contact_hours = "17:00-19:30"
            session.add(customer)
            await session.flush()
            day = lambda offset: (begin + timedelta(days=offset)).date()  # noqa: E731
            scenario = rng.random()
            account = Account(
                customer_id=customer.id,
                reference=f"SIM-{n:06d}",
                product="Simulated account",
                currency=CURRENCIES[jurisdiction],
                balance_minor=rng.randrange(20_000, 200_000),
                overdue_minor=0,
                minimum_payment_minor=5_000,
                due_date=day(rng.randrange(0, days)),
                status=AccountStatus.CURRENT,
            )
            if scenario < 0.35:
                account.status, account.overdue_minor = AccountStatus.PAST_DUE, 10_000
                account.due_date = day(-rng.randrange(1, 20))
            session.add(account)
            await session.flush()
            at = lambda offset, hour=0: begin + timedelta(days=offset, hours=hour)  # noqa: E731
            if 0.35 <= scenario < 0.7:  # a bill falls due during the month: most pay it
                offset = (account.due_date - begin.date()).days
                events.append(
                    Event(at(offset, 12), account.id, "pay_account" if rng.random() < 0.6 else "fall_due")
                )
            elif scenario >= 0.7:  # a plan (or a promise) already agreed
                promise = scenario >= 0.9
                dates = (
                    [day(rng.randrange(0, days))]
                    if promise
                    else [
                        day(first)
                        for first in range(rng.randrange(0, 7), days, 7 if rng.random() < 0.5 else 14)
                    ]
                )
                arrangement = Arrangement(
                    account_id=account.id,
                    kind=ArrangementKind.PROMISE if promise else ArrangementKind.INSTALMENTS,
                    status=ArrangementStatus.ACTIVE,
                    total_minor=len(dates) * 5_000,
                    currency=account.currency,
                    instalments=[
                        Instalment(sequence=i + 1, due_date=due, amount_minor=5_000)
                        for i, due in enumerate(dates)
                    ],
                )
                session.add(arrangement)
                await session.flush()
                for instalment in arrangement.instalments:
                    offset = (instalment.due_date - begin.date()).days
                    kept = rng.random() < 0.75
                    events.append(
                        Event(at(offset, 20), instalment.id, "pay_instalment" if kept else "miss_instalment")
                    )
            if rng.random() < 0.15:  # pressed Start on the creditor's Telegram bot
                session.add(
                    Conversation(
                        channel="telegram",
                        channel_user_id=f"tg-{n}",
                        customer_id=customer.id,
                        language=customer.language,
                    )
                )
            if rng.random() < 0.3:
                await opt_in(session, "whatsapp", phone, customer.id)
            for what, chance in (("opt_out", 0.03), ("dispute", 0.03), ("care", 0.02), ("wrong_person", 0.01),
                                 ("recall", 0.01)):  # fmt: skip
                if rng.random() < chance:
                    events.append(Event(at(rng.randrange(0, days), rng.randrange(0, 24)), account.id, what))
    return events


async def _happen(db: Database, event: Event, now: datetime) -> None:
    async with db.transaction() as session:
        if event.what in ("pay_instalment", "miss_instalment"):
            instalment = await session.get(Instalment, event.subject)
            instalment.status = (
                InstalmentStatus.PAID if event.what == "pay_instalment" else InstalmentStatus.MISSED
            )
            return
        account = await session.get(Account, event.subject)
        customer = await session.get(Customer, account.customer_id)
        if event.what == "pay_account":
            account.due_date += timedelta(days=30)
        elif event.what == "fall_due":
            account.status, account.overdue_minor = AccountStatus.PAST_DUE, account.minimum_payment_minor
        elif event.what in ("opt_out", "wrong_person"):
            await opt_out(session, "sms", customer.phone_e164, event.what, customer.id)
            await session.flush()
            consent = await session.scalar(
                select(Consent).where(Consent.channel == "sms", Consent.address == customer.phone_e164)
            )
            consent.updated_at = now  # on the simulated clock
        elif event.what == "dispute":
            await pause_collection(session, account, "dispute", now)
        elif event.what == "care":
            await pause_for_care(session, customer, CarePause.BEREAVEMENT, now)
        elif event.what == "recall":
            account.status = AccountStatus.RECALLED


async def _report(db: Database, out: IO[str], accounts: int, days: int) -> Summary:
    sent: Counter = Counter()
    async with db.session() as session:
        rows = await session.execute(
            select(PlannedContact, Account.reference, Customer)
            .join(Account, Account.id == PlannedContact.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(PlannedContact.status == ContactStatus.SENT)
            .order_by(PlannedContact.sent_at, PlannedContact.id)
        )
        for planned, reference, customer in rows:
            sent[(planned.kind.value, customer.jurisdiction)] += 1
            line = {
                "account_reference": reference,
                "customer_id": customer.id,
                "jurisdiction": customer.jurisdiction,
                "region": customer.region,
                "timezones": list(possible_zones(customer.timezone, customer.phone_e164)),
                "channel": planned.channel,
                "kind": planned.kind.value,
                "sent_at_utc": planned.sent_at.astimezone(UTC).isoformat(),
                "language": customer.language,
            }
            out.write(json.dumps(line) + "\n")
        decisions = await session.execute(select(ContactDecision.verdict, ContactDecision.rule))
        deferred, skipped = Counter(), Counter()
        for verdict, rule in decisions:
            if verdict == "defer":
                deferred[rule] += 1
            elif verdict == "never":
                skipped[rule] += 1
    return Summary(sent, deferred, skipped, accounts, days)
