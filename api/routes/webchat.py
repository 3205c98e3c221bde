"""The web chat WebSocket: one JSON frame per message; the protocol is in the README."""

import json
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from api.chat_hub import message_frame
from api.state import AppState, ws_state
from bot.db.models import Conversation
from bot.domain import conversations
from bot.gateway.intake import InboundMessage

log = logging.getLogger(__name__)
router = APIRouter()
CHANNEL = "web"


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Every frame carries the session token, checked again each time (it may have expired).
    session: str = Field(min_length=1, max_length=512)


class MessageFrame(_Frame):
    type: Literal["message"]
    text: str = Field(min_length=1)
    client_id: str | None = Field(default=None, max_length=64)


class LanguageFrame(_Frame):
    type: Literal["language"]
    language: str = Field(min_length=2, max_length=8)


class PingFrame(_Frame):
    type: Literal["ping"]


ClientFrame = TypeAdapter(Annotated[MessageFrame | LanguageFrame | PingFrame, Field(discriminator="type")])


class FrameRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@router.websocket("/ws/chat")
async def chat(websocket: WebSocket, session: str | None = None, language: str | None = None, after: int = 0):
    state = ws_state(websocket)
    origin = websocket.headers.get("origin")
    # Browsers always send Origin: a page not on the allow-list may not open a chat (403).
    if origin is not None and origin.rstrip("/") not in state.settings.allowed_origins():
        log.info("web chat refused for origin %s", origin)
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    conversation = await _resume_or_open(state, websocket, session, language)
    await websocket.send_json(
        {
            "type": "session",
            "session": state.tokens.issue(conversation.id),
            "conversation_id": conversation.id,
            "language": conversation.language,
        }
    )
    async with state.db.session() as db:
        history = await conversations.transcript(db, conversation.id, after_id=max(after, 0))
    await websocket.send_json({"type": "history", "messages": [message_frame(m) for m in history]})
    state.hub.join(conversation.id, websocket)
    try:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            await _handle(state, websocket, conversation, event.get("text"))
    except WebSocketDisconnect:
        pass
    finally:
        state.hub.leave(conversation.id, websocket)


async def _resume_or_open(
    state: AppState, websocket: WebSocket, token: str | None, language: str | None
) -> Conversation:
    if token:
        conversation_id = state.tokens.conversation_id(token)
        async with state.db.session() as db:
            conversation = (
                await conversations.get_conversation(db, conversation_id) if conversation_id else None
            )
        if conversation is not None:
            return conversation
        await _send_error(
            state,
            websocket,
            state.catalog.resolve_language(language),
            "invalid_session",
            "the session token is not valid or has expired; a new conversation was started",
        )
    async with state.db.transaction() as db:
        return await conversations.open_conversation(
            db,
            CHANNEL,
            channel_user_id=None,
            language=state.catalog.resolve_language(language),
            language_source="browser" if state.catalog.supports(language) else "default",
        )


async def _handle(state: AppState, websocket: WebSocket, conversation: Conversation, raw: str | None) -> None:
    try:
        frame = _parse(raw, state.settings.max_frame_bytes)
        if state.tokens.conversation_id(frame.session) != conversation.id:
            raise FrameRejected("invalid_session", "the frame's session token is not valid for this chat")
        if not await state.rate_limiter.hit(state.webchat_limit, conversation.id):
            raise FrameRejected("rate_limited", f"at most {state.settings.webchat_rate_limit} frames")
    except FrameRejected as rejected:
        stored = (raw or "<binary frame>")[: state.settings.max_frame_bytes]
        await state.gateway.record_rejected(conversation.id, CHANNEL, stored, rejected.code)
        await _send_error(state, websocket, conversation.language, rejected.code, rejected.detail)
        return
    if isinstance(frame, PingFrame):
        await websocket.send_json({"type": "pong"})
    elif isinstance(frame, LanguageFrame):
        await _change_language(state, websocket, conversation, frame.language)
    else:
        await _message(state, websocket, conversation, frame)


async def _change_language(
    state: AppState, websocket: WebSocket, conversation: Conversation, language: str
) -> None:
    """The widget's language picker: an explicit choice, so it takes effect at once."""
    if not state.catalog.supports(language):
        await _send_error(
            state, websocket, conversation.language, "unsupported_language", f"{language!r} is not offered"
        )
        return
    async with state.db.transaction() as db:
        await conversations.set_language(db, conversation.id, language, source="picker")
    conversation.language = language
    await websocket.send_json({"type": "language", "language": language})


async def _message(
    state: AppState, websocket: WebSocket, conversation: Conversation, frame: MessageFrame
) -> None:
    await websocket.send_json({"type": "typing", "on": True})
    delivery = await state.gateway.receive(
        InboundMessage(
            conversation_id=conversation.id,
            channel=CHANNEL,
            text=frame.text,
            channel_message_id=f"{conversation.id}:{frame.client_id}" if frame.client_id else None,
        )
    )
    await websocket.send_json(
        {
            "type": "ack",
            "client_id": frame.client_id,
            "message_id": delivery.inbound_id,
            "duplicate": delivery.duplicate,
        }
    )
    if delivery.rejected:
        limit = state.settings.max_message_chars
        await _send_error(
            state,
            websocket,
            conversation.language,
            delivery.rejected,
            f"messages are limited to {limit} characters",
            limit=limit,
        )
    await state.hub.deliver(conversation.id, delivery.replies)
    await websocket.send_json({"type": "typing", "on": False})


def _parse(raw: str | None, max_bytes: int) -> MessageFrame | LanguageFrame | PingFrame:
    if raw is None:
        raise FrameRejected("invalid_frame", "frames must be JSON text, not binary")
    if len(raw.encode()) > max_bytes:
        raise FrameRejected("frame_too_large", f"frames are limited to {max_bytes} bytes")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise FrameRejected("invalid_json", f"not valid JSON: {error.msg}") from None
    try:
        return ClientFrame.validate_python(data)
    except ValidationError as error:
        problems = error.errors()
        unknown = [".".join(map(str, p["loc"][1:])) for p in problems if p["type"] == "extra_forbidden"]
        if unknown:
            raise FrameRejected("unknown_fields", f"unknown fields: {', '.join(unknown)}") from None
        if any(p["loc"][1:] == ("session",) and p["type"] == "missing" for p in problems):
            raise FrameRejected("invalid_session", "every frame carries the session token") from None
        detail = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
        raise FrameRejected("invalid_frame", detail) from None


# What the customer reads for each refusal; the code and detail are for developers.
_ERROR_RESPONSES = {
    "too_long": "error_message_too_long",
    "rate_limited": "error_rate_limited",
    "invalid_session": "error_session_expired",
}


async def _send_error(
    state: AppState, websocket: WebSocket, language: str, code: str, detail: str, **values
) -> None:
    key = _ERROR_RESPONSES.get(code, "error_bad_request")
    text = state.catalog.render(key, language, values).text
    await websocket.send_json({"type": "error", "code": code, "message": text, "detail": detail})
