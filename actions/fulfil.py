"""Answering an account request once the request form has what it needs."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import already_paid, balance, hardship, payment
from actions.base import ConcordAction
from actions.services import database, verification_policy, verified

HANDLERS = {
    "check_balance": balance.tell_balance,
    "ask_due_date": balance.tell_due_date,
    "ask_minimum_payment": balance.tell_minimum_payment,
    "make_payment": payment.send_payment_link,
    "already_paid": already_paid.check_payment_claim,
    "cannot_pay_hardship": hardship.submit_hardship_request,
}
REQUEST_SLOTS = [
    "amount",
    "date",
    "frequency",
    "payment_choice",
    "hardship_option",
    "first_payment",
    "request_stop",
    "form_retries",
]


def reset_request() -> list[EventType]:
    return [SlotSet(slot, None) for slot in REQUEST_SLOTS]


def explain_unverified(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The form ended without verification: say why, kindly, and reveal nothing."""
    if tracker.get_slot("request_stop") == "locked":
        dispatcher.utter_message(
            response="utter_verification_locked", minutes=verification_policy().lock_minutes
        )
    else:
        dispatcher.utter_message(response="utter_request_paused")


class ActionFulfilRequest(ConcordAction):
    def name(self) -> str:
        return "action_fulfil_request"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        async with database().transaction() as session:
            context = await verified(session, tracker)
            if context is None:
                explain_unverified(dispatcher, tracker)
                return [*reset_request(), SlotSet("verified", False)]
            handler = HANDLERS.get(tracker.get_slot("pending_request"), balance.tell_balance)
            await handler(dispatcher, tracker, session, context)
        return [*reset_request(), SlotSet("verified", True)]
