"""More time: a promise to pay on a chosen date, or moving the next instalment a little."""

from datetime import date

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Verified, creditor
from bot.domain import arrangements
from bot.domain.arrangements import OutsidePolicy


async def arrange_more_time(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    chosen = date.fromisoformat(tracker.get_slot("date"))
    policy = creditor().arrangements
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
                session, context.account, context.customer, chosen, tracker.sender_id, policy, context.now
            )
            dispatcher.utter_message(
                response="utter_promise_confirmed",
                amount=context.show(promise.total_minor),
                date=context.long_date(chosen),
                reference=promise.reference,
            )
    except OutsidePolicy:
        dispatcher.utter_message(response="utter_request_paused")
        return
    dispatcher.utter_message(response="utter_anything_else")
