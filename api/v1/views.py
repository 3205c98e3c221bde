"""How accounts, arrangements and payments read in `/api/v1` answers."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.creditor.events import arrangement_data
from bot.db.models import Account, Arrangement, Payment


async def account_view(session: AsyncSession, account: Account) -> dict[str, Any]:
    arrangements = await session.scalars(
        select(Arrangement).where(Arrangement.account_id == account.id).order_by(Arrangement.id)
    )
    payments = await session.scalars(
        select(Payment).where(Payment.account_id == account.id).order_by(Payment.id)
    )
    return {
        "reference": account.reference,
        "status": account.status.value,
        "product": account.product,
        "currency": account.currency,
        "balance_minor": account.balance_minor,
        "overdue_minor": account.overdue_minor,
        "minimum_payment_minor": account.minimum_payment_minor,
        "fees_minor": account.fees_minor,
        "due_date": account.due_date.isoformat(),
        "collection_paused": account.collection_paused_reason,
        "arrangements": [arrangement_data(a) for a in arrangements],
        "payments": [payment_view(p) for p in payments],
    }


def payment_view(payment: Payment) -> dict[str, Any]:
    return {
        "reference": payment.external_reference,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "paid_at": payment.paid_at.isoformat(),
        "method": payment.method,
        "reversed_at": payment.reversed_at.isoformat() if payment.reversed_at else None,
    }
