"""What the customer owes, when it is due, and the minimum: only for a verified customer."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Verified, catalog
from bot.domain.accounts import account_summary
from bot.domain.arrangements import next_instalment


async def tell_balance(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    # "fees included: $0.00" says nothing: without fees the sentence leaves them out.
    response = "utter_balance" if context.account.fees_minor else "utter_balance_no_fees"
    dispatcher.utter_message(response=response, **_summary(context))
    dispatcher.utter_message(response="utter_anything_else")


async def tell_due_date(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    instalment = await next_instalment(session, context.account.id)
    if instalment is not None:
        dispatcher.utter_message(
            response="utter_next_instalment",
            name=_summary(context)["name"],
            amount=context.show(instalment.amount_minor),
            due_date=context.long_date(instalment.due_date),
            reference=instalment.arrangement.reference,
        )
    else:
        dispatcher.utter_message(response="utter_due_date", **_summary(context))
    dispatcher.utter_message(response="utter_anything_else")


async def tell_minimum_payment(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, context: Verified
):
    dispatcher.utter_message(response="utter_minimum_payment", **_summary(context))
    dispatcher.utter_message(response="utter_anything_else")


def _summary(context: Verified) -> dict[str, str]:
    language = catalog().resolve_language(context.language)
    pattern = catalog().amount_patterns[language].get(context.account.currency)
    return account_summary(
        context.account, context.customer, context.now, context.locale, catalog().address[language], pattern
    )
