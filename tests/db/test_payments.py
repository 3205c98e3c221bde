"""Payments the creditor posts, applied to the account and its plan: kept, late, missed, reversed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import ROOT
from bot.db.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    CreditorEvent,
    Customer,
    Instalment,
    InstalmentStatus,
)
from bot.db.protection import protection
from bot.domain.money import Money
from bot.domain.payments import PaymentRefused, apply_payment, mark_missed, reverse_payment
from bot.domain.policy import load_policy

POLICY = load_policy(ROOT / "creditor.yml").arrangements  # lapse_after_missed: 2
NOON = datetime(2027, 3, 10, 1, 0, tzinfo=UTC)  # 12:00 in Sydney
TODAY = date(2027, 3, 10)


async def _account_with_plan(session, kind=ArrangementKind.INSTALMENTS, dues=(0, 14, 28), amount=10_000):
    customer = Customer(
        full_name="Sam Carter",
        date_of_birth_digest=protection().birth_digest(date(1985, 6, 1)),
        language="en",
        locale="en_AU",
        timezone="Australia/Sydney",
        jurisdiction="AU",
    )
    account = Account(
        customer=customer,
        reference="CN-777001",
        product="Mobile plan",
        currency="AUD",
        balance_minor=amount * len(dues),
        overdue_minor=amount,
        minimum_payment_minor=5_000,
        due_date=TODAY - timedelta(days=10),
        status=AccountStatus.PAST_DUE,
    )
    plan = Arrangement(
        kind=kind,
        status=ArrangementStatus.ACTIVE,
        frequency="fortnightly" if kind == ArrangementKind.INSTALMENTS else None,
        total_minor=amount * len(dues),
        currency="AUD",
        reference="AR-900001",
        instalments=[
            Instalment(sequence=n + 1, due_date=TODAY + timedelta(days=d), amount_minor=amount)
            for n, d in enumerate(dues)
        ],
    )
    session.add_all([customer, account])
    await session.flush()
    plan.account_id = account.id
    session.add(plan)
    await session.flush()
    return account, plan


async def _events(session) -> list[tuple[str, dict]]:
    rows = await session.scalars(select(CreditorEvent).order_by(CreditorEvent.id))
    return [(e.kind.value, e.data) for e in rows]


async def test_a_payment_on_time_keeps_the_first_instalment_and_brings_the_account_up_to_date(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session)
        await apply_payment(session, account, Money(10_000, "AUD"), NOON, "api", "pay-1")
    async with db.session() as session:
        account = await session.get(Account, account.id)
        plan = await session.get(Arrangement, plan.id)
        first = plan.instalments[0]
        assert (first.status, first.paid_on) == (InstalmentStatus.PAID, TODAY), "the instalment was not kept"
        assert (account.balance_minor, account.overdue_minor, account.status) == (
            20_000,
            0,
            AccountStatus.CURRENT,
        )
        [(kind, data)] = await _events(session)
        assert kind == "payment.applied"
        assert data["instalments"] == [
            {"arrangement": "AR-900001", "sequence": 1, "amount_minor": 10_000, "status": "kept"}
        ]


async def test_the_same_payment_posted_twice_is_applied_once(db):
    async with db.transaction() as session:
        account, _ = await _account_with_plan(session)
        first = await apply_payment(session, account, Money(10_000, "AUD"), NOON, "api", "pay-1")
        again = await apply_payment(session, account, Money(10_000, "AUD"), NOON, "api", "pay-1")
        assert (first.duplicate, again.duplicate, again.payment.id) == (False, True, first.payment.id)
        assert account.balance_minor == 20_000, "the repeat was applied again"


async def test_a_reference_reused_for_another_amount_is_refused(db):
    async with db.transaction() as session:
        account, _ = await _account_with_plan(session)
        await apply_payment(session, account, Money(10_000, "AUD"), NOON, "api", "pay-1")
        with pytest.raises(PaymentRefused):
            await apply_payment(session, account, Money(5_000, "AUD"), NOON, "api", "pay-1")


async def test_a_payment_in_another_currency_is_refused_and_changes_nothing(db):
    async with db.transaction() as session:
        account, _ = await _account_with_plan(session)
        with pytest.raises(PaymentRefused):
            await apply_payment(session, account, Money(10_000, "USD"), NOON, "api", "pay-usd")
        assert account.balance_minor == 30_000


async def test_a_part_payment_counts_toward_the_instalment_and_the_rest_completes_it_late(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session)
        await apply_payment(session, account, Money(4_000, "AUD"), NOON, "api", "part-1")
        assert plan.instalments[0].status == InstalmentStatus.DUE
        await apply_payment(session, account, Money(6_000, "AUD"), NOON + timedelta(days=2), "api", "part-2")
        first = plan.instalments[0]
        assert (first.status, first.paid_minor) == (InstalmentStatus.PAID, 10_000)
        statuses = [data["instalments"][0]["status"] for kind, data in await _events(session)]
        assert statuses == ["part_paid", "late"]


async def test_paying_every_instalment_completes_the_plan_and_closes_the_account(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session)
        await apply_payment(session, account, Money(30_000, "AUD"), NOON, "api", "all")
        assert plan.status == ArrangementStatus.COMPLETED
        assert (account.balance_minor, account.status) == (0, AccountStatus.CLOSED)
        assert [kind for kind, _ in await _events(session)] == ["plan.completed", "payment.applied"]


async def test_a_kept_promise_is_reported_as_kept(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session, kind=ArrangementKind.PROMISE, dues=(3,))
        await apply_payment(session, account, Money(10_000, "AUD"), NOON, "api", "promise")
        assert plan.status == ArrangementStatus.COMPLETED
        assert "promise.kept" in [kind for kind, _ in await _events(session)]


async def test_a_reversal_undoes_exactly_what_the_payment_did(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session)
        applied = await apply_payment(session, account, Money(30_000, "AUD"), NOON, "api", "all")
        await reverse_payment(session, applied.payment, NOON + timedelta(days=1))
        assert (account.balance_minor, account.overdue_minor, account.status) == (
            30_000,
            10_000,
            AccountStatus.PAST_DUE,
        )
        assert plan.status == ArrangementStatus.ACTIVE, "the plan stayed completed after its payment bounced"
        assert [(i.status, i.paid_minor) for i in plan.instalments] == [(InstalmentStatus.DUE, 0)] * 3
        with pytest.raises(PaymentRefused):
            await reverse_payment(session, applied.payment, NOON + timedelta(days=2))


async def test_an_unpaid_instalment_is_missed_after_its_day_and_carried_to_the_end(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session)
        # 23:30 on the due day in Sydney: the day has not ended there yet.
        assert await mark_missed(session, datetime(2027, 3, 10, 12, 30, tzinfo=UTC), POLICY) == 0
        assert await mark_missed(session, datetime(2027, 3, 10, 13, 30, tzinfo=UTC), POLICY) == 1
        assert [i.status for i in plan.instalments] == [
            InstalmentStatus.MISSED,
            InstalmentStatus.DUE,
            InstalmentStatus.DUE,
            InstalmentStatus.DUE,
        ]
        assert plan.instalments[-1].due_date == TODAY + timedelta(days=42), (
            "the missed amount was not carried"
        )
        assert [kind for kind, _ in await _events(session)] == ["instalment.missed", "arrangement.changed"]


async def test_two_misses_in_a_row_lapse_the_plan(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session)
        await mark_missed(session, NOON + timedelta(days=1), POLICY)
        await mark_missed(session, NOON + timedelta(days=15), POLICY)
        assert plan.status == ArrangementStatus.LAPSED
        assert (await _events(session))[-1][0] == "plan.broken"


async def test_a_promise_not_kept_is_broken(db):
    async with db.transaction() as session:
        account, plan = await _account_with_plan(session, kind=ArrangementKind.PROMISE, dues=(0,))
        await mark_missed(session, NOON + timedelta(days=1), POLICY)
        assert plan.status == ArrangementStatus.LAPSED
        assert [kind for kind, _ in await _events(session)] == ["promise.broken"]
