"""Rasa's NLG endpoint: every `utter_*` is rendered from locales/ in the conversation's language."""

import logging
from secrets import compare_digest
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel

from api.state import AppState, app_state
from bot.i18n import MissingValueError

log = logging.getLogger(__name__)
router = APIRouter()


class NLGRequest(BaseModel):
    response: str
    arguments: dict[str, Any] = {}
    tracker: dict[str, Any] = {}
    channel: dict[str, Any] = {}


def internal_caller(authorization: str = Header(default=""), state: AppState = Depends(app_state)) -> None:
    """Only Rasa, with the internal token (endpoints.yml), asks for responses: they hold what
    the tracker holds about a customer."""
    if not compare_digest(authorization, f"Bearer {state.settings.internal_token}"):
        raise HTTPException(status_code=401, detail="unauthorised")


@router.post("/nlg", dependencies=[Depends(internal_caller)])
async def nlg(request: NLGRequest, state: AppState = Depends(app_state)) -> dict[str, Any]:
    slots = request.tracker.get("slots") or {}
    metadata = (request.tracker.get("latest_message") or {}).get("metadata") or {}
    # An action that just switched language says so, and so does the slot it set in this turn
    # (the form's next question follows "Claro, sigamos en español"); otherwise the conversation's
    # language as the gateway sent it with the message (it may have changed outside Rasa), then
    # the slot.
    language = (
        request.arguments.get("language")
        or _language_set_this_turn(request.tracker.get("events") or [])
        or metadata.get("language")
        or slots.get("language")
    )
    # The creditor's name is in every response that wants it ("I'm {creditor}'s assistant").
    values = (
        {"creditor": state.creditor.name}
        | {k: v for k, v in slots.items() if v is not None}
        | request.arguments
    )
    try:
        rendered = state.catalog.render(request.response, language, values)
    except MissingValueError:
        # A bug on our side must not leave the customer with a half-filled sentence.
        log.exception("response %s rendered without its values", request.response)
        rendered = state.catalog.render("error_bad_request", language)
    except KeyError:
        raise HTTPException(status_code=404, detail=f"no response {request.response!r} in locales") from None
    return {
        "text": rendered.text,
        "buttons": [{"title": b.title, "payload": b.payload} for b in rendered.buttons],
    }


def _language_set_this_turn(events: list[dict[str, Any]]) -> str | None:
    """The language an action set since the customer's latest message, if one did."""
    for event in reversed(events):
        if event.get("event") == "user":
            return None
        if event.get("event") == "slot" and event.get("name") == "language" and event.get("value"):
            return event["value"]
    return None
