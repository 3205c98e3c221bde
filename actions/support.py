"""Always a way to a person and a way to stop; disputes and other people handled with care."""

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ConcordAction
from actions.fulfil import reset_request
from actions.services import before_latest_message, catalog, creditor, database, language, verified
from bot.db.audit import record
from bot.db.models import CaseKind
from bot.domain.cases import open_case
from bot.domain.conversations import get_conversation, set_language
from bot.domain.verification import forget_verification
from bot.gateway.customer_state import OPT_OUT_SIGNAL
from bot.people.handoff import HandoffReason, request_handoff, waiting_notice_for


async def hand_to_a_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: HandoffReason
) -> list[EventType]:
    """Queue the conversation, say when a person will reply, and fall silent until handed back."""
    async with database().transaction() as session:
        await request_handoff(session, tracker.sender_id, reason)
        conversation = await get_conversation(session, tracker.sender_id)
        notice = await waiting_notice_for(session, conversation, creditor().staffed_hours, datetime.now(UTC))
    dispatcher.utter_message(response=notice.key, **notice.values)
    if notice.values:  # the team is away: the customer need not wait to help themselves
        dispatcher.utter_message(response="gateway_self_service_offer")
    return [ConversationPaused()]


class ActionRequestHuman(ConcordAction):
    def name(self) -> str:
        return "action_request_human"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await hand_to_a_person(dispatcher, tracker, HandoffReason.CUSTOMER_REQUEST)


class ActionOptOut(ConcordAction):
    """Stop means stop: the gateway records it for this conversation's address and confirms it
    once (bot.gateway.customer_state), the same way as for the STOP keyword on every channel."""

    def name(self) -> str:
        return "action_opt_out"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = "wrong_person" if _last_bot_action(tracker) == "action_wrong_person" else "customer_request"
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(json_message={OPT_OUT_SIGNAL: reason, "intent": intent})
        return []


class ActionWrongPerson(ConcordAction):
    """Someone else has this number: disclose nothing and offer to stop messaging it."""

    def name(self) -> str:
        return "action_wrong_person"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        async with database().transaction() as session:
            record(session, "customer", "wrong_person_reported", conversation_id=tracker.sender_id)
            # Whoever proved who they were here, the person writing now is someone else.
            await forget_verification(session, tracker.sender_id)
        dispatcher.utter_message(response="utter_wrong_person")
        return [*reset_request(), SlotSet("pending_request", None)]


class ActionRecordDispute(ConcordAction):
    def name(self) -> str:
        return "action_record_dispute"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        async with database().transaction() as session:
            context = await verified(session, tracker)
            await open_case(
                session,
                CaseKind.DISPUTE,
                tracker.sender_id,
                context.account if context else None,
                datetime.now(UTC),
                details={"said": tracker.latest_message.get("text", "")[:500]},
            )
            # A person looks into it; the customer can go on with the assistant until they do.
            await request_handoff(session, tracker.sender_id, HandoffReason.DISPUTE, pause_bot=False)
        policy = creditor()
        dispatcher.utter_message(response="utter_dispute_recorded")
        dispatcher.utter_message(
            response="utter_how_to_check_genuine",
            creditor=policy.name,
            phone=policy.phone,
            website=policy.website,
        )
        return [SlotSet("pending_request", None)]


class ActionChangeLanguage(ConcordAction):
    def name(self) -> str:
        return "action_change_language"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        chosen = catalog().language_mentioned(tracker.latest_message.get("text") or "", language(tracker))
        if chosen is None:
            supported = ", ".join(catalog().own_names[code] for code in sorted(catalog().languages))
            dispatcher.utter_message(response="utter_language_unsupported", supported=supported)
            return []
        async with database().transaction() as session:
            await set_language(session, tracker.sender_id, chosen, source="asked")
        # Rendered before this action's events apply, so the new language is passed along.
        dispatcher.utter_message(response="utter_language_changed", language=chosen)
        return [SlotSet("language", chosen)]


class ActionFallback(ConcordAction):
    """Not understood: ask to rephrase once; the second time in a row, bring in a person."""

    def name(self) -> str:
        return "action_fallback"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _fallbacks_in_a_row(tracker) < 2:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        dispatcher.utter_message(response="utter_handoff_not_understood")
        return await hand_to_a_person(dispatcher, tracker, HandoffReason.NOT_UNDERSTOOD)


def _fallbacks_in_a_row(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


def _last_bot_action(tracker: Tracker) -> str | None:
    """The action before the customer's latest message (what they are answering)."""
    return next(
        (
            e.get("name")
            for e in before_latest_message(tracker)
            if e.get("event") == "action" and e.get("name") != "action_listen"
        ),
        None,
    )
