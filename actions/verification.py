"""The identity check: account reference and date of birth, through bot.verification."""

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.services import database, verification_policy
from bot import verification
from bot.identity import normalise_reference, parse_date_of_birth

# After this many answers we cannot read, offer a way out instead of asking again.
MAX_UNREADABLE_ANSWERS = 2


class ValidateVerificationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verification_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("verified") or tracker.get_slot("verification_stop"):
            return []
        return domain_slots

    def validate_account_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reference = normalise_reference(str(value))
        if reference is None:
            return _unreadable(dispatcher, tracker, "utter_invalid_account_reference", "account_reference")
        return {"account_reference": reference, "verification_retries": 0}

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        birth_dates = parse_date_of_birth(str(value), tracker.get_slot("language") or "en", now.date())
        if not birth_dates:
            return _unreadable(dispatcher, tracker, "utter_invalid_date_of_birth", "date_of_birth")
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
        cleared = {"account_reference": None, "date_of_birth": None, "verification_retries": 0}
        if result.outcome == verification.Outcome.VERIFIED:
            return {**cleared, "verified": True}
        if result.outcome == verification.Outcome.LOCKED:
            return {**cleared, "verification_stop": "locked"}
        dispatcher.utter_message(response="utter_verification_failed")
        return cleared


def _unreadable(
    dispatcher: CollectingDispatcher, tracker: Tracker, response: str, slot: str
) -> dict[str, Any]:
    retries = int(tracker.get_slot("verification_retries") or 0) + 1
    if retries >= MAX_UNREADABLE_ANSWERS + 1:
        return {slot: None, "verification_retries": 0, "verification_stop": "gave_up"}
    dispatcher.utter_message(response=response)
    return {slot: None, "verification_retries": retries}
