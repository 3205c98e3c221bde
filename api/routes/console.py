"""The agent console: sign-in, the live queue, a conversation, and what an agent can do in it.

Pages are static (api/static/console*); data is JSON under /console/api and live updates come
over /console/ws. A session cookie (HTTP-only, SameSite=Strict, Secure over https) signs an
agent in; every change also needs the session's CSRF token in `X-CSRF-Token` and, when the
browser sends one, our own Origin.
"""

import asyncio
import hmac
import re
from contextlib import suppress
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Query,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
    status,
)
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field

from api.console_hub import ConsoleTab
from api.routes.pages import STATIC
from api.state import AppState, app_state, ws_state
from bot.creditor import webhooks
from bot.db.audit import record
from bot.db.models import Agent, AgentSession, Arrangement, Conversation, Handoff, HandoffStatus
from bot.db.types import utcnow
from bot.domain.arrangements import HardshipDecision, decide_hardship
from bot.domain.conversations import add_note, transcript
from bot.domain.pauses import care_pause, lift_care_pause
from bot.gateway.assistant import AssistantUnavailable
from bot.people import agents, console_view, dashboard, handoff

router = APIRouter(prefix="/console")
COOKIE = "concord_console"
OUTCOMES = ("resolved", "arrangement_agreed", "referred", "customer_left", "other")
REFRESH_SECONDS = 5.0
DASHBOARD_DAYS = 30  # the period shown when none is asked for: the last 30 days, today included
DASHBOARD_MAX_DAYS = 366


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Text(BaseModel):
    text: str = Field(min_length=1, max_length=1600)


class Close(BaseModel):
    outcome: Literal[OUTCOMES]


class Decision(BaseModel):
    decision: HardshipDecision
    affordable_minor: int | None = Field(default=None, gt=0)


# Pages ------------------------------------------------------------------------------------------


@router.get("/login", include_in_schema=False)
async def login_page() -> FileResponse:
    return FileResponse(STATIC / "console-login.html")


@router.get("", include_in_schema=False)
async def console_page(request: Request, state: AppState = Depends(app_state)) -> Response:
    async with state.db.session() as db:
        if await agents.session_for(db, request.cookies.get(COOKIE)) is None:
            return RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)
    return FileResponse(STATIC / "console.html", headers={"Cache-Control": "no-store"})


# Signing in and out ------------------------------------------------------------------------------


def _own_origin(origin: str | None, state: AppState) -> bool:
    """Browsers name the page a request comes from; it must be the console's own."""
    return origin is None or origin.rstrip("/") == state.settings.api_base_url().rstrip("/")


def _same_origin(request: Request, state: AppState) -> None:
    if not _own_origin(request.headers.get("origin"), state):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "requests must come from the console's own page")


@router.post("/login")
async def login(body: SignIn, request: Request, response: Response, state: AppState = Depends(app_state)):
    _same_origin(request, state)
    address = request.client.host if request.client else "unknown"
    name = " ".join(body.username.split()).casefold()  # "ana", " Ana ", "ANA" are one name
    limiter = state.rate_limiter
    if not (
        await limiter.hit(state.console_address_limit, "console-login", address)
        and await limiter.hit(state.console_login_limit, "console-login", address, name)
    ):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many sign-in attempts; wait a minute")
    async with state.db.transaction() as db:
        agent = await agents.authenticate(db, body.username, body.password)
        if agent is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
        lifetime = timedelta(hours=state.settings.console_session_hours)
        token, csrf = await agents.start_session(db, agent, lifetime)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=state.settings.api_base_url().startswith("https://"),
        path="/console",
    )
    return {"csrf": csrf, "agent": _me(agent)}


async def signed_in(request: Request, state: AppState = Depends(app_state)) -> AgentSession:
    async with state.db.session() as db:
        found = await agents.session_for(db, request.cookies.get(COOKIE))
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "please sign in")
    return found


async def may_change(
    request: Request, session: AgentSession = Depends(signed_in), state: AppState = Depends(app_state)
) -> Agent:
    """A change needs the session's CSRF token and, when the browser names one, our own origin."""
    _same_origin(request, state)
    if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), session.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload the console")
    return session.agent


Changer = Annotated[Agent, Depends(may_change)]
State = Annotated[AppState, Depends(app_state)]


