"""A customer who says they already paid: record it, look, and pause reminders meanwhile."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Verified
from bot.db.models import CaseKind, Payment
from bot.domain.cases import open_case


async def check_payment_claim(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    latest = await session.scalar(
        select(Payment).where(Payment.account_id == context.account.id).order_by(Payment.paid_at.desc())
    )
    recent = latest is not None and latest.paid_at.date() >= context.account.due_date
    await open_case(
        session,
        CaseKind.ALREADY_PAID,
        tracker.sender_id,
        context.account,
        context.now,
        details={"latest_payment_id": latest.id if latest else None},
    )
    if recent:
        dispatcher.utter_message(
            response="utter_payment_found",
            amount=context.show(latest.amount_minor),
            date=context.long_date(latest.paid_at.date()),
        )
    else:
        dispatcher.utter_message(response="utter_payment_not_found")
    dispatcher.utter_message(response="utter_already_paid_noted")
    dispatcher.utter_message(response="utter_anything_else")
