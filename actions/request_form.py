"""The request form: who the customer is first, then what their request needs.

Every answer is read by bot/ (dates, amounts, words) and stored normalised in its slot:
amounts as minor units, dates as ISO dates, choices as their canonical names. An answer we
cannot read is asked again with an example; after a few, the form stops instead of looping.
"""

from datetime import UTC, date, datetime
from typing import Any

from babel.numbers import get_currency_name
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ConcordAction, ConcordFormValidation
from actions.services import (
    Verified,
    before_latest_message,
    catalog,
    creditor,
    database,
    language,
    verification_policy,
    verified,
)
from bot.domain import arrangements, verification
from bot.domain.identity import normalise_reference, parse_date_of_birth, without_reference
from bot.understanding.amounts import mentions_money, names_other_currency, parse_amount, parse_count
from bot.understanding.dates import date_ending, find_date

IDENTITY = ["account_reference", "date_of_birth"]
# Unreadable answers in a row before we offer a way out instead of asking again.
MAX_UNREADABLE = 2
NOT_SURE = "not_sure"
BY_DATE = "by_date"
IN_PAYMENTS = "payments:"  # "payments:6", the customer asked for six instalments
# "thanks, that's all" ends the chat; it never answers "how much?" with "all".
CLOSING_INTENTS = {"goodbye", "thank"}


def details_needed(request: str | None, tracker: Tracker) -> list[str]:
    """What each account request needs beyond identity."""
    if request == "make_payment":
        return [] if tracker.get_slot("amount") else ["payment_choice"]
    if request == "request_payment_plan":
        return ["frequency", "amount"]
    if request == "request_extension":
        return ["date"]
    if request == "cannot_pay_hardship":
        return ["hardship_option"] + (["amount"] if tracker.get_slot("hardship_option") == "reduced" else [])
    return []


