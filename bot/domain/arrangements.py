"""Storing what a customer agreed: instalment plans, promises to pay, moved instalments, hardship requests.

Every arrangement is checked against the creditor's policy again right before it is stored.
"""

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.creditor.events import arrangement_data, emit
from bot.db.audit import record
from bot.db.models import (
    Account,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Customer,
    EventKind,
    Instalment,
    InstalmentStatus,
)
from bot.domain.money import Money
from bot.domain.pauses import pause_collection
from bot.domain.plans import Plan, fits_policy, today_for
from bot.domain.policy import ArrangementPolicy
from bot.people.handoff import HandoffReason, request_handoff


class OutsidePolicy(ValueError):
    """What was asked for is not something the creditor's policy allows; nothing was stored."""


def balance_of(account: Account) -> Money:
    return Money(account.balance_minor, account.currency)


def amount_due_now(account: Account) -> Money:
    """What a promise to pay covers: the overdue part, or the balance if nothing is overdue."""
    return Money(account.overdue_minor or account.balance_minor, account.currency)


async def active_plan(session: AsyncSession, account_id: int) -> Arrangement | None:
    return await session.scalar(
        select(Arrangement)
        .where(Arrangement.account_id == account_id, Arrangement.status == ArrangementStatus.ACTIVE)
        .order_by(Arrangement.id.desc())
    )


def still_to_pay(arrangement: Arrangement) -> int:
    """Minor units of the arrangement's instalments not yet paid."""
    return sum(i.amount_minor for i in arrangement.instalments if i.status != InstalmentStatus.PAID)


async def next_instalment(session: AsyncSession, account_id: int) -> Instalment | None:
    plan = await active_plan(session, account_id)
    if plan is None:
        return None
    return next((i for i in plan.instalments if i.status == InstalmentStatus.DUE), None)


def latest_promise_date(today: date, policy: ArrangementPolicy) -> date:
    return today + timedelta(days=policy.promise_within_days)


def latest_move_date(instalment: Instalment, policy: ArrangementPolicy) -> date:
    """An instalment moves at most `short_delay_days` from the date it was first due."""
    return (instalment.original_due_date or instalment.due_date) + timedelta(days=policy.short_delay_days)


def check_promise(today: date, pay_on: date, policy: ArrangementPolicy) -> None:
    """Raises OutsidePolicy unless a promise to pay on `pay_on` is one the creditor accepts."""
    if not today <= pay_on <= latest_promise_date(today, policy):
        raise OutsidePolicy(f"a promise must fall within {policy.promise_within_days} days")


def check_move(instalment: Instalment, new_date: date, policy: ArrangementPolicy) -> None:
    """Raises OutsidePolicy unless the instalment may move to `new_date`: a short delay that
    never passes the instalment after it."""
    original = instalment.original_due_date or instalment.due_date
    later = [i for i in instalment.arrangement.instalments if i.sequence > instalment.sequence]
    if not original < new_date <= latest_move_date(instalment, policy):
        raise OutsidePolicy(f"an instalment can move by at most {policy.short_delay_days} days")
    if later and new_date >= later[0].due_date:
        raise OutsidePolicy("a moved instalment must stay before the next one")


async def latest_date_for_more_time(
    session: AsyncSession, account: Account, today: date, policy: ArrangementPolicy
) -> date:
    """How far the customer may push: the next instalment if a plan runs, else a promise."""
    instalment = await next_instalment(session, account.id)
    return latest_move_date(instalment, policy) if instalment else latest_promise_date(today, policy)


async def agree_instalment_plan(
    session: AsyncSession,
    account: Account,
    customer: Customer,
    plan: Plan,
    conversation_id: str,
    policy: ArrangementPolicy,
    now: datetime,
) -> Arrangement:
    today = today_for(customer.timezone, now)
    if not fits_policy(plan, balance_of(account), today, policy):
        raise OutsidePolicy("the plan does not fit the creditor's policy or the current balance")
    await _replace_active(session, account)
    arrangement = Arrangement(
        account_id=account.id,
        conversation_id=conversation_id,
        kind=ArrangementKind.INSTALMENTS,
        status=ArrangementStatus.ACTIVE,
        frequency=plan.frequency.value,
        total_minor=plan.total.minor,
        currency=plan.total.currency,
        instalments=[
            Instalment(sequence=n + 1, due_date=i.due, amount_minor=i.amount.minor)
            for n, i in enumerate(plan.instalments)
        ],
    )
    return await _store(session, account, arrangement, customer, "arrangement_agreed")


async def promise_to_pay(
    session: AsyncSession,
    account: Account,
    customer: Customer,
    pay_on: date,
    conversation_id: str,
    policy: ArrangementPolicy,
    now: datetime,
) -> Arrangement:
    check_promise(today_for(customer.timezone, now), pay_on, policy)
    amount = amount_due_now(account)
    arrangement = Arrangement(
        account_id=account.id,
        conversation_id=conversation_id,
        kind=ArrangementKind.PROMISE,
        status=ArrangementStatus.ACTIVE,
        total_minor=amount.minor,
        currency=amount.currency,
        instalments=[Instalment(sequence=1, due_date=pay_on, amount_minor=amount.minor)],
    )
    return await _store(session, account, arrangement, customer, "promise_made")


