"""One guard for every action: a failure is logged without personal data and answered kindly.

rasa-sdk answers an exception with the whole request body (the tracker, with everything the
customer typed) and Rasa logs it; so no exception may leave an action.
"""

import logging
import traceback
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

log = logging.getLogger(__name__)


async def _guarded(
    name: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    call: Callable[[], Awaitable[list[EventType]]],
) -> list[EventType]:
    try:
        return await call()
    except Exception as error:
        # Where it failed and what kind of error; never its message or the tracker.
        frame = traceback.extract_tb(error.__traceback__)[-1]
        log.error(
            "action %s failed in conversation %s: %s at %s:%d",
            name,
            tracker.sender_id,
            type(error).__name__,
            frame.filename,
            frame.lineno,
        )
        dispatcher.utter_message(response="utter_something_went_wrong")
        return []


class ConcordAction(Action, ABC):
    """Subclasses implement `name` and `act`; `run` guards `act`. (Abstract, so rasa-sdk skips it.)"""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await _guarded(self.name(), dispatcher, tracker, lambda: self.act(dispatcher, tracker, domain))

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]: ...


class ConcordFormValidation(FormValidationAction, ABC):
    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        parent = super().run
        return await _guarded(self.name(), dispatcher, tracker, lambda: parent(dispatcher, tracker, domain))
