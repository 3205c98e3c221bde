"""Session start: a new session forgets verification and picks up the conversation language.

A new session also clears Rasa's pause, so a conversation a person still has is paused again.
"""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ConcordAction
from actions.services import database
from bot.domain import verification
from bot.people.handoff import bot_is_paused


class ActionSessionStart(ConcordAction):
    def name(self) -> str:
        return "action_session_start"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        async with database().transaction() as session:
            await verification.forget_verification(session, tracker.sender_id)
            with_a_person = await bot_is_paused(session, tracker.sender_id)
        metadata = tracker.get_slot("session_started_metadata") or {}
        events: list[EventType] = [SessionStarted()]
        if metadata.get("language"):
            events.append(SlotSet("language", metadata["language"]))
        events.append(ActionExecuted("action_listen"))
        return [*events, ConversationPaused()] if with_a_person else events