async def move_next_instalment(
    session: AsyncSession, account: Account, customer: Customer, new_date: date, policy: ArrangementPolicy
) -> Instalment:
    """A short delay on the next instalment; it never passes the one after it."""
    instalment = await next_instalment(session, account.id)
    if instalment is None:
        raise OutsidePolicy("there is no instalment to move")
    check_move(instalment, new_date, policy)
    original = instalment.original_due_date or instalment.due_date
    instalment.original_due_date, instalment.due_date = original, new_date
    record(
        session,
        "bot",
        "instalment_moved",
        customer_id=customer.id,
        details={"arrangement": instalment.arrangement.reference, "to": new_date.isoformat()},
    )
    emit(session, EventKind.ARRANGEMENT_CHANGED, account, **arrangement_data(instalment.arrangement))
    return instalment


async def request_hardship(
    session: AsyncSession,
    account: Account,
    customer: Customer,
    conversation_id: str,
    option: str,
    affordable: Money | None,
    now: datetime,
) -> Arrangement:
    """A hardship request waits for a person's approval; meanwhile we ask for nothing, and an
    active plan or promise is suspended (no reminders, no demands) until the person decides."""
    current = await active_plan(session, account.id)
    if current is not None:
        current.status = ArrangementStatus.SUSPENDED
        emit(session, EventKind.ARRANGEMENT_CHANGED, account, **arrangement_data(current))
    arrangement = Arrangement(
        account_id=account.id,
        conversation_id=conversation_id,
        kind=ArrangementKind.HARDSHIP,
        status=ArrangementStatus.PENDING_APPROVAL,
        total_minor=account.balance_minor,
        currency=account.currency,
        instalments=[],  # a person sets the payments; loaded now, so the event can tell of none
        details={
            "option": option,
            "affordable_minor": affordable.minor if affordable else None,
            "suspends": current.id if current is not None else None,
        },
    )
    stored = await _store(session, account, arrangement, customer, "hardship_requested")
    await pause_collection(session, account, "hardship_review", now)
    await request_handoff(session, conversation_id, HandoffReason.HARDSHIP, pause_bot=False)
    return stored


async def _replace_active(session: AsyncSession, account: Account) -> None:
    current = await active_plan(session, account.id)
    if current is not None:
        current.status = ArrangementStatus.REPLACED
        emit(session, EventKind.ARRANGEMENT_CHANGED, account, **arrangement_data(current))


# What the creditor hears when each kind of arrangement is made.
_MADE = {
    ArrangementKind.INSTALMENTS: EventKind.ARRANGEMENT_CREATED,
    ArrangementKind.PROMISE: EventKind.PROMISE_MADE,
    ArrangementKind.HARDSHIP: EventKind.HARDSHIP_REQUESTED,
}


async def _store(
    session: AsyncSession, account: Account, arrangement: Arrangement, customer: Customer, action: str
) -> Arrangement:
    session.add(arrangement)
    await session.flush()
    arrangement.reference = f"AR-{100000 + arrangement.id}"
    record(
        session,
        "bot",
        action,
        conversation_id=arrangement.conversation_id,
        customer_id=customer.id,
        details={"reference": arrangement.reference, "kind": arrangement.kind.value},
    )
    emit(session, _MADE[arrangement.kind], account, **arrangement_data(arrangement))
    return arrangement


class HardshipDecision(StrEnum):
    APPROVE = "approve"
    ADJUST = "adjust"  # approve with the amount a person set
    DECLINE = "decline"


async def decide_hardship(
    session: AsyncSession,
    arrangement_id: int,
    decision: HardshipDecision,
    actor: str,
    affordable_minor: int | None = None,
) -> Arrangement:
    """A person's decision on a pending hardship request; the account's pause stays until they lift it."""
    arrangement = await session.get(Arrangement, arrangement_id)
    if arrangement is None or arrangement.kind != ArrangementKind.HARDSHIP:
        raise LookupError("no such hardship request")
    if arrangement.status != ArrangementStatus.PENDING_APPROVAL:
        raise ValueError("this request has already been decided")
    if decision == HardshipDecision.ADJUST:
        if affordable_minor is None or affordable_minor <= 0:
            raise ValueError("an adjusted plan needs an amount above zero")
        arrangement.details = {**arrangement.details, "affordable_minor": affordable_minor}
    declined = decision == HardshipDecision.DECLINE
    arrangement.status = ArrangementStatus.DECLINED if declined else ArrangementStatus.ACTIVE
    suspends = arrangement.details.get("suspends")
    suspended = await session.get(Arrangement, suspends) if suspends else None
    account = await session.get(Account, arrangement.account_id)
    if suspended is not None and suspended.status == ArrangementStatus.SUSPENDED:
        # Declined: the plan the customer had stands again. Approved: the hardship plan takes its place.
        suspended.status = ArrangementStatus.ACTIVE if declined else ArrangementStatus.REPLACED
        emit(session, EventKind.ARRANGEMENT_CHANGED, account, **arrangement_data(suspended))
    emit(
        session,
        EventKind.HARDSHIP_DECIDED,
        account,
        decision=decision.value,
        affordable_minor=arrangement.details.get("affordable_minor"),
        **arrangement_data(arrangement),
    )
    record(
        session,
        actor,
        f"hardship_{decision.value}",
        conversation_id=arrangement.conversation_id,
        details={
            "reference": arrangement.reference,
            "affordable_minor": arrangement.details.get("affordable_minor"),
        },
    )
    return arrangement