@router.post("/logout")
async def logout(request: Request, response: Response, agent: Changer, state: State):
    async with state.db.transaction() as db:
        await agents.end_session(db, request.cookies[COOKIE], agent)
    await state.coordination.publish("signed_out", agent=agent.id)
    response.delete_cookie(COOKIE, path="/console")
    return {"ok": True}


@router.get("/api/me")
async def me(session: Annotated[AgentSession, Depends(signed_in)]):
    return {"agent": _me(session.agent), "csrf": session.csrf_token}


def _me(agent: Agent) -> dict[str, Any]:
    return {
        "username": agent.username,
        "name": agent.display_name,
        "role": agent.role.value,
        "languages": agent.languages,
    }


# Reading -----------------------------------------------------------------------------------------


@router.get("/api/queue")
async def queue(session: Annotated[AgentSession, Depends(signed_in)], state: State):
    return await _lists(state, session.agent)


async def _lists(state: AppState, agent: Agent) -> dict[str, Any]:
    async with state.db.session() as db:
        now = utcnow()
        return {
            "queue": await console_view.queue_items(db, agent, now),
            "mine": await console_view.my_conversations(db, agent, now),
        }


@router.get("/api/conversations/{conversation_id}")
async def conversation(
    conversation_id: str, session: Annotated[AgentSession, Depends(signed_in)], state: State
):
    async with state.db.transaction() as db:
        await _readable(db, conversation_id, session.agent)
        record(db, session.agent.username, "conversation_read", conversation_id=conversation_id)
        return await console_view.conversation_view(
            db, conversation_id, session.agent, state.catalog, utcnow()
        )


@router.get("/api/supervisor")
async def supervisor(session: Annotated[AgentSession, Depends(signed_in)], state: State):
    if session.agent.role.value == "agent":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "for supervisors")
    async with state.db.session() as db:
        return await console_view.supervisor_view(db, utcnow())


def _for_supervisors(agent: Agent) -> None:
    if agent.role.value == "agent":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "for supervisors")


def _day(value: str | None, name: str) -> date | None:
    """A day in a query, written YYYY-MM-DD; anything else is refused naming the parameter."""
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            f"{name} must be a day written YYYY-MM-DD, not {value[:20]!r}",
        ) from None


@router.get("/api/dashboard")
async def dashboard_figures(
    session: Annotated[AgentSession, Depends(signed_in)],
    state: State,
    start: str | None = None,
    end: str | None = None,
    by: str | None = None,
):
    """The figures for the days [start, end) (UTC), optionally split by channel, language or
    jurisdiction (bot.people.dashboard says what each one counts)."""
    _for_supervisors(session.agent)
    first, after_last = _day(start, "start"), _day(end, "end")
    if after_last is None:
        after_last = first + timedelta(days=DASHBOARD_DAYS) if first else utcnow().date() + timedelta(days=1)
    if first is None:
        first = after_last - timedelta(days=DASHBOARD_DAYS)
    if after_last <= first:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, "end must be after start (end is the first day not counted)"
        )
    if (after_last - first).days > DASHBOARD_MAX_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"end must be at most {DASHBOARD_MAX_DAYS} days after start"
        )
    if by is not None and by not in dashboard.SPLITS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"by must be one of {', '.join(dashboard.SPLITS)}"
        )
    async with state.db.session() as db:
        return await dashboard.dashboard(
            db, datetime.combine(first, time(), UTC), datetime.combine(after_last, time(), UTC), by
        )


@router.get("/api/webhooks")
async def webhook_log(
    session: Annotated[AgentSession, Depends(signed_in)],
    state: State,
    only_failed: bool = False,
    limit: int = Query(default=100, ge=1, le=500),
):
    """The latest events for the creditor's systems, with their delivery state and last attempt."""
    _for_supervisors(session.agent)
    async with state.db.session() as db:
        log = await webhooks.delivery_log(db, limit=limit, only_failed=only_failed)
    return {"events": [_delivery(item) for item in log]}


def _delivery(item: webhooks.Delivery) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in asdict(item).items()
    }


