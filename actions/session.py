"""Session start: a new session forgets verification and picks up the conversation language."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ConcordAction
from actions.services import database
from bot import verification


class ActionSessionStart(ConcordAction):
    def name(self) -> str:
        return "action_session_start"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        async with database().transaction() as session:
            await verification.forget_verification(session, tracker.sender_id)
        metadata = tracker.get_slot("session_started_metadata") or {}
        events: list[EventType] = [SessionStarted()]
        if metadata.get("language"):
            events.append(SlotSet("language", metadata["language"]))
        return [*events, ActionExecuted("action_listen")]
