"""What customers agree is stored exactly, and nothing outside the creditor's policy ever is."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import ROOT
from bot.db.demo_data import seed_if_empty
from bot.db.models import (
    Account,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    CaseKind,
    Customer,
    Handoff,
)
from bot.domain.arrangements import (
    HardshipDecision,
    OutsidePolicy,
    active_plan,
    agree_instalment_plan,
    decide_hardship,
    move_next_instalment,
    promise_to_pay,
    request_hardship,
)
from bot.domain.cases import open_case
from bot.domain.consent import is_opted_out, opt_in, opt_out
from bot.domain.conversations import open_conversation
from bot.domain.money import Money
from bot.domain.plans import build_plan, first_payment_date, today_for
from bot.domain.policy import load_policy
from bot.domain.schedule import Frequency
from bot.people.handoff import HandoffReason, open_handoff, request_handoff

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = load_policy(ROOT / "creditor.yml").arrangements


@pytest.fixture
async def mia(db):
    """Mia's account and customer, and an open conversation."""
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
        conversation = await open_conversation(session, "web", "web", "en")
    async with db.session() as session:
        account = await session.scalar(select(Account).where(Account.reference == "CN-100234"))
        customer = await session.get(Customer, account.customer_id)
    return account, customer, conversation.id


def _weekly_plan(account, customer, count=10):
    today = today_for(customer.timezone, NOW)
    return build_plan(
        Money(account.balance_minor, "AUD"), Frequency.WEEKLY, count, first_payment_date(today, POLICY)
    )


async def _agree(db, account_id, customer, plan, conversation_id):
    async with db.transaction() as session:
        account = await session.get(Account, account_id)
        return await agree_instalment_plan(session, account, customer, plan, conversation_id, POLICY, NOW)


async def test_an_agreed_plan_is_stored_with_every_instalment_as_shown(db, mia):
    account, customer, conversation_id = mia
    plan = _weekly_plan(account, customer)
    stored = await _agree(db, account.id, customer, plan, conversation_id)
    async with db.session() as session:
        loaded = await session.get(Arrangement, stored.id)
    assert loaded.reference.startswith("AR-")
    assert (loaded.kind, loaded.status, loaded.frequency) == (
        ArrangementKind.INSTALMENTS,
        ArrangementStatus.ACTIVE,
        "weekly",
    )
    assert [(i.due_date, i.amount_minor) for i in loaded.instalments] == [
        (i.due, i.amount.minor) for i in plan.instalments
    ]


async def test_a_plan_outside_the_policy_is_refused_and_nothing_is_stored(db, mia):
    account, customer, conversation_id = mia
    too_long = _weekly_plan(account, customer, count=POLICY.most_instalments + 1)
    with pytest.raises(OutsidePolicy):
        await _agree(db, account.id, customer, too_long, conversation_id)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Arrangement)) == 0


async def test_a_plan_that_no_longer_matches_the_balance_is_refused(db, mia):
    account, customer, conversation_id = mia
    plan = _weekly_plan(account, customer)
    async with db.transaction() as session:
        (await session.get(Account, account.id)).balance_minor -= 1_000  # a payment arrived meanwhile
    with pytest.raises(OutsidePolicy):
        await _agree(db, account.id, customer, plan, conversation_id)


async def test_a_new_plan_replaces_the_one_before(db, mia):
    account, customer, conversation_id = mia
    first = await _agree(db, account.id, customer, _weekly_plan(account, customer), conversation_id)
    second = await _agree(db, account.id, customer, _weekly_plan(account, customer, count=5), conversation_id)
    async with db.session() as session:
        assert (await session.get(Arrangement, first.id)).status == ArrangementStatus.REPLACED
        assert (await active_plan(session, account.id)).id == second.id


async def test_a_promise_to_pay_must_fall_within_the_creditors_window(db, mia):
    account, customer, conversation_id = mia
    today = today_for(customer.timezone, NOW)
    async with db.transaction() as session:
        account = await session.get(Account, account.id)
        promise = await promise_to_pay(
            session, account, customer, today + timedelta(days=10), conversation_id, POLICY, NOW
        )
        assert (promise.kind, promise.total_minor) == (ArrangementKind.PROMISE, account.overdue_minor)
        with pytest.raises(OutsidePolicy):
            await promise_to_pay(
                session,
                account,
                customer,
                today + timedelta(days=POLICY.promise_within_days + 1),
                conversation_id,
                POLICY,
                NOW,
            )


async def test_an_instalment_moves_a_little_but_never_past_the_next_one(db, mia):
    account, customer, conversation_id = mia
    plan = _weekly_plan(account, customer)
    await _agree(db, account.id, customer, plan, conversation_id)
    first_due = plan.instalments[0].due
    async with db.transaction() as session:
        account_now = await session.get(Account, account.id)
        with pytest.raises(OutsidePolicy):  # the second instalment is a week later
            await move_next_instalment(session, account_now, customer, first_due + timedelta(days=7), POLICY)
        moved = await move_next_instalment(
            session, account_now, customer, first_due + timedelta(days=3), POLICY
        )
    assert (moved.original_due_date, moved.due_date) == (first_due, first_due + timedelta(days=3))


