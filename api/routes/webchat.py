"""The web chat WebSocket: one JSON frame per message; the protocol is in the README."""

import json
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from api.chat_hub import message_frame
from api.state import AppState, ws_state
from bot import conversations
from bot.db.models import Conversation
from bot.gateway import InboundMessage

log = logging.getLogger(__name__)
router = APIRouter()
CHANNEL = "web"


class MessageFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["message"]
    text: str = Field(min_length=1)
    client_id: str | None = Field(default=None, max_length=64)


class PingFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["ping"]


ClientFrame = TypeAdapter(Annotated[MessageFrame | PingFrame, Field(discriminator="type")])


class FrameRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@router.websocket("/ws/chat")
async def chat(websocket: WebSocket, session: str | None = None, language: str | None = None, after: int = 0):
    state = ws_state(websocket)
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
            state.settings.default_language,
            "invalid_session",
            "the session token is not valid; a new conversation was started",
        )
    async with state.db.transaction() as db:
        return await conversations.open_conversation(
            db, CHANNEL, channel_user_id="web", language=state.catalog.resolve_language(language)
        )


async def _handle(state: AppState, websocket: WebSocket, conversation: Conversation, raw: str | None) -> None:
    try:
        frame = _parse(raw, state.settings.max_frame_bytes)
    except FrameRejected as rejected:
        stored = (raw or "<binary frame>")[: state.settings.max_frame_bytes]
        await state.gateway.record_rejected(conversation.id, CHANNEL, stored, rejected.code)
        await _send_error(state, websocket, conversation.language, rejected.code, rejected.detail)
        return
    if isinstance(frame, PingFrame):
        await websocket.send_json({"type": "pong"})
        return
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


def _parse(raw: str | None, max_bytes: int) -> MessageFrame | PingFrame:
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
        detail = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
        raise FrameRejected("invalid_frame", detail) from None


async def _send_error(
    state: AppState, websocket: WebSocket, language: str, code: str, detail: str, **values
) -> None:
    key = "error_message_too_long" if code == "too_long" else "error_bad_request"
    text = state.catalog.render(key, language, values).text
    await websocket.send_json({"type": "error", "code": code, "message": text, "detail": detail})
