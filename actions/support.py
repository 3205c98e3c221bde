"""Always a way to a person and a way to stop; disputes and other people handled with care."""

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ConcordAction
from actions.fulfil import reset_request
from actions.request_form import request_in
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
        dispatcher.utter_message(response="utter_dispute_recorded")
        tell_how_to_check_genuine(dispatcher)
        return [SlotSet("pending_request", None)]


def tell_how_to_check_genuine(dispatcher: CollectingDispatcher) -> None:
    policy = creditor()
    dispatcher.utter_message(
        response="utter_how_to_check_genuine",
        creditor=policy.name,
        phone=policy.phone,
        website=policy.website,
    )


class ActionHowToCheckGenuine(ConcordAction):
    """ "Is this a scam?": how to check it is really the creditor, through a number or site the
    customer already trusts. Nothing is recorded against anyone: the person asking may not be
    the customer, and doubting a message is not disputing a debt."""

    def name(self) -> str:
        return "action_how_to_check_genuine"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        tell_how_to_check_genuine(dispatcher)
        return []


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
    """Not understood: ask to rephrase once; the second time in a row, offer the likeliest things
    the customer may want as choices; the third, bring in a person. Never a loop."""

    def name(self) -> str:
        return "action_fallback"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        said = (tracker.latest_message or {}).get("text") or ""
        if tracker.active_loop_name is None and (request := request_in(said, tracker)):
            if _last_bot_action(tracker) in PLANS_SHOWN:
                # "what if we start on the 15th?" to the options: the plan's details, never a
                # request of its own (as the plan rules route a request for more time).
                return [FollowupAction("action_show_plan")]
            # "20 bucks every two weeks": no phrase we know, but details that make a request.
            return [SlotSet("pending_request", request), FollowupAction("request_form")]
        misread = _misread_in_a_row(tracker)
        if misread and _last_bot_action(tracker) in ASKED_ANYTHING_ELSE and _leaning(misread[0]) <= ENDINGS:
            # "no, eso es todo, gracias": torn between no and goodbye, both of which end kindly here.
            dispatcher.utter_message(response="utter_goodbye")
            return []
        if len(misread) < 2:
            dispatcher.utter_message(response="utter_rephrase")
        elif len(misread) == 2:
            options = [
                {"values": {"choice": intent}, "payload": f"/{intent}"} for intent in likeliest(misread)
            ]
            dispatcher.utter_message(response="utter_not_understood_choices", options=options)
        else:
            dispatcher.utter_message(response="utter_handoff_not_understood")
            return await hand_to_a_person(dispatcher, tracker, HandoffReason.NOT_UNDERSTOOD)
        return []


# What a customer can ask for with one tap when we could not read them; a person is always offered too.
CHOICES = (
    "check_balance",
    "request_payment_plan",
    "request_extension",
    "make_payment",
    "cannot_pay_hardship",
    "ask_due_date",
    "already_paid",
    "verify_genuine",
    "wrong_person",
)
SHOWN_CHOICES = 3


def likeliest(misread: list[dict[str, Any]]) -> list[str]:
    """The choices the classifier leaned to across the misread messages, most likely first,
    topped up with the commonest requests."""
    weight: dict[str, float] = {}
    for parse in misread:
        for ranked in parse.get("intent_ranking") or []:
            if ranked.get("name") in CHOICES:
                weight[ranked["name"]] = weight.get(ranked["name"], 0.0) + float(
                    ranked.get("confidence") or 0
                )
    ranked = sorted(weight, key=lambda name: (-weight[name], CHOICES.index(name)))
    return list(dict.fromkeys(ranked + list(CHOICES)))[:SHOWN_CHOICES]


# Actions that end with "Is there anything else I can help with?", and what says no to it.
ASKED_ANYTHING_ELSE = {
    "action_fulfil_request",
    "action_agree_plan",
    "action_agree_more_time",
    "utter_you_are_welcome",
}
ENDINGS = {"deny", "goodbye", "thank"}
# Actions that leave plan options or a plan's schedule in front of the customer.
PLANS_SHOWN = {"action_offer_plans", "action_show_plan"}


def _leaning(parse: dict[str, Any]) -> set[str]:
    """The two intents the classifier was torn between; without a ranking, only the fallback
    (which is no ending)."""
    ranked = [r["name"] for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return set(ranked[:2]) or {"nlu_fallback"}


def _misread_in_a_row(tracker: Tracker) -> list[dict[str, Any]]:
    """The parses of the customer's latest messages that were not understood, latest first."""
    misread = []
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        if (parse.get("intent") or {}).get("name") != "nlu_fallback":
            break
        misread.append(parse)
    return misread


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