async def test_a_hardship_request_waits_for_a_person_and_pauses_collection(db, mia):
    account, customer, conversation_id = mia
    async with db.transaction() as session:
        account_now = await session.get(Account, account.id)
        request = await request_hardship(
            session, account_now, customer, conversation_id, "reduced", Money(1_000, "AUD"), NOW
        )
    async with db.session() as session:
        stored = await session.get(Arrangement, request.id)
        paused = await session.get(Account, account.id)
        handoff = await open_handoff(session, conversation_id)
    assert (stored.kind, stored.status) == (ArrangementKind.HARDSHIP, ArrangementStatus.PENDING_APPROVAL)
    assert stored.details == {"option": "reduced", "affordable_minor": 1_000, "suspends": None}
    assert paused.collection_paused_reason == "hardship_review"
    assert handoff.reason == HandoffReason.HARDSHIP.value


@pytest.mark.parametrize(
    ("decision", "amount", "status", "affordable"),
    [
        (HardshipDecision.APPROVE, None, ArrangementStatus.ACTIVE, 1_000),
        (HardshipDecision.ADJUST, 1_500, ArrangementStatus.ACTIVE, 1_500),
        (HardshipDecision.DECLINE, None, ArrangementStatus.DECLINED, 1_000),
    ],
)
async def test_a_person_decides_a_hardship_request_once(db, mia, decision, amount, status, affordable):
    account, customer, conversation_id = mia
    async with db.transaction() as session:
        request = await request_hardship(
            session,
            await session.get(Account, account.id),
            customer,
            conversation_id,
            "reduced",
            Money(1_000, "AUD"),
            NOW,
        )
    async with db.transaction() as session:
        await decide_hardship(session, request.id, decision, "ana", amount)
    async with db.session() as session:
        decided = await session.get(Arrangement, request.id)
        assert (decided.status, decided.details["affordable_minor"]) == (status, affordable)
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="already been decided"):
            await decide_hardship(session, request.id, HardshipDecision.APPROVE, "ana")


@pytest.mark.parametrize(
    ("decision", "then"),
    [
        (HardshipDecision.DECLINE, ArrangementStatus.ACTIVE),
        (HardshipDecision.APPROVE, ArrangementStatus.REPLACED),
    ],
)
async def test_a_plan_asks_for_nothing_while_a_hardship_request_is_with_a_person(db, mia, decision, then):
    account, customer, conversation_id = mia
    plan = await _agree(db, account.id, customer, _weekly_plan(account, customer), conversation_id)
    async with db.transaction() as session:
        request = await request_hardship(
            session, await session.get(Account, account.id), customer, conversation_id, "pause", None, NOW
        )
    async with db.session() as session:
        assert (await session.get(Arrangement, plan.id)).status == ArrangementStatus.SUSPENDED
        assert await active_plan(session, account.id) is None, "nothing is asked of the customer meanwhile"
    async with db.transaction() as session:
        await decide_hardship(session, request.id, decision, "ana")
    async with db.session() as session:
        assert (await session.get(Arrangement, plan.id)).status == then


async def test_an_adjusted_hardship_plan_needs_an_amount(db, mia):
    account, customer, conversation_id = mia
    async with db.transaction() as session:
        request = await request_hardship(
            session, await session.get(Account, account.id), customer, conversation_id, "pause", None, NOW
        )
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="amount above zero"):
            await decide_hardship(session, request.id, HardshipDecision.ADJUST, "ana", None)


async def test_a_dispute_pauses_collection_on_the_account(db, mia):
    account, customer, conversation_id = mia
    async with db.transaction() as session:
        await open_case(
            session, CaseKind.DISPUTE, conversation_id, await session.get(Account, account.id), NOW
        )
    async with db.session() as session:
        assert (await session.get(Account, account.id)).collection_paused_reason == "dispute"


async def test_opting_out_is_per_channel_and_address_and_can_be_undone(db):
    async with db.transaction() as session:
        await opt_out(session, "sms", "+61400000001", "customer_request")
        await opt_out(session, "sms", "+61400000001", "customer_request")  # twice is still one record
    async with db.session() as session:
        assert await is_opted_out(session, "sms", "+61400000001")
        assert not await is_opted_out(session, "whatsapp", "+61400000001")
    async with db.transaction() as session:
        await opt_in(session, "sms", "+61400000001")
    async with db.session() as session:
        assert not await is_opted_out(session, "sms", "+61400000001")


async def test_a_conversation_has_one_open_handoff_at_its_most_urgent_reason(db, mia):
    _, _, conversation_id = mia
    async with db.transaction() as session:
        await request_handoff(session, conversation_id, HandoffReason.CUSTOMER_REQUEST)
        await request_handoff(session, conversation_id, HandoffReason.DISPUTE)
        await request_handoff(session, conversation_id, HandoffReason.NEGATIVE_SENTIMENT)
    async with db.session() as session:
        handoffs = list(
            await session.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id))
        )
    assert [(h.reason, h.priority) for h in handoffs] == [("dispute", 3)]
