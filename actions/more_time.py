"""More time: a promise to pay on a chosen date, or moving the next instalment a little.

What would change is said first and stored only on a clear yes, as with a plan: a date given
in passing ("the 15th", while choosing a plan) never becomes a promise by itself.
"""

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ConcordAction
from actions.fulfil import explain_unverified, reset_request
from actions.services import creditor, database, verified
from bot.domain import arrangements
from bot.domain.arrangements import OutsidePolicy

CHOSEN = "more_time_date"


class ActionProposeMoreTime(ConcordAction):
    def name(self) -> str:
        return "action_propose_more_time"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        chosen = date.fromisoformat(tracker.get_slot("date")) if tracker.get_slot("date") else None
        policy = creditor().arrangements
        async with database().session() as session:
            context = await verified(session, tracker)
            if context is None or chosen is None:
                explain_unverified(dispatcher, tracker)
                return [*reset_request(), SlotSet(CHOSEN, None)]
            instalment = await arrangements.next_instalment(session, context.account.id)
            try:
                if instalment is not None:
                    arrangements.check_move(instalment, chosen, policy)
                    dispatcher.utter_message(
                        response="utter_confirm_instalment_move",
                        amount=context.show(instalment.amount_minor),
                        from_date=context.long_date(instalment.due_date),
                        date=context.long_date(chosen),
                    )
                else:
                    arrangements.check_promise(context.today, chosen, policy)
                    dispatcher.utter_message(
                        response="utter_confirm_promise",
                        amount=context.show(arrangements.amount_due_now(context.account).minor),
                        date=context.long_date(chosen),
                    )
            except OutsidePolicy:
                dispatcher.utter_message(response="utter_request_paused")
                return [*reset_request(), SlotSet(CHOSEN, None)]
        return [*reset_request(), SlotSet(CHOSEN, chosen.isoformat())]


class ActionAgreeMoreTime(ConcordAction):
    def name(self) -> str:
        return "action_agree_more_time"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        done = [SlotSet(CHOSEN, None), SlotSet("pending_request", None)]
        if not tracker.get_slot(CHOSEN):
            dispatcher.utter_message(response="utter_anything_else")
            return done
        chosen = date.fromisoformat(tracker.get_slot(CHOSEN))
        policy = creditor().arrangements
        async with database().transaction() as session:
            context = await verified(session, tracker)
            if context is None:
                explain_unverified(dispatcher, tracker)
                return done
            try:
                if await arrangements.next_instalment(session, context.account.id) is not None:
                    instalment = await arrangements.move_next_instalment(
                        session, context.account, context.customer, chosen, policy
                    )
                    dispatcher.utter_message(
                        response="utter_instalment_moved",
                        amount=context.show(instalment.amount_minor),
                        from_date=context.long_date(instalment.original_due_date),
                        date=context.long_date(instalment.due_date),
                    )
                else:
                    promise = await arrangements.promise_to_pay(
                        session,
                        context.account,
                        context.customer,
                        chosen,
                        tracker.sender_id,
                        policy,
                        context.now,
                    )
                    dispatcher.utter_message(
                        response="utter_promise_confirmed",
                        amount=context.show(promise.total_minor),
                        date=context.long_date(chosen),
                        reference=promise.reference,
                    )
            except OutsidePolicy:  # the day passed while the customer thought about it
                dispatcher.utter_message(response="utter_request_paused")
                return done
        dispatcher.utter_message(response="utter_anything_else")
        return done