async def _readable(db, conversation_id: str, agent: Agent) -> Conversation:
    """Agents read conversations in their languages that wait for or are with a person; supervisors all."""
    found = await db.get(Conversation, conversation_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    current = await handoff.open_handoff(db, conversation_id)
    mine = current is not None and current.claimed_by_id == agent.id
    if (
        agent.role.value == "agent"
        and not mine
        and not (current is not None and handoff.can_read(agent, found))
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this conversation is not in your queue")
    return found


# Acting ------------------------------------------------------------------------------------------


@router.post("/api/handoffs/{handoff_id}/claim")
async def claim(handoff_id: int, agent: Changer, state: State):
    async with state.db.transaction() as db:
        waiting = await db.get(Handoff, handoff_id)
        if waiting is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such handoff")
        if not handoff.can_read(agent, await db.get(Conversation, waiting.conversation_id)):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "this conversation is in a language you don't read"
            )
        try:
            claimed = await handoff.claim(db, handoff_id, agent)
        except handoff.HandoffConflict as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        conversation_id = claimed.conversation_id
    await state.gateway.pause_assistant(conversation_id)  # a hardship or dispute review waited with it on
    await _send_notice(state, conversation_id, "handoff_agent_joined", {"agent": agent.display_name})
    return {"conversation_id": conversation_id}


@router.post("/api/conversations/{conversation_id}/reply")
async def reply(conversation_id: str, body: Text, agent: Changer, state: State):
    async with state.db.session() as db:
        await _mine(db, conversation_id, agent)
    sent = await state.gateway.send_as_person(conversation_id, agent, body.text.strip())
    await state.wake_outbox()
    return {"ids": [m.id for m in sent]}


@router.post("/api/conversations/{conversation_id}/notes")
async def note(conversation_id: str, body: Text, agent: Changer, state: State):
    async with state.db.transaction() as db:
        await _readable(db, conversation_id, agent)
        added = await add_note(db, conversation_id, agent, body.text.strip())
    await state.coordination.publish("conversation", id=conversation_id)
    return {"id": added.id}


@router.post("/api/conversations/{conversation_id}/hand-back")
async def hand_back(conversation_id: str, agent: Changer, state: State):
    return await _end(
        state, conversation_id, agent, HandoffStatus.RETURNED, "handed_back", "handoff_returned"
    )


@router.post("/api/conversations/{conversation_id}/close")
async def close(conversation_id: str, body: Close, agent: Changer, state: State):
    return await _end(state, conversation_id, agent, HandoffStatus.CLOSED, body.outcome, "handoff_closed")


async def _end(
    state: AppState, conversation_id: str, agent: Agent, ending: HandoffStatus, outcome: str, notice: str
) -> dict[str, Any]:
    async with state.db.session() as db:
        current = await _mine(db, conversation_id, agent)
        conversation = await db.get(Conversation, conversation_id)
        if await care_pause(db, conversation.customer_id):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "the customer is paused for care: lift the pause first if it is safe to talk about payments",
            )
    try:  # the assistant listens again before the handoff ends, so no message falls between
        await state.rasa.resume(conversation_id)
    except AssistantUnavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the assistant is unreachable; try again"
        ) from error
    async with state.db.transaction() as db:
        await handoff.end(db, await db.get(Handoff, current.id), agent, ending, outcome)
    await _send_notice(state, conversation_id, notice)
    return {"status": ending.value}


@router.post("/api/conversations/{conversation_id}/lift-care-pause")
async def lift(conversation_id: str, agent: Changer, state: State):
    async with state.db.transaction() as db:
        await _mine(db, conversation_id, agent)  # a care pause is lifted by the person talking to them
        conversation = await db.get(Conversation, conversation_id)
        if conversation.customer_id is None:
            raise HTTPException(status.HTTP_409_CONFLICT, "no customer is known for this conversation")
        lifted = await lift_care_pause(db, conversation.customer_id, agent.username)
    await state.coordination.publish("conversation", id=conversation_id)
    return {"lifted": lifted}


@router.post("/api/arrangements/{arrangement_id}/decision")
async def decide(arrangement_id: int, body: Decision, agent: Changer, state: State):
    async with state.db.transaction() as db:
        arrangement = await db.get(Arrangement, arrangement_id)
        if arrangement is None or arrangement.conversation_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such hardship request")
        await _mine(db, arrangement.conversation_id, agent)
        try:
            decided = await decide_hardship(
                db, arrangement_id, body.decision, agent.username, body.affordable_minor
            )
        except (LookupError, ValueError) as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        conversation_id, reference = decided.conversation_id, decided.reference
    key = "hardship_declined" if body.decision == HardshipDecision.DECLINE else "hardship_approved"
    await _send_notice(state, conversation_id, key, {"reference": reference})
    return {"status": decided.status.value}


