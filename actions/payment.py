"""Paying now: a link to the creditor's payment page; no card details ever pass through chat."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.request_form import read_amount
from actions.services import Verified, creditor, payment_links
from bot.db.audit import record


async def send_payment_link(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    account = context.account
    amount = _amount_asked(tracker, context)
    if amount > account.balance_minor:
        dispatcher.utter_message(
            response="utter_amount_above_balance", balance=context.show(account.balance_minor)
        )
        amount = account.balance_minor
    link = payment_links().link(account.reference, context.money(amount))
    record(
        session,
        "bot",
        "payment_link_sent",
        conversation_id=tracker.sender_id,
        customer_id=context.customer.id,
        details={"amount_minor": amount},
    )
    dispatcher.utter_message(
        response="utter_payment_link",
        amount=context.show(amount),
        link=link,
        minutes=creditor().payment_link_ttl_minutes,
    )
    dispatcher.utter_message(response="utter_anything_else")


def _amount_asked(tracker: Tracker, context: Verified) -> int:
    if tracker.get_slot("payment_choice") == "full":
        return context.account.balance_minor
    said = str(tracker.get_slot("amount") or "")
    # Digits are minor units the form already read; words ("$50 today") are read here.
    read = said if said.isdigit() else (read_amount(said, tracker, context) or {}).get("amount", "")
    if read.isdigit() and int(read) > 0:
        return int(read)
    return context.account.overdue_minor or context.account.balance_minor
