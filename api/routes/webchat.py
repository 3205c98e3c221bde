"""The web chat WebSocket: one JSON frame per message; the protocol is in the README."""

import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from api.chat_hub import message_frame
from api.state import AppState, ws_state
from bot.channels.web import FrameRejected, LanguageFrame, MessageFrame, PingFrame, WebChannel
from bot.db.models import Conversation, MessageStatus
from bot.domain import conversations
from bot.gateway.intake import InboundMessage

log = logging.getLogger(__name__)
router = APIRouter()
CHANNEL = "web"


def _web(state: AppState) -> WebChannel:
    return state.channels["web"]


@router.websocket("/ws/chat")
async def chat(websocket: WebSocket, session: str | None = None, language: str | None = None, after: int = 0):
    state = ws_state(websocket)
    origin = websocket.headers.get("origin")
    if not _web(state).verify(origin):
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
    # What was refused was answered with an error at the time; it is not replayed as if said.
    shown = [message_frame(m) for m in history if m.status != MessageStatus.REJECTED]
    await websocket.send_json({"type": "history", "messages": shown})
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
        frame = _web(state).parse(raw)
        if state.tokens.conversation_id(frame.session) != conversation.id:
            raise FrameRejected("invalid_session", "the frame's session token is not valid for this chat")
        if not await state.rate_limiter.hit(state.webchat_limit, conversation.id):
            raise FrameRejected("rate_limited", f"at most {state.settings.webchat_rate_limit} frames")
    except FrameRejected as rejected:
        typed = _web(state).typed_text(raw, state.settings.max_message_chars)
        await state.gateway.record_rejected(conversation.id, CHANNEL, typed, rejected.code)
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
