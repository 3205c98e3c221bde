"""Pauses: care pauses belong to the customer, collection pauses to an account.

A care pause (a crisis, family violence, a bereavement) stops everything about money reaching
that person on every channel and every linked identity, until a person lifts it. A collection
pause (a dispute, a payment claim, a hardship review) stops reminders on an account while the
customer can still ask the assistant about it.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Account, Conversation, Customer


class CarePause(StrEnum):
    CRISIS = "crisis"
    FAMILY_VIOLENCE = "family_violence"
    BEREAVEMENT = "bereavement"


async def pause_for_care(session: AsyncSession, customer: Customer, reason: CarePause, now: datetime) -> None:
    """Pause the customer and every account of theirs; a crisis overrides any other pause."""
    if customer.care_pause is None or reason == CarePause.CRISIS:
        customer.care_pause, customer.care_paused_at = reason.value, now
    for account in await session.scalars(select(Account).where(Account.customer_id == customer.id)):
        if reason == CarePause.CRISIS:
            account.collection_paused_reason, account.collection_paused_at = reason.value, now
        else:
            await pause_collection(session, account, reason.value, now)
    record(session, "bot", "care_paused", customer_id=customer.id, details={"reason": reason.value})


async def care_pause(session: AsyncSession, customer_id: int | None) -> str | None:
    """Why this customer may hear nothing about money just now, or None."""
    if customer_id is None:
        return None
    return await session.scalar(select(Customer.care_pause).where(Customer.id == customer_id))


async def conversation_care_pause(session: AsyncSession, conversation_id: str) -> str | None:
    """The care pause of the customer this conversation belongs to (read fresh: a turn may link them)."""
    customer_id = await session.scalar(
        select(Conversation.customer_id).where(Conversation.id == conversation_id)
    )
    return await care_pause(session, customer_id)


async def lift_care_pause(session: AsyncSession, customer_id: int, actor: str) -> bool:
    """A person judged it safe to talk about money with the customer again."""
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.care_pause is None:
        return False
    customer.care_pause, customer.care_paused_at = None, None
    care_reasons = [reason.value for reason in CarePause]
    for account in await session.scalars(
        select(Account).where(
            Account.customer_id == customer_id, Account.collection_paused_reason.in_(care_reasons)
        )
    ):
        account.collection_paused_reason, account.collection_paused_at = None, None
    record(session, actor, "care_pause_lifted", customer_id=customer_id)
    return True


async def pause_collection(session: AsyncSession, account: Account, reason: str, now: datetime) -> None:
    """No reminders or collection messages on this account until a person resumes them."""
    if account.collection_paused_reason is None:
        account.collection_paused_reason, account.collection_paused_at = reason, now
