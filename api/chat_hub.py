"""Which browser tabs are open on which conversation, and delivering stored replies to them."""

import asyncio
import logging
from collections import defaultdict
from typing import Any

from fastapi import WebSocket
from sqlalchemy import select

from bot.db.engine import Database
from bot.db.models import Direction, Message, MessageStatus

log = logging.getLogger(__name__)


def message_frame(message: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "id": message.id,
        "sender": message.sender.value,
        "text": message.text,
        "buttons": message.buttons or [],
        "timestamp": message.created_at.isoformat(),
    }


class ChatHub:
    """Each tab is sent every reply of its conversation after the last one it was sent, in id
    order, one delivery at a time per conversation: a reply stored late (one that waited while
    the assistant was down) is never sent after a later one, nor skipped."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sockets: defaultdict[str, dict[WebSocket, int]] = defaultdict(dict)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Tabs whose own message is being answered: they are sent its acknowledgement first,
        # then the replies (news of the replies can arrive before the acknowledgement is sent).
        self._awaiting_ack: set[WebSocket] = set()

    async def join(self, conversation_id: str, websocket: WebSocket, shown_up_to: int) -> None:
        """A tab that has been sent everything up to `shown_up_to`; anything newer follows now."""
        self._sockets[conversation_id][websocket] = shown_up_to
        await self.deliver(conversation_id)

    def hold(self, websocket: WebSocket) -> None:
        self._awaiting_ack.add(websocket)

    def release(self, websocket: WebSocket) -> None:
        self._awaiting_ack.discard(websocket)

    def leave(self, conversation_id: str, websocket: WebSocket) -> None:
        sockets = self._sockets.get(conversation_id)
        if sockets is not None:
            sockets.pop(websocket, None)
            if not sockets:
                del self._sockets[conversation_id]
                self._locks.pop(conversation_id, None)

    async def announce(self, conversation_id: str, frame: dict[str, Any]) -> None:
        """A frame for every open tab of the conversation (a new session token)."""
        if conversation_id not in self._sockets:
            return
        async with self._locks[conversation_id]:
            for websocket in list(self._sockets.get(conversation_id, {})):
                try:
                    await websocket.send_json(frame)
                except Exception:  # a tab closing mid-send is normal
                    log.info("a chat tab went away before a frame reached it")

    async def deliver(self, conversation_id: str) -> None:
        """Send what each open tab of the conversation has not been sent; what no tab took stays
        queued, for the customer's return."""
        if conversation_id not in self._sockets:  # news of a conversation no tab here shows
            return
        async with self._locks[conversation_id]:
            sockets = self._sockets.get(conversation_id)
            if not sockets:
                return
            async with self.db.session() as session:
                replies = list(
                    await session.scalars(
                        select(Message)
                        .where(
                            Message.conversation_id == conversation_id,
                            Message.direction == Direction.OUTBOUND,
                            Message.id > min(sockets.values()),
                        )
                        .order_by(Message.id)
                    )
                )
            delivered: set[int] = set()
            for websocket, shown_up_to in list(sockets.items()):
                if websocket in self._awaiting_ack:
                    continue  # delivered to once its acknowledgement is sent
                try:
                    for message in (m for m in replies if m.id > shown_up_to):
                        await websocket.send_json(message_frame(message))
                        sockets[websocket] = message.id
                        delivered.add(message.id)
                except Exception:  # a tab closing mid-send is normal; the others still get it
                    log.info("a chat tab went away during delivery")
            queued = [m.id for m in replies if m.id in delivered and m.status == MessageStatus.QUEUED]
        if queued:
            async with self.db.transaction() as session:
                for message in await session.scalars(select(Message).where(Message.id.in_(queued))):
                    message.status = MessageStatus.SENT
