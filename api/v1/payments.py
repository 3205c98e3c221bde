"""`/api/v1/payments`: payments the creditor received, and their reversals."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.calls import Caller, caller, idempotent_write
from api.v1.views import payment_view
from bot.creditor.keys import Scope
from bot.db.audit import record
from bot.db.models import Account, Payment
from bot.db.types import utcnow
from bot.domain.money import Money
from bot.domain.payments import PaymentRefused, apply_payment, reverse_payment

router = APIRouter(prefix="/payments", tags=["payments"])


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account: str = Field(description="the account's reference, e.g. CN-482913")
    amount_minor: int = Field(gt=0, description="in minor units (cents)")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, the account's currency")
    paid_at: AwareDatetime = Field(description="when it was paid, with its UTC offset")
    reference: str = Field(
        min_length=1, max_length=64, description="your id for it: posting it again changes nothing"
    )


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reversed_at: AwareDatetime | None = Field(
        default=None, description="when it was reversed; now if left out"
    )


@router.post("", status_code=201, summary="Post a payment: applied to the balance and the arrangement")
async def post_payment(body: PaymentIn, request: Request, who: Caller = Depends(caller(Scope.PAYMENTS))):
    async def apply(session: AsyncSession) -> tuple[int, Any]:
        account = await session.scalar(
            select(Account).where(Account.reference == body.account.upper()).with_for_update()
        )
        if account is None:
            raise HTTPException(status_code=422, detail=f"account: no account {body.account}")
        try:
            amount = Money(body.amount_minor, body.currency.upper())
            applied = await apply_payment(session, account, amount, body.paid_at, "api", body.reference)
        except PaymentRefused as refused:
            raise HTTPException(status_code=409, detail=str(refused)) from None
        except ValueError as invalid:
            raise HTTPException(status_code=422, detail=f"currency: {invalid}") from None
        if not applied.duplicate:
            record(session, who.actor, "payment_posted", customer_id=account.customer_id)
        answer = {
            "account": account.reference,
            "duplicate": applied.duplicate,
            **payment_view(applied.payment),
        }
        return (200 if applied.duplicate else 201), answer

    return await idempotent_write(request, who, apply)


@router.post("/{reference}/reversal", summary="Reverse a payment (bounced, charged back)")
async def reverse(
    reference: str,
    request: Request,
    body: ReversalIn | None = None,
    who: Caller = Depends(caller(Scope.PAYMENTS)),
):
    at: datetime = (body.reversed_at if body else None) or utcnow()

    async def apply(session: AsyncSession) -> tuple[int, Any]:
        payment = await session.scalar(select(Payment).where(Payment.external_reference == reference))
        if payment is None:
            raise HTTPException(status_code=404, detail=f"no payment {reference}")
        try:
            await reverse_payment(session, payment, at)
        except PaymentRefused as refused:
            raise HTTPException(status_code=409, detail=str(refused)) from None
        record(session, who.actor, "payment_reversed", details={"payment": reference})
        return 200, payment_view(payment)

    return await idempotent_write(request, who, apply)