@router.post("/api/webhooks/{event_id}/replay")
async def replay_webhook(event_id: int, agent: Changer, state: State):
    """Send an event to the creditor's systems again: failed, or delivered and lost on their side."""
    _for_supervisors(agent)
    async with state.db.transaction() as db:
        try:
            event = await webhooks.replay(db, event_id)
        except LookupError as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such event") from error
        record(
            db, agent.username, "webhook_replayed", details={"event_id": event_id, "kind": event.kind.value}
        )
        return {"event_id": event.id, "delivery": event.delivery.value, "attempts": event.attempts}


async def _mine(db, conversation_id: str, agent: Agent) -> Handoff:
    current = await handoff.open_handoff(db, conversation_id)
    if current is None or current.status != HandoffStatus.CLAIMED.value:
        raise HTTPException(status.HTTP_409_CONFLICT, "claim this conversation first")
    if current.claimed_by_id != agent.id and agent.role.value == "agent":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "another agent has this conversation")
    return current


async def _send_notice(
    state: AppState, conversation_id: str, key: str, values: dict[str, str] | None = None
) -> None:
    await state.gateway.send_notice(conversation_id, key, values)
    await state.wake_outbox()


# Live updates -----------------------------------------------------------------------------------


@router.websocket("/ws")
async def live(websocket: WebSocket):
    """Pushes {"type": "lists"} when the queue changes and {"type": "messages"} for the watched
    conversation; the page sends {"watch": conversation_id, "after": last_message_id}."""
    state = ws_state(websocket)
    token = websocket.cookies.get(COOKIE)
    async with state.db.session() as db:
        found = await agents.session_for(db, token)
    if found is None or not _own_origin(websocket.headers.get("origin"), state):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    tab = ConsoleTab(found.agent_id)
    state.console.join(tab)
    pusher = asyncio.create_task(_push(state, websocket, tab, token))
    try:
        while True:
            frame = await websocket.receive_json()
            if isinstance(frame, dict) and isinstance(frame.get("watch"), str):
                await _watch(state, websocket, tab, token, frame)
    except (WebSocketDisconnect, ValueError, RuntimeError):  # RuntimeError: closed by the pusher
        pass
    finally:
        state.console.leave(tab)
        pusher.cancel()
        with suppress(asyncio.CancelledError):
            await pusher


async def _watch(state: AppState, websocket: WebSocket, tab: ConsoleTab, token: str, frame: dict) -> None:
    """Watching a conversation is reading it: the same check as opening it, and audited alike."""
    async with state.db.transaction() as db:
        found = await agents.session_for(db, token)
        if found is None:
            return  # the pusher closes the socket
        try:
            await _readable(db, frame["watch"], found.agent)
        except HTTPException as refused:
            await websocket.send_json({"type": "error", "error": refused.detail, "watch": frame["watch"]})
            return
        record(db, found.agent.username, "conversation_read", conversation_id=frame["watch"])
    tab.watching, tab.last_message_id = frame["watch"], int(frame.get("after") or 0)
    tab.changed(frame["watch"])


async def _push(state: AppState, websocket: WebSocket, tab: ConsoleTab, token: str) -> None:
    """Lists and watched messages as they change; the session is checked each time, so signing
    out, expiry and deactivation close the socket within REFRESH_SECONDS (at once on sign-out)."""
    last_lists = None
    tab.wakeup.set()
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(tab.wakeup.wait(), timeout=REFRESH_SECONDS)
        changes = tab.take_changes()
        async with state.db.session() as db:
            found = await agents.session_for(db, token)
            agent = found.agent if found else None
        if agent is None:
            await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
            return
        lists = await _lists(state, agent)
        if lists != last_lists:
            await websocket.send_json({"type": "lists", **lists})
            last_lists = lists
        if tab.watching and tab.watching in changes:
            await _push_messages(state, websocket, tab)


async def _push_messages(state: AppState, websocket: WebSocket, tab: ConsoleTab) -> None:
    """New messages of the watched conversation (possibly none: then something else in it changed)."""
    async with state.db.session() as db:
        new = [
            console_view.message_item(m)
            for m in await transcript(db, tab.watching, after_id=tab.last_message_id)
        ]
    if new:
        tab.last_message_id = new[-1]["id"]
    await websocket.send_json({"type": "messages", "conversation_id": tab.watching, "messages": new})
