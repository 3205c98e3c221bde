"""What the customer owes, shown only once the identity check has succeeded."""

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import database, verification_policy
from bot import verification
from bot.accounts import account_summary
from bot.db.models import Customer


class ActionShowBalance(Action):
    def name(self) -> str:
        return "action_show_balance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        stop = tracker.get_slot("verification_stop")
        reset = [SlotSet("verification_stop", None)]
        async with database().session() as session:
            account = await verification.verified_account(session, tracker.sender_id)
            customer = await session.get(Customer, account.customer_id) if account else None
        if account is None:
            if stop == "locked":
                minutes = verification_policy().lock_minutes
                dispatcher.utter_message(response="utter_verification_locked", minutes=minutes)
            else:
                dispatcher.utter_message(response="utter_verification_paused")
            return [*reset, SlotSet("verified", False)]
        dispatcher.utter_message(
            response="utter_balance", **account_summary(account, customer, datetime.now(UTC))
        )
        dispatcher.utter_message(response="utter_anything_else")
        return [*reset, SlotSet("verified", True)]
