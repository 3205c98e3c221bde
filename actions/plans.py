"""Instalment plans: offer up to three, show the chosen one in full, store it once agreed."""

from collections.abc import Callable
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import more_time
from actions.base import ConcordAction
from actions.fulfil import explain_unverified, reset_request
from actions.request_form import BY_DATE, IN_PAYMENTS, plan_details
from actions.services import catalog, creditor, database, language, verified
from bot.domain.arrangements import OutsidePolicy, active_plan, agree_instalment_plan, still_to_pay
from bot.domain.money import Money
from bot.domain.plans import (
    Instalment,
    OfferNote,
    Plan,
    first_payment_date,
    latest_first_payment,
    offer_plans,
)
from bot.domain.schedule import Frequency

OFFER_RESPONSES = {
    OfferNote.FITS: "utter_plan_options_fits",
    OfferNote.CHOICES: "utter_plan_options_choices",
    OfferNote.FINISHES_BY: "utter_plan_options_choices",  # the plans' last dates say the rest
    OfferNote.ABOVE_AFFORDABLE: "utter_plan_options_above",
    OfferNote.BELOW_SMALLEST: "utter_plan_options_below",
}
PLAN_SLOTS = ["plan_offer", "plan_choice"]


class ActionOfferPlans(ConcordAction):
    def name(self) -> str:
        return "action_offer_plans"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await offer(dispatcher, tracker)


