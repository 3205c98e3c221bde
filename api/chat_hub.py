"""Which browser tabs are open on which conversation, and delivering stored replies to them."""

import logging
from collections import defaultdict
from typing import Any

from fastapi import WebSocket
from sqlalchemy import select

from bot.db.engine import Database
from bot.db.models import Message, MessageStatus

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
    def __init__(self, db: Database) -> None:
        self.db = db
        self._sockets: defaultdict[str, set[WebSocket]] = defaultdict(set)

    def join(self, conversation_id: str, websocket: WebSocket) -> None:
        self._sockets[conversation_id].add(websocket)

    def leave(self, conversation_id: str, websocket: WebSocket) -> None:
        sockets = self._sockets.get(conversation_id)
        if sockets is not None:
            sockets.discard(websocket)
            if not sockets:
                del self._sockets[conversation_id]

    async def deliver(self, conversation_id: str, messages: list[Message]) -> None:
        """Send replies to every open tab of the conversation; unsent ones stay queued for resume."""
        delivered: list[int] = []
        for websocket in list(self._sockets.get(conversation_id, ())):
            try:
                for message in messages:
                    await websocket.send_json(message_frame(message))
                delivered = [m.id for m in messages]
            except Exception:  # a tab closing mid-send is normal; the others still get it
                log.info("a chat tab went away during delivery")
        if delivered:
            async with self.db.transaction() as session:
                for message in await session.scalars(select(Message).where(Message.id.in_(delivered))):
                    message.status = MessageStatus.SENT
