"""Payments the creditor received, applied to the account and to the arrangement they belong to.

A payment brings the balance (and first the overdue part) down, then pays the arrangement's
instalments that are still due, oldest first: an instalment paid in full by its due date was
kept, after it late. An instalment whose day passed unpaid is missed, carried to the end of
the plan, and after the creditor's `lapse_after_missed` misses in a row the plan lapses; a
promise not kept is broken. A reversal undoes exactly what its payment did. Each change is an
event for the creditor (bot.creditor.events), and outreach follows from the new state.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.creditor.events import arrangement_data, emit
from bot.db.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Customer,
    EventKind,
    Instalment,
    InstalmentStatus,
    Payment,
    PaymentAllocation,
)
from bot.domain.money import Money
from bot.domain.policy import ArrangementPolicy
from bot.domain.schedule import Frequency


class PaymentRefused(ValueError):
    """The payment cannot be applied as given (wrong currency, already reversed); nothing changed."""


@dataclass(frozen=True)
class Applied:
    payment: Payment
    duplicate: bool  # the same external reference was posted before: nothing applied twice


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


async def apply_payment(
    session: AsyncSession,
    account: Account,
    amount: Money,
    paid_at: datetime,
    method: str,
    external_reference: str | None,
) -> Applied:
    """Store and apply a payment; one already posted with the same reference is returned as it was."""
    if external_reference is not None:
        earlier = await session.scalar(
            select(Payment).where(Payment.external_reference == external_reference)
        )
        if earlier is not None:
            if earlier.account_id != account.id or earlier.amount_minor != amount.minor:
                raise PaymentRefused(f"reference {external_reference} was already posted for another payment")
            return Applied(earlier, duplicate=True)
    if amount.currency != account.currency:
        raise PaymentRefused(f"the account is in {account.currency}, the payment in {amount.currency}")
    if account.status == AccountStatus.RECALLED:
        raise PaymentRefused("the account was recalled")
    overdue_part = min(amount.minor, account.overdue_minor)
    payment = Payment(
        account_id=account.id,
        amount_minor=amount.minor,
        currency=amount.currency,
        paid_at=paid_at,
        method=method,
        external_reference=external_reference,
        overdue_applied_minor=overdue_part,
    )
    session.add(payment)
    unapplied = max(0, amount.minor - account.balance_minor)
    account.balance_minor -= amount.minor - unapplied
    account.overdue_minor -= overdue_part
    _settle_status(account)
    await session.flush()
    customer = await session.get(Customer, account.customer_id)
    paid_on = local_day(paid_at, customer.timezone)
    covered = await _pay_instalments(session, account, payment, paid_on)
    emit(
        session,
        EventKind.PAYMENT_APPLIED,
        account,
        at=paid_at,
        payment=external_reference,
        amount_minor=amount.minor,
        currency=amount.currency,
        unapplied_minor=unapplied,
        balance_minor=account.balance_minor,
        overdue_minor=account.overdue_minor,
        instalments=covered,
    )
    return Applied(payment, duplicate=False)


async def reverse_payment(session: AsyncSession, payment: Payment, at: datetime) -> None:
    """Undo a payment (a bounced transfer, a chargeback): balance, overdue and instalments as
    they would be without it; a plan it completed runs again."""
    if payment.reversed_at is not None:
        raise PaymentRefused("the payment was already reversed")
    account = await session.get(Account, payment.account_id)
    payment.reversed_at = at
    allocations = (
        await session.scalars(select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id))
    ).all()
    applied = payment.amount_minor
    for allocation in allocations:
        instalment = await session.get(Instalment, allocation.instalment_id)
        instalment.paid_minor -= allocation.amount_minor
        if instalment.status == InstalmentStatus.PAID and instalment.paid_minor < instalment.amount_minor:
            instalment.status, instalment.paid_on = InstalmentStatus.DUE, None
            arrangement = instalment.arrangement
            if arrangement.status == ArrangementStatus.COMPLETED:
                arrangement.status = ArrangementStatus.ACTIVE
    account.balance_minor += applied
    account.overdue_minor += payment.overdue_applied_minor
    if account.status == AccountStatus.CLOSED or (
        account.overdue_minor and account.status == AccountStatus.CURRENT
    ):
        account.status = AccountStatus.PAST_DUE if account.overdue_minor else AccountStatus.CURRENT
    emit(
        session,
        EventKind.PAYMENT_REVERSED,
        account,
        at=at,
        payment=payment.external_reference,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        balance_minor=account.balance_minor,
        overdue_minor=account.overdue_minor,
    )


async def mark_missed(session: AsyncSession, now: datetime, policy: ArrangementPolicy) -> int:
    """Instalments whose day has ended in the customer's time zone without full payment become
    missed: carried to the end of the plan, or the plan lapses after too many in a row; a
    promise becomes broken. Returns how many were marked."""
    rows = await session.execute(
        select(Instalment.id, Instalment.arrangement_id, Instalment.due_date, Customer.timezone)
        .join(Arrangement, Arrangement.id == Instalment.arrangement_id)
        .join(Account, Account.id == Arrangement.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(
            Arrangement.status == ArrangementStatus.ACTIVE,
            Instalment.status == InstalmentStatus.DUE,
            # No zone is more than a day ahead of UTC; each is checked for itself below.
            Instalment.due_date <= now.date(),
        )
        .order_by(Instalment.arrangement_id, Instalment.sequence)
    )
    over = [(i, a) for i, a, due, zone in rows.all() if due < local_day(now, zone)]
    if not over:
        return 0
    plans = {
        plan.id: plan
        for plan in await session.scalars(
            select(Arrangement)
            .where(Arrangement.id.in_({a for _, a in over}))
            .options(selectinload(Arrangement.instalments))
        )
    }
    marked = 0
    for instalment_id, arrangement_id in over:
        arrangement = plans[arrangement_id]
        if arrangement.status != ArrangementStatus.ACTIVE:
            continue  # lapsed by an earlier miss in this pass
        instalment = next(i for i in arrangement.instalments if i.id == instalment_id)
        instalment.status = InstalmentStatus.MISSED
        marked += 1
        account = await session.get(Account, arrangement.account_id)
        if arrangement.kind == ArrangementKind.PROMISE:
            arrangement.status = ArrangementStatus.LAPSED
            emit(session, EventKind.PROMISE_BROKEN, account, at=now, **arrangement_data(arrangement))
            continue
        emit(
            session,
            EventKind.INSTALMENT_MISSED,
            account,
            at=now,
            arrangement=arrangement.reference,
            sequence=instalment.sequence,
            due_date=instalment.due_date.isoformat(),
            amount_minor=instalment.amount_minor - instalment.paid_minor,
        )
        if _misses_in_a_row(arrangement) >= policy.lapse_after_missed:
            arrangement.status = ArrangementStatus.LAPSED
            emit(session, EventKind.PLAN_BROKEN, account, at=now, **arrangement_data(arrangement))
        else:
            _carry_to_end(arrangement, instalment)
            emit(session, EventKind.ARRANGEMENT_CHANGED, account, at=now, **arrangement_data(arrangement))
    return marked


def _settle_status(account: Account) -> None:
    if account.balance_minor == 0:
        account.status = AccountStatus.CLOSED
    elif account.overdue_minor == 0 and account.status == AccountStatus.PAST_DUE:
        account.status = AccountStatus.CURRENT


async def _pay_instalments(
    session: AsyncSession, account: Account, payment: Payment, paid_on: date
) -> list[dict[str, object]]:
    """Pays the active arrangement's due instalments oldest first; what each got, for the event."""
    arrangement = await session.scalar(
        select(Arrangement)
        .where(Arrangement.account_id == account.id, Arrangement.status == ArrangementStatus.ACTIVE)
        .where(Arrangement.kind != ArrangementKind.HARDSHIP)
        .order_by(Arrangement.id.desc())
    )
    if arrangement is None:
        return []
    left = payment.amount_minor
    covered: list[dict[str, object]] = []
    for instalment in arrangement.instalments:
        if left == 0:
            break
        if instalment.status != InstalmentStatus.DUE:
            continue
        part = min(left, instalment.amount_minor - instalment.paid_minor)
        left -= part
        instalment.paid_minor += part
        session.add(PaymentAllocation(payment_id=payment.id, instalment_id=instalment.id, amount_minor=part))
        if instalment.paid_minor >= instalment.amount_minor:
            instalment.status, instalment.paid_on = InstalmentStatus.PAID, paid_on
        covered.append(
            {
                "arrangement": arrangement.reference,
                "sequence": instalment.sequence,
                "amount_minor": part,
                "status": _kept_or_late(instalment),
            }
        )
    if all(i.status != InstalmentStatus.DUE for i in arrangement.instalments) or account.balance_minor == 0:
        arrangement.status = ArrangementStatus.COMPLETED
        kind = (
            EventKind.PROMISE_KEPT
            if arrangement.kind == ArrangementKind.PROMISE
            else EventKind.PLAN_COMPLETED
        )
        emit(session, kind, account, at=payment.paid_at, **arrangement_data(arrangement))
    return covered


def _kept_or_late(instalment: Instalment) -> str:
    if instalment.status != InstalmentStatus.PAID:
        return "part_paid"
    return "kept" if instalment.paid_on <= instalment.due_date else "late"


def _misses_in_a_row(arrangement: Arrangement) -> int:
    run = 0
    for instalment in arrangement.instalments:
        if instalment.status == InstalmentStatus.MISSED:
            run += 1
        elif instalment.status == InstalmentStatus.PAID:
            run = 0
    return run


def _carry_to_end(arrangement: Arrangement, missed: Instalment) -> None:
    """What was missed is asked for again one period after the plan's last instalment."""
    last = arrangement.instalments[-1]
    frequency = Frequency(arrangement.frequency or Frequency.MONTHLY)
    arrangement.instalments.append(
        Instalment(
            sequence=last.sequence + 1,
            due_date=frequency.nth_date(last.due_date, 1),
            amount_minor=missed.amount_minor - missed.paid_minor,
            status=InstalmentStatus.DUE,
            paid_minor=0,
        )
    )
