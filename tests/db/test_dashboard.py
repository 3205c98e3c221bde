"""The supervisors' dashboard over a small known world, on SQLite and PostgreSQL: every figure
exactly, rows outside the period never counted, splits and parity per language.

The world (November 2026 is the period; rows in late October and at 1 December 00:00 lie just
outside it):

| conv | channel  | lang | customer | identity checked          | handoffs (wait to claim)      |
|------|----------|------|----------|---------------------------|-------------------------------|
| A    | sms      | en   | Mia AU   | yes                       | none                          |
| B    | whatsapp | en   | Mia AU   | yes                       | two asks for a person (120 s, 180 s) |
| C    | web      | en   | –        | no (one failed try)       | not understood (600 s)        |
| D    | web      | es   | Carlos US| yes, then forgotten       | none                          |
| E    | telegram | id   | Budi ID  | yes                       | hardship review (420 s)       |
| F    | sms      | es   | –        | no                        | dispute, never claimed        |
| I    | sms      | id   | Budi ID  | yes (a reminder on 25 Oct, answered 3 Nov) | none         |
| H    | sms      | en   | Mia AU   | October                   | October (9,999 s)             |
| J    | web      | en   | –        | first wrote 1 Dec 00:00   |                               |
| K    | sms      | en   | –        | a reminder nobody answered|                               |
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseKind,
    Consent,
    Conversation,
    CreditorEvent,
    Customer,
    DeliveryStatus,
    Direction,
    EventKind,
    Handoff,
    Instalment,
    InstalmentStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    SatisfactionSurvey,
    Sender,
    VerificationAttempt,
    WebhookAttempt,
)
from bot.people.dashboard import dashboard

NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
PAID, DUE, MISSED = InstalmentStatus.PAID, InstalmentStatus.DUE, InstalmentStatus.MISSED
MIA_PHONE = "+61400000001"


def at(month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def day(month: int, number: int) -> date:
    return date(2026, month, number)


async def seed_world(session) -> dict[str, int]:
    """The world above; returns the ids of the webhook events (delivered, failed, pending)."""
    people = {}
    for key, name, language, zone, country, currency, phone in [
        ("mia", "Mia Dash", "en", "Australia/Sydney", "AU", "AUD", MIA_PHONE),
        ("budi", "Budi Dash", "id", "Asia/Jakarta", "ID", "IDR", "+6281100000002"),
        ("carlos", "Carlos Dash", "es", "America/New_York", "US", "USD", "+12125550103"),
    ]:
        customer = Customer(
            full_name=name,
            date_of_birth_digest="not-checked-here",
            phone_e164=phone,
            language=language,
            locale=f"{language}_{country}",
            timezone=zone,
            jurisdiction=country,
        )
        account = Account(
            customer=customer,
            reference=f"DB-{key}",
            product="Mobile plan",
            currency=currency,
            balance_minor=10_000_000,
            overdue_minor=0,
            minimum_payment_minor=0,
            due_date=day(11, 1),
            status=AccountStatus.PAST_DUE,
        )
        session.add(account)
        people[key] = (customer, account)
    await session.flush()
    (mia, mia_account), (budi, budi_account), (carlos, carlos_account) = (
        people["mia"],
        people["budi"],
        people["carlos"],
    )

    conversations = {}
    for key, channel, address, language, customer, account, created, first_wrote in [
        ("A", "sms", MIA_PHONE, "en", mia, mia_account, at(11, 2), at(11, 2)),
        ("B", "whatsapp", f"whatsapp:{MIA_PHONE}", "en", mia, mia_account, at(11, 4, 10), at(11, 4, 10)),
        ("C", "web", None, "en", None, None, at(11, 6, 12), at(11, 6, 12)),
        ("D", "web", None, "es", carlos, None, at(11, 5, 8), at(11, 5, 8)),
        ("E", "telegram", "tg-77", "id", budi, budi_account, at(11, 6, 7), at(11, 6, 7)),
        ("F", "sms", "+12125550999", "es", None, None, at(11, 8, 15), at(11, 8, 15)),
        ("I", "sms", budi.phone_e164, "id", budi, budi_account, at(10, 25), at(11, 3, 8)),
        ("H", "sms", MIA_PHONE, "en", mia, mia_account, at(10, 31, 23, 59, 59), at(10, 31, 23, 59, 59)),
        ("J", "web", None, "en", None, None, at(12, 1, 0), at(12, 1, 0)),
        ("K", "sms", "+61400000009", "en", None, None, at(11, 10), None),
    ]:
        conversation = Conversation(
            id=f"conversation-{key}",
            channel=channel,
            channel_user_id=address or f"conversation-{key}",
            language=language,
            customer_id=customer.id if customer else None,
            verified_account_id=account.id if account else None,
            created_at=created,
            last_message_at=first_wrote or created,
        )
        session.add(conversation)
        conversations[key] = conversation
        if first_wrote is None or created < first_wrote:  # the assistant wrote first
            session.add(_message(conversation, Direction.OUTBOUND, created))
        if first_wrote is not None:
            session.add(_message(conversation, Direction.INBOUND, first_wrote))
            session.add(_message(conversation, Direction.INBOUND, first_wrote + timedelta(minutes=3)))
    await session.flush()
    # D's identity was checked, then forgotten when the chat was opened again; C failed once.
    session.add(
        VerificationAttempt(
            conversation_id="conversation-D",
            account_id=carlos_account.id,
            succeeded=True,
            created_at=at(11, 5, 8, 2),
        )
    )
    session.add(
        VerificationAttempt(
            conversation_id="conversation-C", account_id=None, succeeded=False, created_at=at(11, 6, 12, 2)
        )
    )

    for key, reason, asked, waited in [
        ("B", "customer_request", at(11, 4, 10, 5), 120),
        ("B", "customer_request", at(11, 4, 11), 180),
        ("C", "not_understood", at(11, 6, 12, 10), 600),
        ("E", "hardship", at(11, 6, 7, 30), 420),
        ("F", "dispute", at(11, 8, 15, 5), None),
        ("H", "customer_request", at(10, 31, 20), 9_999),
    ]:
        session.add(
            Handoff(
                conversation_id=f"conversation-{key}",
                reason=reason,
                priority=3,
                status="closed" if waited else "requested",
                claimed_at=asked + timedelta(seconds=waited) if waited else None,
                created_at=asked,
            )
        )

    def plan(reference, kind, status, conversation, account, total, created, *instalments):
        arrangement = Arrangement(
            reference=reference,
            account_id=account.id,
            conversation_id=f"conversation-{conversation}" if conversation else None,
            kind=kind,
            status=status,
            frequency="weekly",
            total_minor=total,
            currency=account.currency,
            created_at=created,
            instalments=[
                Instalment(
                    sequence=n,
                    due_date=due,
                    amount_minor=amount,
                    status=state,
                    paid_minor=amount if state == PAID else 0,
                    paid_on=paid_on,
                )
                for n, (due, amount, state, paid_on) in enumerate(instalments, start=1)
            ],
        )
        session.add(arrangement)
        return arrangement

    I_, P_, H_ = ArrangementKind.INSTALMENTS, ArrangementKind.PROMISE, ArrangementKind.HARDSHIP
    active, completed, lapsed = (
        ArrangementStatus.ACTIVE,
        ArrangementStatus.COMPLETED,
        ArrangementStatus.LAPSED,
    )
    plans = {
        # A's plan: kept, late, missed (its payment reversed), then still due.
        "arr1": plan("DB-ARR-1", I_, active, "A", mia_account, 60_000, at(11, 2, 9, 20),
                     (day(11, 9), 10_000, PAID, day(11, 9)), (day(11, 16), 10_000, PAID, day(11, 18)),
                     (day(11, 23), 10_000, MISSED, None), (day(11, 30), 10_000, DUE, None),
                     (day(12, 7), 10_000, DUE, None), (day(12, 14), 10_000, DUE, None)),
        "arr2": plan("DB-ARR-2", P_, completed, "D", carlos_account, 5_000, at(11, 5, 8, 10),
                     (day(11, 12), 5_000, PAID, day(11, 12))),
        "arr3": plan("DB-ARR-3", H_, active, "E", budi_account, 1_000_000_00, at(11, 6, 7, 20),
                     (day(11, 20), 200_000_00, PAID, day(11, 20)), (day(12, 20), 200_000_00, DUE, None)),
        "arr4": plan("DB-ARR-4", P_, lapsed, "I", budi_account, 50_000_00, at(11, 3, 8, 10),
                     (day(11, 10), 50_000_00, MISSED, None)),
        # Posted by the creditor's systems: no conversation. Two misses in a row broke it.
        "arr5": plan("DB-ARR-5", I_, lapsed, None, mia_account, 30_000, at(11, 4, 8),
                     (day(11, 11), 10_000, MISSED, None), (day(11, 18), 10_000, MISSED, None),
                     (day(11, 25), 10_000, DUE, None)),
        "arr6": plan("DB-ARR-6", H_, ArrangementStatus.DECLINED, "B", mia_account, 20_000, at(11, 7)),
        "arr9": plan("DB-ARR-9", H_, ArrangementStatus.PENDING_APPROVAL, "I", budi_account, 10_000_00, at(11, 9)),
        # Made in October, completed in November (paid a day early).
        "arr7": plan("DB-ARR-7", I_, completed, "H", mia_account, 99_900, at(10, 20),
                     (day(10, 27), 49_950, PAID, day(10, 27)), (day(11, 3), 49_950, PAID, day(11, 2))),
        "arr11": plan("DB-ARR-11", I_, lapsed, "H", mia_account, 40_000, at(10, 1),
                      (day(10, 8), 20_000, MISSED, None), (day(10, 15), 20_000, MISSED, None)),
        "arr8": plan("DB-ARR-8", P_, active, "A", mia_account, 15_000, at(12, 1, 0),
                     (day(12, 5), 15_000, DUE, None)),
    }  # fmt: skip
    await session.flush()

    for reference, account, amount, paid_at, toward, reversed_at in [
        ("p1", mia_account, 10_000, at(11, 9, 10), ("arr1", 1), None),
        ("p2", mia_account, 10_000, at(11, 18, 10), ("arr1", 2), None),
        ("p3", carlos_account, 5_000, at(11, 12, 10), ("arr2", 1), None),
        ("p4", mia_account, 7_000, at(11, 20, 10), ("arr1", 3), at(11, 22)),
        ("p5", budi_account, 200_000_00, at(11, 20, 10), ("arr3", 1), None),
        ("p6", mia_account, 49_950, at(11, 2, 10), ("arr7", 2), None),
        ("p7", mia_account, 49_950, at(10, 27, 10), ("arr7", 1), None),
        ("p8", carlos_account, 1_000, at(11, 25, 10), None, None),
        ("p9", budi_account, 5_000_00, at(12, 1, 0), None, None),
    ]:
        payment = Payment(
            account_id=account.id,
            amount_minor=amount,
            currency=account.currency,
            paid_at=paid_at,
            method="api",
            external_reference=f"DB-{reference}",
            reversed_at=reversed_at,
        )
        session.add(payment)
        await session.flush()
        if toward:
            instalment = plans[toward[0]].instalments[toward[1] - 1]
            session.add(
                PaymentAllocation(payment_id=payment.id, instalment_id=instalment.id, amount_minor=amount)
            )

    for channel, address, customer, opted_out, updated in [
        ("sms", MIA_PHONE, mia, True, at(11, 15)),
        ("whatsapp", f"whatsapp:{MIA_PHONE}", mia, False, at(11, 16)),  # opted in again
        ("web", "web-gone", None, True, at(10, 30)),
        ("sms", "+12125550999", None, True, at(11, 21)),
    ]:
        session.add(
            Consent(
                channel=channel,
                address=address,
                customer_id=customer.id if customer else None,
                opted_out=opted_out,
                reason="keyword",
                updated_at=updated,
            )
        )

    for kind, conversation, account, opened in [
        (CaseKind.DISPUTE, "F", None, at(11, 8, 15, 4)),
        (CaseKind.ALREADY_PAID, "B", mia_account, at(11, 9)),
        (CaseKind.DISPUTE, "H", mia_account, at(10, 15)),
    ]:
        session.add(
            Case(
                kind=kind,
                conversation_id=f"conversation-{conversation}",
                account_id=account.id if account else None,
                created_at=opened,
            )
        )

    for conversation, score, asked in [
        ("A", 5, at(11, 2, 9, 30)),
        ("D", 3, at(11, 5, 9)),
        ("I", 4, at(11, 3, 9)),
        ("E", None, at(11, 6, 9)),
        ("B", 2, at(11, 4, 12)),
        ("H", 1, at(10, 31, 22)),
    ]:
        talk = conversations[conversation]
        session.add(
            SatisfactionSurvey(
                conversation_id=talk.id,
                channel=talk.channel,
                language=talk.language,
                asked_at=asked,
                score=score,
                answered_at=asked + timedelta(minutes=1) if score else None,
            )
        )

    events = {}
    for name, kind, delivery, attempts in [
        ("delivered", EventKind.PAYMENT_APPLIED, DeliveryStatus.DELIVERED, [(200, None)]),
        ("failed", EventKind.PROMISE_BROKEN, DeliveryStatus.FAILED, [(None, "ConnectTimeout"), (503, "HTTP 503")]),
        ("pending", EventKind.OPT_OUT, DeliveryStatus.PENDING, []),
    ]:  # fmt: skip
        event = CreditorEvent(
            kind=kind,
            account_id=mia_account.id,
            occurred_at=at(11, 20),
            data={"account": mia_account.reference},
            delivery=delivery,
            attempts=len(attempts),
            next_attempt_at=at(11, 20) if delivery == DeliveryStatus.PENDING else None,
            delivered_at=at(11, 20, 9, 1) if delivery == DeliveryStatus.DELIVERED else None,
        )
        session.add(event)
        await session.flush()
        for n, (status_code, error) in enumerate(attempts, start=1):
            session.add(
                WebhookAttempt(event_id=event.id, at=at(11, 20, 9, n), status_code=status_code, error=error)
            )
        events[name] = event.id
    await session.flush()
    return events


def _message(conversation: Conversation, direction: Direction, when: datetime) -> Message:
    inbound = direction == Direction.INBOUND
    return Message(
        conversation_id=conversation.id,
        direction=direction,
        sender=Sender.CUSTOMER if inbound else Sender.BOT,
        channel=conversation.channel,
        text="hello" if inbound else "A reminder from Harbour Mobile",
        status=MessageStatus.ANSWERED if inbound else MessageStatus.DELIVERED,
        created_at=when,
    )


@pytest.fixture
async def world(db):
    async with db.transaction() as session:
        return await seed_world(session)


async def figures(db, by=None, period=NOVEMBER):
    async with db.session() as session:
        return await dashboard(session, *period, by=by)


def group(view, key):
    return next(g for g in view["groups"] if g["key"] == key)


# Conversations -----------------------------------------------------------------------------------


async def test_a_conversation_counts_in_the_period_its_customer_first_wrote_in(db, world):
    count = (await figures(db))["overall"]["conversations"]["count"]
    assert count == 7, (
        f"the dashboard showed {count} conversations for November; customers first wrote in 7 "
        "(A–F and I, whose reminder went in October), not H (31 Oct), J (1 Dec) or K (nobody answered)"
    )


async def test_right_party_contact_counts_identity_checks_a_reopened_chat_forgot(db, world):
    shown = (await figures(db))["overall"]["conversations"]
    seen = (shown["right_party_contact"], shown["right_party_contact_rate"])
    assert seen == (5, round(5 / 7, 4)), (
        f"right-party contact showed {seen}; identity was checked in 5 of 7 conversations "
        "(A, B, D whose check the reopened chat forgot, E, I)"
    )


async def test_containment_counts_conversations_in_which_nobody_asked_for_a_person(db, world):
    shown = (await figures(db))["overall"]["conversations"]
    seen = (shown["contained"], shown["contained_rate"])
    assert seen == (3, round(3 / 7, 4)), f"self-service showed {seen}; A, D and I had no handoff of 7"


async def test_agreement_counts_arrangements_made_never_one_declined_or_awaiting_a_person(db, world):
    shown = (await figures(db))["overall"]["conversations"]
    seen = (shown["agreed"], shown["agreed_rate"])
    assert seen == (4, 0.8), (
        f"agreement showed {seen}; 4 of the 5 verified conversations made an arrangement "
        "(B's hardship request was declined)"
    )


# Handoffs ----------------------------------------------------------------------------------------


async def test_handoffs_with_the_median_and_mean_wait_to_claim(db, world):
    handoffs = (await figures(db))["overall"]["handoffs"]
    overall = {
        k: handoffs[k] for k in ("count", "claimed", "median_seconds_to_claim", "mean_seconds_to_claim")
    }
    assert overall == {
        "count": 5,
        "claimed": 4,
        "median_seconds_to_claim": 300.0,
        "mean_seconds_to_claim": 330.0,
    }, f"handoffs showed {overall}; 5 asked in November, 4 claimed after 120, 180, 420 and 600 s"


async def test_handoffs_by_reason_most_frequent_first_and_an_unclaimed_one_has_no_wait(db, world):
    by_reason = (await figures(db))["overall"]["handoffs"]["by_reason"]
    assert by_reason == [
        {"reason": "customer_request", "count": 2, "claimed": 2, "median_seconds_to_claim": 150.0, "mean_seconds_to_claim": 150.0},
        {"reason": "dispute", "count": 1, "claimed": 0, "median_seconds_to_claim": None, "mean_seconds_to_claim": None},
        {"reason": "hardship", "count": 1, "claimed": 1, "median_seconds_to_claim": 420.0, "mean_seconds_to_claim": 420.0},
        {"reason": "not_understood", "count": 1, "claimed": 1, "median_seconds_to_claim": 600.0, "mean_seconds_to_claim": 600.0},
    ], f"handoffs by reason showed {by_reason}"  # fmt: skip


# Arrangements and their outcomes -----------------------------------------------------------------


def _amounts(listed):
    return {(a["currency"], a["minor"]) for a in listed}


async def test_arrangements_made_by_kind_with_amounts_kept_apart_per_currency(db, world):
    arrangements = (await figures(db))["overall"]["arrangements"]
    by_kind = {k["kind"]: (k["made"], _amounts(k["amounts"])) for k in arrangements["by_kind"]}
    assert (arrangements["made"], by_kind, _amounts(arrangements["amounts"])) == (
        5,
        {
            "hardship": (1, {("IDR", 1_000_000_00)}),
            "instalments": (2, {("AUD", 90_000)}),
            "promise": (2, {("IDR", 50_000_00), ("USD", 5_000)}),
        },
        {("AUD", 90_000), ("IDR", 1_050_000_00), ("USD", 5_000)},
    ), f"arrangements made showed {arrangements['made']}, {by_kind}, {arrangements['amounts']}"


async def test_promises_kept_and_broken_by_their_due_date(db, world):
    promises = (await figures(db))["overall"]["promises"]
    assert promises == {"kept": 1, "late": 0, "broken": 1, "kept_rate": 0.5}, (
        f"promises showed {promises}; D's fell due 12 Nov and was paid that day, I's fell due "
        "10 Nov unpaid, A's falls due in December"
    )


async def test_instalments_kept_late_and_missed_by_their_due_date(db, world):
    instalments = (await figures(db))["overall"]["instalments"]
    assert instalments == {"kept": 3, "late": 1, "missed": 3, "kept_rate": round(3 / 7, 4)}, (
        f"instalments showed {instalments}; of those due in November 3 were paid by their day, "
        "1 two days after, 3 missed (still due ones are no outcome yet)"
    )


async def test_plans_completed_and_defaulted_on_the_day_they_ended(db, world):
    plans = (await figures(db))["overall"]["plans"]
    assert plans == {"completed": 1, "defaulted": 1, "default_rate": 0.5}, (
        f"plans showed {plans}; October's plan finished on 2 Nov and the creditor's plan broke "
        "on 18 Nov (the plan broken in October is October's)"
    )


async def test_amount_collected_leaves_out_the_reversed_payment_and_keeps_currencies_apart(db, world):
    shown = (await figures(db))["overall"]
    collected = {(c["currency"], c["minor"], c["payments"]) for c in shown["collected"]}
    reversed_ = {(c["currency"], c["minor"], c["payments"]) for c in shown["reversed"]}
    assert (collected, reversed_) == (
        {("AUD", 69_950, 3), ("IDR", 200_000_00, 1), ("USD", 6_000, 2)},
        {("AUD", 7_000, 1)},
    ), f"collected showed {collected} and reversed {reversed_}"


async def test_amounts_are_shown_as_money_in_their_own_currency(db, world):
    collected = {c["currency"]: c["formatted"] for c in (await figures(db))["overall"]["collected"]}
    assert collected == {"AUD": "A$699.50", "IDR": "IDR200,000", "USD": "$60.00"}, (
        f"the collected amounts read {collected}"
    )


# Opt-outs, cases, satisfaction -------------------------------------------------------------------


async def test_opt_outs_count_addresses_opted_out_in_the_period_and_still_out(db, world):
    opt_outs = (await figures(db))["overall"]["opt_outs"]
    assert opt_outs == 2, (
        f"opt-outs showed {opt_outs}; two addresses opted out in November (one WhatsApp number "
        "opted back in, the web one opted out in October)"
    )


async def test_disputes_and_payment_claims_count_cases_opened_in_the_period(db, world):
    cases = (await figures(db))["overall"]["cases"]
    assert cases == {"dispute": 1, "already_paid": 1}, f"cases showed {cases}"


async def test_csat_counts_answers_to_questions_asked_in_the_period(db, world):
    csat = (await figures(db))["overall"]["csat"]
    assert csat == {
        "asked": 5,
        "responses": 4,
        "response_rate": 0.8,
        "mean_score": 3.5,
        "distribution": {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1},
    }, f"CSAT showed {csat}; 5 asked in November, 4 answered 5, 3, 4 and 2"


# Splits ------------------------------------------------------------------------------------------


async def test_split_by_channel_lists_each_channel_with_unknown_last(db, world):
    view = await figures(db, by="channel")
    conversations = [
        (g["key"], g["conversations"]["count"], g["conversations"]["right_party_contact"], g["conversations"]["contained"])
        for g in view["groups"]
    ]  # fmt: skip
    assert conversations == [
        ("sms", 3, 2, 2),
        ("telegram", 1, 1, 0),
        ("web", 2, 1, 1),
        ("whatsapp", 1, 1, 0),
        ("unknown", 0, 0, 0),
    ], f"conversations (channel, count, verified, contained) showed {conversations}"


async def test_money_in_a_channel_split_follows_the_arrangement_it_paid(db, world):
    view = await figures(db, by="channel")
    collected = {g["key"]: _amounts(g["collected"]) for g in view["groups"]}
    assert collected == {
        "sms": {("AUD", 69_950)},
        "telegram": {("IDR", 200_000_00)},
        "web": {("USD", 5_000)},
        "whatsapp": set(),
        "unknown": {("USD", 1_000)},
    }, f"collected per channel showed {collected}; a payment toward no arrangement is 'unknown'"


async def test_split_by_jurisdiction_puts_visitors_nobody_identified_under_unknown(db, world):
    view = await figures(db, by="jurisdiction")
    conversations = {g["key"]: g["conversations"]["count"] for g in view["groups"]}
    assert conversations == {"AU": 2, "ID": 2, "US": 1, "unknown": 2}, (
        f"conversations per jurisdiction showed {conversations}"
    )


async def test_an_opt_out_counts_for_the_language_of_the_latest_conversation_on_its_address(db, world):
    view = await figures(db, by="language")
    opt_outs = {g["key"]: g["opt_outs"] for g in view["groups"]}
    assert opt_outs == {"en": 1, "es": 1, "id": 0, "unknown": 0}, (
        f"opt-outs per language showed {opt_outs}; Mia's number last wrote in English (A), F in Spanish"
    )


async def test_split_by_language_sums_to_the_overall_figures(db, world):
    view = await figures(db, by="language")
    total = sum(g["conversations"]["count"] for g in view["groups"])
    handoffs = sum(g["handoffs"]["count"] for g in view["groups"])
    assert (total, handoffs) == (7, 5), (
        f"the language groups add up to {total} conversations, {handoffs} handoffs"
    )


# Parity ------------------------------------------------------------------------------------------


def _parity_cells(view, metric):
    return {
        row["language"]: (row["metrics"][metric]["value"], row["metrics"][metric]["gap"], row["metrics"][metric]["worse"])
        for row in view["parity"]["languages"]
    }  # fmt: skip


async def test_parity_shows_right_party_contact_per_language_beside_everyone_with_the_gap(db, world):
    view = await figures(db)
    cells = {
        "everyone": view["parity"]["overall"]["right_party_contact"],
        **_parity_cells(view, "right_party_contact"),
    }
    assert cells == {
        "everyone": {"value": round(5 / 7, 4), "n": 7},
        "en": (0.6667, -0.0476, False),
        "es": (0.5, -0.2143, True),
        "id": (1.0, 0.2857, False),
        "unknown": (None, None, False),
    }, f"right-party contact for everyone and per language (value, gap, marked worse) showed {cells}"


async def test_parity_marks_a_longer_wait_for_a_person_as_worse(db, world):
    cells = _parity_cells(await figures(db), "median_seconds_to_claim")
    assert cells == {
        "en": (180.0, -120.0, False),
        "es": (None, None, False),
        "id": (420.0, 120.0, True),
        "unknown": (None, None, False),
    }, f"median wait per language (value, gap, marked worse) showed {cells}"


async def test_parity_marks_a_higher_default_rate_as_worse(db, world):
    cells = _parity_cells(await figures(db), "plans_defaulted")
    assert cells == {
        "en": (0.0, -0.5, False),
        "es": (None, None, False),
        "id": (None, None, False),
        "unknown": (1.0, 0.5, True),
    }, f"plans defaulted per language (value, gap, marked worse) showed {cells}"


# The period --------------------------------------------------------------------------------------


async def test_the_month_before_counts_only_its_own_rows(db, world):
    october = (await figures(db, period=OCTOBER))["overall"]
    seen = {
        "conversations": october["conversations"]["count"],
        "handoffs": october["handoffs"]["count"],
        "wait": october["handoffs"]["median_seconds_to_claim"],
        "made": october["arrangements"]["made"],
        "plans": october["plans"],
        "collected": _amounts(october["collected"]),
        "opt_outs": october["opt_outs"],
        "cases": october["cases"],
        "csat": (october["csat"]["asked"], october["csat"]["mean_score"]),
    }
    assert seen == {
        "conversations": 1,
        "handoffs": 1,
        "wait": 9_999.0,
        "made": 2,
        "plans": {"completed": 0, "defaulted": 1, "default_rate": 1.0},
        "collected": {("AUD", 49_950)},
        "opt_outs": 1,
        "cases": {"dispute": 1, "already_paid": 0},
        "csat": (1, 1.0),
    }, f"October showed {seen}"


async def test_a_period_with_nothing_in_it_shows_zeros_and_no_rates(db, world):
    empty = await figures(db, period=(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)))
    shown = empty["overall"]
    assert (
        shown["conversations"]["count"],
        shown["conversations"]["right_party_contact_rate"],
        shown["collected"],
    ) == (
        0,
        None,
        [],
    ), f"January 2025, when nothing happened, showed {shown['conversations']} and {shown['collected']}"


async def test_a_period_must_end_after_it_starts(db):
    with pytest.raises(ValueError, match="end"):
        await figures(db, period=(NOVEMBER[1], NOVEMBER[0]))