async def offer(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Up to three plans for how often, how much and from when the customer said."""
    async with database().session() as session:
        context = await verified(session, tracker)
    if context is None:
        explain_unverified(dispatcher, tracker)
        return reset_request()
    balance = context.money(context.account.balance_minor)
    amount, finish_by, count = tracker.get_slot("amount") or "", None, None
    if amount == BY_DATE and tracker.get_slot("date"):
        finish_by = date.fromisoformat(tracker.get_slot("date"))
    if amount.startswith(IN_PAYMENTS):
        count = int(amount.removeprefix(IN_PAYMENTS))
    policy = creditor().arrangements
    starting = (
        date.fromisoformat(tracker.get_slot("first_payment")) if tracker.get_slot("first_payment") else None
    )
    if starting is not None and first_payment_date(context.today, policy, starting) != starting:
        dispatcher.utter_message(
            response="utter_plan_start_not_possible",
            date=context.long_date(starting),
            latest=context.long_date(latest_first_payment(context.today, policy)),
        )
    offer = offer_plans(
        balance,
        context.today,
        policy,
        frequency=_frequency(tracker.get_slot("frequency")),
        affordable=context.money(int(amount)) if amount and amount.isdigit() and int(amount) > 0 else None,
        finish_by=finish_by,
        count=count,
        starting=starting,
    )
    if not offer.plans:
        dispatcher.utter_message(response="utter_plan_too_small", balance=context.show(balance.minor))
        return [*reset_request(), SlotSet("plan_offer", None)]
    options = [
        {
            "payload": f'/inform{{"plan_choice": "{number}"}}',
            "values": {
                "count": plan.count,
                "frequency": plan.frequency.value,
                "amount": context.show(plan.largest.minor),
            },
        }
        for number, plan in enumerate(offer.plans, start=1)
    ]
    smallest = creditor().arrangements.smallest_instalment_for(balance.currency)
    dispatcher.utter_message(
        response=OFFER_RESPONSES[offer.note], options=options, smallest=context.show(smallest)
    )
    return [SlotSet("plan_offer", [_to_slot(p) for p in offer.plans]), SlotSet("plan_choice", None)]


class ActionShowPlan(ConcordAction):
    """The whole schedule of the chosen option, before asking for agreement; or, when the
    customer answers the options with other details ("every 2 weeks", "from the 15th"), new
    options with those details."""

    def name(self) -> str:
        return "action_show_plan"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        async with database().session() as session:
            context = await verified(session, tracker)
            said = tracker.latest_message.get("text") or ""
            named = None
            if context is not None and not said.startswith("/"):
                # Typed, not a button: a frequency, an amount or a day is not an option's number,
                # whether said to the options or to the schedule of one of them.
                details = plan_details(said, tracker, context)
                named = _offered_with(details, tracker.get_slot("plan_offer") or [])
                if details and named is None:
                    changed = [SlotSet(slot, value) for slot, value in details.items()]
                    changed.append(SlotSet("pending_request", "request_payment_plan"))
                    tracker.add_slots(changed)
                    return changed + await offer(dispatcher, tracker)
            choice = named or chosen_option(tracker)
            if choice is None or context is None:
                dispatcher.utter_message(response="utter_which_plan")
                return [SlotSet("plan_choice", None)]
            current = await active_plan(session, context.account.id)
            if current is not None:  # shown before the question, so agreeing is agreeing to replace it
                dispatcher.utter_message(
                    response="utter_plan_replaces",
                    reference=current.reference,
                    left=context.show(still_to_pay(current)),
                )
        plan = _from_slot(tracker.get_slot("plan_offer")[choice - 1], context.account.currency)
        dispatcher.utter_message(
            response="utter_plan_schedule",
            count=plan.count,
            frequency=plan.frequency.value,
            schedule=schedule_text(plan, context.short_date, context.show),
            total=context.show(plan.total.minor),
        )
        return [SlotSet("plan_choice", str(choice))]


class ActionAgreePlan(ConcordAction):
    def name(self) -> str:
        return "action_agree_plan"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        choice = chosen_option(tracker)
        if choice is None:
            dispatcher.utter_message(response="utter_which_plan")
            return []
        async with database().transaction() as session:
            context = await verified(session, tracker)
            if context is None:
                explain_unverified(dispatcher, tracker)
                return [*reset_request(), *_forget_plan()]
            plan = _from_slot(tracker.get_slot("plan_offer")[choice - 1], context.account.currency)
            try:
                arrangement = await agree_instalment_plan(
                    session,
                    context.account,
                    context.customer,
                    plan,
                    tracker.sender_id,
                    creditor().arrangements,
                    context.now,
                )
            except OutsidePolicy:
                dispatcher.utter_message(response="utter_plan_not_available")
                return [*reset_request(), *_forget_plan()]
            reference = arrangement.reference
        first = plan.instalments[0]
        dispatcher.utter_message(
            response="utter_plan_agreed",
            reference=reference,
            first_amount=context.show(first.amount.minor),
            first_date=context.long_date(first.due),
        )
        dispatcher.utter_message(response="utter_anything_else")
        return [*reset_request(), *_forget_plan(), SlotSet("pending_request", None)]


class ActionChangeArrangement(ConcordAction):
    """The customer wants something else than the plan or the day shown: ask again what that
    request needs (how often and how much, or which day)."""

    def name(self) -> str:
        return "action_change_arrangement"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_plan_change")
        request = tracker.get_slot("pending_request")
        return [
            *reset_request(),
            *_forget_plan(),
            SlotSet(more_time.CHOSEN, None),
            SlotSet("pending_request", request if request == "request_extension" else "request_payment_plan"),
        ]


def chosen_option(tracker: Tracker) -> int | None:
    """The option picked by button, by number or in words ("the second one"); None if unclear."""
    offer = tracker.get_slot("plan_offer") or []
    text = tracker.latest_message.get("text") or ""
    # Typed words name the option now ("the second one"), over one chosen earlier.
    typed = None if text.startswith("/") else catalog().recognise("choice", text, language(tracker))
    said = typed or tracker.get_slot("plan_choice")
    if said is None or not str(said).isdigit():
        return None
    number = int(said)
    return number if 1 <= number <= len(offer) else None


def _offered_with(details: dict[str, Any], offered: list[dict[str, Any]]) -> int | None:
    """The one offered option a number of payments names ("el de 6 pagos", "3回払いのやつ"),
    when nothing else was said; None otherwise."""
    amount = details.get("amount") or ""
    if set(details) - {"amount", "frequency"} or not amount.startswith(IN_PAYMENTS):
        return None
    count, frequency = int(amount.removeprefix(IN_PAYMENTS)), details.get("frequency")
    matching = [
        number
        for number, plan in enumerate(offered, start=1)
        if len(plan["instalments"]) == count and frequency in (None, plan["frequency"])
    ]
    return matching[0] if len(matching) == 1 else None


def _forget_plan() -> list[EventType]:
    return [SlotSet(slot, None) for slot in PLAN_SLOTS]


def _frequency(value: str | None) -> Frequency | None:
    return Frequency(value) if value in Frequency._value2member_map_ else None


def _to_slot(plan: Plan) -> dict[str, Any]:
    return {
        "frequency": plan.frequency.value,
        "instalments": [[i.due.isoformat(), i.amount.minor] for i in plan.instalments],
    }


def _from_slot(data: dict[str, Any], currency: str) -> Plan:
    return Plan(
        Frequency(data["frequency"]),
        tuple(Instalment(date.fromisoformat(d), Money(minor, currency)) for d, minor in data["instalments"]),
    )


def schedule_text(plan: Plan, day: Callable[[date], str], money: Callable[[int], str]) -> str:
    """One line an instalment, "1. 2 Nov: $121.62": short enough for a text message, in order, so
    the year goes without saying."""
    return "\n".join(
        f"{n}. {day(i.due)}: {money(i.amount.minor)}" for n, i in enumerate(plan.instalments, start=1)
    )
