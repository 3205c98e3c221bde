"""Hardship: heard without judgement, stored for a person's approval, collection paused."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Verified, creditor
from bot.domain.arrangements import request_hardship


async def submit_hardship_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    amount = tracker.get_slot("amount")
    affordable = context.money(int(amount)) if amount and amount.isdigit() else None
    request = await request_hardship(
        session,
        context.account,
        context.customer,
        tracker.sender_id,
        tracker.get_slot("hardship_option") or "reduced",
        affordable,
        context.now,
    )
    dispatcher.utter_message(response="utter_hardship_submitted", reference=request.reference)
    if service := creditor().debt_advice_for(context.customer.jurisdiction):
        dispatcher.utter_message(response="utter_debt_advice", debt_advice=service)
    else:
        dispatcher.utter_message(response="utter_debt_advice_general")
