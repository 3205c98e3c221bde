"""The web chat WebSocket: one JSON frame per message; the protocol is in the README."""

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from api.chat_hub import message_frame
from api.state import AppState, ws_state
from bot.channels.web import Frame, FrameRejected, LanguageFrame, MessageFrame, PingFrame, WebChannel
from bot.db.audit import record
from bot.db.models import Conversation, MessageStatus, Sender
from bot.db.types import utcnow
from bot.domain import conversations
from bot.domain.verification import forget_verification
from bot.gateway.assistant import AssistantUnavailable
from bot.gateway.intake import InboundMessage
from bot.i18n import country_of_timezone

log = logging.getLogger(__name__)
router = APIRouter()
CHANNEL = "web"
# A page whose connection dropped and came back this soon is still the same customer's.
RECONNECT_GRACE = timedelta(minutes=10)
# Frames refused one after another before the connection is closed: no widget sends these.
REFUSED_IN_A_ROW = 20


def _web(state: AppState) -> WebChannel:
    return state.channels["web"]


@router.websocket("/ws/chat")
async def chat(
    websocket: WebSocket,
    session: str | None = None,
    language: str | None = None,
    after: int = 0,
    zone: str | None = None,
):
    state = ws_state(websocket)
    origin = websocket.headers.get("origin")
    if not _web(state).verify(origin):
        log.info("web chat refused for origin %s", origin)
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    conversation = await _resume_or_open(state, websocket, session, language, zone)
    if conversation is None:  # too many new conversations from this address
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    hidden_since = await _private_again(state, conversation, reconnecting=after > 0) if session else None
    # A new token for every connection: the one used to come back stops working, here and in any
    # other tab, which is sent the new one.
    frame = await _new_session(state, conversation)
    await websocket.send_json(frame)
    await state.coordination.publish("announce", id=conversation.id, frame=frame)
    async with state.db.session() as db:
        history = await conversations.transcript(db, conversation.id, after_id=max(after, 0))
    # What was refused was answered with an error at the time; it is not replayed as if said.
    # After identity was checked, what we said is not replayed to whoever opens the page next.
    shown = [
        message_frame(m)
        for m in history
        if m.status != MessageStatus.REJECTED
        and not (hidden_since and m.sender != Sender.CUSTOMER and m.created_at >= hidden_since)
    ]
    await websocket.send_json({"type": "history", "messages": shown})
    if hidden_since:
        text = state.catalog.render("webchat_earlier_hidden", conversation.language).text
        await websocket.send_json({"type": "notice", "message": text})
    await state.hub.join(conversation.id, websocket, max([after, *(m.id for m in history)]))
    # Frames are read all the time, even while a slow turn is answered: a ping gets its pong and
    # the socket stays up; messages wait their turn in order.
    turns: asyncio.Queue[Frame | None] = asyncio.Queue()
    answering = asyncio.create_task(_answer_in_order(state, websocket, conversation, turns))
    refused = 0
    try:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            frame = await _accept(state, websocket, conversation, event.get("text"))
            refused = refused + 1 if frame is None else 0
            if refused >= REFUSED_IN_A_ROW:  # a flood, not a customer: stop reading it
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
                break
            if isinstance(frame, PingFrame):
                await websocket.send_json({"type": "pong"})
            elif frame is not None:
                turns.put_nowait(frame)
    except WebSocketDisconnect:
        pass
    finally:
        state.hub.leave(conversation.id, websocket)
        turns.put_nowait(None)  # what was already accepted is still answered, and kept for the return
        await answering


async def _resume_or_open(
    state: AppState, websocket: WebSocket, token: str | None, language: str | None, zone: str | None
) -> Conversation | None:
    """The conversation the token names, else a new one (in the country of the browser's time
    zone, `zone`, until we know the customer); None when this address has opened more new ones
    than CONCORD_WEBCHAT_NEW_CONVERSATION_LIMIT allows (after telling it so)."""
    if token:
        digest = state.tokens.digest(token)
        async with state.db.session() as db:
            conversation = await conversations.with_web_session(db, digest) if digest else None
        if conversation is not None:
            return conversation
        await _send_error(
            state,
            websocket,
            state.catalog.resolve_language(language),
            "invalid_session",
            "the session token is not valid or has expired; a new conversation was started",
        )
    address = websocket.client.host if websocket.client else "unknown"
    if not await state.rate_limiter.hit(state.webchat_new_limit, "webchat-new", address):
        language = state.catalog.resolve_language(language)
        await _send_error(state, websocket, language, "rate_limited", "too many new conversations")
        return None
    async with state.db.transaction() as db:
        return await conversations.open_conversation(
            db,
            CHANNEL,
            channel_user_id=None,
            language=state.catalog.resolve_language(language),
            language_source="browser" if state.catalog.supports(language) else "default",
            region=country_of_timezone(zone[:64]) if zone else None,
        )