class ValidateRequestForm(ConcordFormValidation):
    def name(self) -> str:
        return "validate_request_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        kept = _answer_not_a_new_request(tracker) or _details_said_up_front(tracker)
        tracker.add_slots(kept)
        return kept + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("request_stop"):
            return []
        identity = [] if tracker.get_slot("verified") else IDENTITY
        return identity + details_needed(tracker.get_slot("pending_request"), tracker)

    async def validate_account_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reference = normalise_reference(str(value))
        if reference is None:
            return _unreadable(dispatcher, tracker, "account_reference", "utter_invalid_account_reference")
        read = {"account_reference": reference, "form_retries": 0}
        # "CN-400781, dob 11/23/75": the date of birth too, checked now rather than asked again.
        rest = without_reference((tracker.latest_message or {}).get("text") or "")
        if parse_date_of_birth(rest, language(tracker), datetime.now(UTC).date()):
            tracker.slots["account_reference"] = reference
            return read | await self.validate_date_of_birth(rest, dispatcher, tracker, domain)
        return read

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        birth_dates = parse_date_of_birth(str(value), language(tracker), now.date())
        if not birth_dates:
            return _unreadable(dispatcher, tracker, "date_of_birth", "utter_invalid_date_of_birth")
        async with database().transaction() as session:
            result = await verification.verify(
                session,
                verification_policy(),
                tracker.sender_id,
                tracker.get_slot("account_reference"),
                birth_dates,
                now,
            )
        # The birth date is never kept in a slot: the check is done, the database remembers.
        cleared = {"account_reference": None, "date_of_birth": None, "form_retries": 0}
        if result.outcome == verification.Outcome.VERIFIED:
            return {**cleared, "verified": True, **await _normalise_early_details(tracker)}
        if result.outcome == verification.Outcome.LOCKED:
            return {**cleared, "request_stop": "locked"}
        dispatcher.utter_message(response="utter_verification_failed")
        return cleared

    def validate_frequency(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        frequency = read_frequency(str(value), tracker)
        if frequency is None:
            return _unreadable(dispatcher, tracker, "frequency", "utter_invalid_frequency")
        return {"frequency": frequency, "form_retries": 0}

    async def validate_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        async with database().session() as session:
            context = await verified(session, tracker)
        if context is None:  # said before identity was checked: read it once we know the currency
            return {"amount": value}
        read = read_amount(str(value), tracker, context)
        if read is None and names_other_currency(str(value), context.account.currency):
            # "500 baht" to an account in ringgit: never converted behind the customer's back.
            currency = get_currency_name(context.account.currency, locale=context.locale)
            return _unreadable(
                dispatcher, tracker, "amount", "utter_amount_in_account_currency", currency=currency
            )
        if read is None:
            return _unreadable(
                dispatcher, tracker, "amount", "utter_invalid_amount", example=context.example_amount()
            )
        return {**read, "form_retries": 0}

    async def validate_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        async with database().session() as session:
            context = await verified(session, tracker)
            if context is None:
                return {"date": value}
            latest = await arrangements.latest_date_for_more_time(
                session, context.account, context.today, creditor().arrangements
            )
        text = str(value)
        if catalog().recognise("payday", text, language(tracker)):
            dispatcher.utter_message(response="utter_ask_payday")
            return {"date": None}
        chosen = _iso_date(text) or find_date(text, language(tracker), context.today, catalog())
        if chosen is None or chosen < context.today:
            return _unreadable(dispatcher, tracker, "date", "utter_invalid_date")
        if chosen > latest:
            dispatcher.utter_message(response="utter_date_too_far", last_date=context.long_date(latest))
            return {"date": None}
        return {"date": chosen.isoformat(), "form_retries": 0}

    def validate_payment_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        choice = catalog().recognise("payment_choice", str(value), language(tracker))
        if choice is None and mentions_money(str(value), language(tracker), catalog()):
            return {"payment_choice": None, "amount": str(value), "form_retries": 0}  # "just $50 please"
        if choice is None:
            return _unreadable(dispatcher, tracker, "payment_choice", "utter_invalid_payment_choice")
        return {"payment_choice": choice, "form_retries": 0}

    def validate_hardship_option(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        option = catalog().recognise("hardship_option", str(value), language(tracker))
        if option is None:
            return _unreadable(dispatcher, tracker, "hardship_option", "utter_invalid_hardship_option")
        return {"hardship_option": option, "form_retries": 0}


class ActionAskAmount(ConcordAction):
    """The amount question depends on the request: per payment for a plan, per month in hardship."""

    def name(self) -> str:
        return "action_ask_amount"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with database().session() as session:
            context = await verified(session, tracker)
        example = context.example_amount() if context else ""
        if tracker.get_slot("pending_request") == "cannot_pay_hardship":
            dispatcher.utter_message(response="utter_ask_hardship_amount", example=example)
        else:
            period = tracker.get_slot("frequency") or "monthly"
            dispatcher.utter_message(response="utter_ask_plan_amount", period=period, example=example)
        return []


class ActionAskPaymentChoice(ConcordAction):
    def name(self) -> str:
        return "action_ask_payment_choice"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        async with database().session() as session:
            context = await verified(session, tracker)
        dispatcher.utter_message(
            response="utter_ask_payment_choice",
            overdue=context.show(context.account.overdue_minor),
            balance=context.show(context.account.balance_minor),
        )
        return []


def read_frequency(text: str, tracker: Tracker) -> str | None:
    return catalog().recognise("frequency", text, language(tracker))


def read_amount(text: str, tracker: Tracker, context: Verified) -> dict[str, Any] | None:
    """Slot values for an amount answer: minor units, "not sure", or a finish-by date; None for
    none, or for an amount in another currency than the account's."""
    lang = language(tracker)
    if names_other_currency(text, context.account.currency):
        return None
    if catalog().recognise("not_sure", text, lang):
        return {"amount": NOT_SURE}
    count = _instalment_count(text, lang)
    if count is not None and tracker.get_slot("pending_request") == "request_payment_plan":
        return {"amount": f"{IN_PAYMENTS}{count}"}
    if tracker.get_slot("pending_request") == "cannot_pay_hardship" and text.strip() in {"0", "0.00"}:
        return {"amount": "0"}
    money = parse_amount(text, context.account.currency, context.locale, lang, catalog())
    if money is not None:
        return {"amount": str(money.minor)}
    if tracker.get_slot("pending_request") == "request_payment_plan":
        finish_by = find_date(text, lang, context.today, catalog())
        if finish_by is not None:
            return {"amount": BY_DATE, "date": finish_by.isoformat()}
    return None


def plan_details(text: str, tracker: Tracker, context: Verified) -> dict[str, Any]:
    """Slot values for plan details said in answer to the options ("every 2 weeks", "$40 a
    month", "6 payments", "from the 15th"); empty when the message has none, so "2" or "the
    second one" stays a choice. A new frequency without an amount drops the old amount, which
    was per payment at the old frequency."""
    lang = language(tracker)
    values: dict[str, Any] = {}
    if frequency := read_frequency(text, tracker):
        values["frequency"] = frequency
        if frequency != tracker.get_slot("frequency"):
            values["amount"] = None
    if count := _instalment_count(text, lang):
        values["amount"] = f"{IN_PAYMENTS}{count}"
    elif (
        mentions_money(text, lang, catalog())
        and not names_other_currency(text, context.account.currency)
        and (money := parse_amount(text, context.account.currency, context.locale, lang, catalog()))
    ):
        values["amount"] = str(money.minor)
    start = _first_payment_said(text, tracker)
    if start is None and not values and catalog().recognise("choice", text, lang) is None:
        day = find_date(text, lang, context.today, catalog())
        start = day.isoformat() if day else None
    return values | ({"first_payment": start} if start else {})


def _instalment_count(text: str, language: str) -> int | None:
    """ "6 payments", "in four instalments": a number of payments, not money."""
    if mentions_money(text, language, catalog()) or not catalog().recognise("instalments", text, language):
        return None
    return parse_count(text, language)


async def _normalise_early_details(tracker: Tracker) -> dict[str, Any]:
    """Details said before verification ("$50 a week") are read now that we know the account."""
    async with database().session() as session:
        context = await verified(session, tracker)
    values: dict[str, Any] = {}
    if tracker.get_slot("frequency"):
        values["frequency"] = read_frequency(str(tracker.get_slot("frequency")), tracker)
    if tracker.get_slot("amount") and context is not None:
        values.update(read_amount(str(tracker.get_slot("amount")), tracker, context) or {"amount": None})
    if tracker.get_slot("date") and context is not None:
        chosen = find_date(str(tracker.get_slot("date")), language(tracker), context.today, catalog())
        values["date"] = chosen.isoformat() if chosen else None
    return values


def _answer_not_a_new_request(tracker: Tracker) -> list[EventType]:
    """ "smaller payments", asked what would help, may be classified as asking for a plan.

    An answer that reads as a value for the question we asked is an answer, whatever the
    classifier called it: the slot takes the text and the request stays what it was.
    Anything else is the customer changing their mind.
    """
    asked = tracker.get_slot("requested_slot")
    text = (tracker.latest_message or {}).get("text") or ""
    readers = {
        "frequency": lambda: read_frequency(text, tracker),
        "hardship_option": lambda: catalog().recognise("hardship_option", text, language(tracker)),
        "payment_choice": lambda: (
            catalog().recognise("payment_choice", text, language(tracker))
            or mentions_money(text, language(tracker), catalog())
            or None
        ),
        "amount": lambda: (
            text
            if mentions_money(text, language(tracker), catalog())
            or text.strip().isdigit()
            or (
                _has_date(text, tracker) and _request_before_latest_message(tracker) == "request_payment_plan"
            )
            else None
        ),
        "date": lambda: text if _has_date(text, tracker) else None,
    }
    reader = readers.get(asked)
    closing = (tracker.latest_message.get("intent") or {}).get("name") in CLOSING_INTENTS
    previous = _request_before_latest_message(tracker)
    # "the 15th", asked how often a plan's payments should be: when it starts, not more time.
    starts = asked == "frequency" and previous == "request_payment_plan" and reader() is None
    if starts and (start := _first_payment_said(text, tracker) or _day_said(text, tracker)):
        return [SlotSet("pending_request", previous), SlotSet("first_payment", start)]
    if reader is None or closing or tracker.get_slot(asked) is not None or reader() is None:
        return []
    kept = (
        [SlotSet("pending_request", previous)]
        if previous and previous != tracker.get_slot("pending_request")
        else []
    )
    # "every 2 weeks, starting on the 15th": the answer, and when the plan starts.
    request = previous or tracker.get_slot("pending_request")
    if request == "request_payment_plan" and asked in ("frequency", "amount"):
        start = _first_payment_said(text, tracker) or (
            _day_said(text, tracker) if asked == "frequency" else None
        )
        kept += [SlotSet("first_payment", start)] if start else []
    return [*kept, SlotSet(asked, text)]


def _request_before_latest_message(tracker: Tracker) -> str | None:
    return next(
        (
            e.get("value")
            for e in before_latest_message(tracker)
            if e.get("event") == "slot" and e.get("name") == "pending_request"
        ),
        None,
    )


def _details_said_up_front(tracker: Tracker) -> list[EventType]:
    """How much, how often and when, given in the message that makes the request ("can I pay $50
    today", "I can do 20 bucks every two weeks starting next Friday"), before we ask for them.

    A message the classifier read as just information ("20 bucks every two weeks") makes the
    request its details describe: a frequency or a number of payments asks for a plan, an amount
    to pay, a date alone for more time.
    """
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    request = tracker.get_slot("pending_request")
    if tracker.get_slot("requested_slot") is not None or intent not in {request, "inform", "nlu_fallback"}:
        return []
    text = latest.get("text") or ""
    said = _details(text, tracker)
    request = request or request_described(said)
    if request is None:
        return []
    wanted = {
        "make_payment": ["amount"],
        "request_payment_plan": ["frequency", "amount"],
        "request_extension": ["date"],
    }.get(request, [])
    # What this message says wins over what an earlier one did ("monthly" … "every two weeks
    # instead"); an amount per payment does not outlive the frequency it was for.
    events = [SlotSet(slot, said[slot]) for slot in wanted if said[slot]]
    if "frequency" in wanted and said["frequency"] and not said["amount"] and tracker.get_slot("amount"):
        events.append(SlotSet("amount", None))
    if request == "request_payment_plan" and (start := _first_payment_said(text, tracker)):
        events.append(SlotSet("first_payment", start))
    if request != tracker.get_slot("pending_request"):
        events.insert(0, SlotSet("pending_request", request))
    return events


def _details(text: str, tracker: Tracker) -> dict[str, str | None]:
    """How often, how much (or how many payments) and when, as said: the text for each slot."""
    lang = language(tracker)
    count = _instalment_count(text, lang)
    return {
        "frequency": read_frequency(text, tracker),
        "count": text if count else None,
        "amount": text if count or mentions_money(text, lang, catalog()) else None,
        "date": text if _has_date(text, tracker) else None,
    }


def request_described(said: dict[str, str | None]) -> str | None:
    """The request a message of details alone makes: how often or how many payments asks for a
    plan, an amount for paying it, a date alone for more time."""
    if said["frequency"] or said["count"]:
        return "request_payment_plan"
    if said["amount"]:
        return "make_payment"
    if said["date"]:
        return "request_extension"
    return None


def request_in(text: str, tracker: Tracker) -> str | None:
    return request_described(_details(text, tracker))


def _first_payment_said(text: str, tracker: Tracker) -> str | None:
    """ "… starting next Friday", "… from the 15th": when a plan's first payment should be."""
    lang, today = language(tracker), datetime.now(UTC).date()
    if (after := catalog().after("plan_start", text, lang)) is not None:
        chosen = find_date(after, lang, today, catalog())
    elif (before := catalog().before("plan_start_after_date", text, lang)) is not None:
        chosen = date_ending(before, lang, today, catalog())  # "来週の金曜日から", "अगले शुक्रवार से"
    else:
        return None
    return chosen.isoformat() if chosen else None


def _day_said(text: str, tracker: Tracker) -> str | None:
    day = find_date(text, language(tracker), datetime.now(UTC).date(), catalog())
    return day.isoformat() if day else None


def _has_date(text: str, tracker: Tracker) -> bool:
    return find_date(text, language(tracker), datetime.now(UTC).date(), catalog()) is not None


def _unreadable(
    dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str, **values: Any
) -> dict[str, Any]:
    retries = int(tracker.get_slot("form_retries") or 0) + 1
    if retries > MAX_UNREADABLE:
        return {slot: None, "form_retries": 0, "request_stop": "gave_up"}
    dispatcher.utter_message(response=response, **values)
    return {slot: None, "form_retries": retries}


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