async def _private_again(state: AppState, conversation: Conversation, reconnecting: bool) -> datetime | None:
    """A page opened again on a conversation in which identity was checked (a shared phone, a
    tab reopened later) starts private: the account's figures are not replayed and identity is
    asked again before any. A dropped connection picked up within RECONNECT_GRACE by the same
    page carries on. Returns since when replies are hidden, or None."""
    recently = utcnow() - conversation.last_message_at <= RECONNECT_GRACE
    if conversation.verified_at is None or (reconnecting and recently):
        return None
    since, conversation.verified_at = conversation.verified_at, None
    async with state.db.transaction() as db:
        await forget_verification(db, conversation.id)
        record(db, "web chat", "verification_forgotten_on_resume", conversation_id=conversation.id)
    try:
        await state.rasa.forget_verification(conversation.id)
    except AssistantUnavailable:  # the database is what actions trust; Rasa's slot follows later
        log.warning("could not clear the verified slot of a resumed web chat")
    return since


async def _accept(
    state: AppState, websocket: WebSocket, conversation: Conversation, raw: str | None
) -> Frame | None:
    """The frame, if it is one this chat may send now; otherwise the customer is told and what
    they typed is kept on record."""
    try:
        # Every frame counts, the ones we cannot read too.
        if not await state.rate_limiter.hit(state.webchat_limit, conversation.id):
            raise FrameRejected("rate_limited", f"at most {state.settings.webchat_rate_limit} frames")
        frame = _web(state).parse(raw)
        async with state.db.session() as db:
            current = await conversations.web_session_of(db, conversation.id)
        if current is None or state.tokens.digest(frame.session) != current:
            raise FrameRejected("invalid_session", "the frame's session token is not valid for this chat")
    except FrameRejected as rejected:
        typed = _web(state).typed_text(raw, state.settings.max_message_chars)
        await state.gateway.record_rejected(conversation.id, CHANNEL, typed, rejected.code)
        await _send_error(state, websocket, conversation.language, rejected.code, rejected.detail)
        return None
    return frame


async def _answer_in_order(
    state: AppState, websocket: WebSocket, conversation: Conversation, turns: "asyncio.Queue[Frame | None]"
) -> None:
    while (frame := await turns.get()) is not None:
        try:
            if isinstance(frame, LanguageFrame):
                await _change_language(state, websocket, conversation, frame.language)
            else:
                await _message(state, websocket, conversation, frame)
        except Exception as error:  # the tab went away mid-turn: the message is stored and answered
            log.info("a web chat turn ended without its tab: %s", type(error).__name__)


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
    with suppress(Exception):  # the tab may be gone: the message is stored and answered all the same
        await websocket.send_json({"type": "typing", "on": True})
    state.hub.hold(websocket)
    try:
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
    finally:
        state.hub.release(websocket)
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
    if delivery.duplicate:  # the client asks again: it gets the original replies again
        for reply in delivery.replies:
            await websocket.send_json(message_frame(reply))
    await state.hub.deliver(conversation.id)
    await _new_session_once_verified(state, conversation)
    await websocket.send_json({"type": "typing", "on": False})


async def _new_session(state: AppState, conversation: Conversation) -> dict:
    """Issue the conversation's token (ending the previous one); the frame that carries it."""
    token, digest = state.tokens.issue()
    async with state.db.transaction() as db:
        await conversations.set_web_session(db, conversation.id, digest)
    return {
        "type": "session",
        "session": token,
        "conversation_id": conversation.id,
        "language": conversation.language,
    }


async def _new_session_once_verified(state: AppState, conversation: Conversation) -> None:
    """Identity was just checked: every tab gets a new token, and one copied before is worthless."""
    async with state.db.session() as db:
        verified_at = (await conversations.get_conversation(db, conversation.id)).verified_at
    if verified_at is None or verified_at == conversation.verified_at:
        return
    conversation.verified_at = verified_at
    frame = await _new_session(state, conversation)
    await state.coordination.publish("announce", id=conversation.id, frame=frame)


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
