"""A web-chat customer, speaking the documented WebSocket protocol with a real client."""

import asyncio
import json
import uuid
from typing import Any

import websockets

TIMEOUT = 60


class ChatClient:
    def __init__(self, websocket, session: dict[str, Any], history: list[dict[str, Any]]) -> None:
        self.websocket = websocket
        self.session = session
        self.history = history

    @classmethod
    async def connect(
        cls,
        ws_url: str,
        token: str | None = None,
        after: int = 0,
        language: str | None = None,
        origin: str | None = None,
    ) -> "ChatClient":
        query = (
            f"?after={after}"
            + (f"&session={token}" if token else "")
            + (f"&language={language}" if language else "")
        )
        websocket = await websockets.connect(ws_url + query, origin=origin)
        frames = [await cls._next(websocket)]
        if frames[0]["type"] == "error":  # e.g. invalid_session, then a new session follows
            frames.append(await cls._next(websocket))
        session = frames[-1]
        history = await cls._next(websocket)
        client = cls(websocket, session, history["messages"])
        client.errors = [f for f in frames if f["type"] == "error"]
        return client

    @property
    def token(self) -> str:
        return self.session["session"]

    @property
    def conversation_id(self) -> str:
        return self.session["conversation_id"]

    async def say(self, text: str, client_id: str | None = None) -> list[dict[str, Any]]:
        """Send a message; return every frame up to the end of the bot's turn."""
        await self.send_raw(self.frame(type="message", text=text, client_id=client_id or str(uuid.uuid4())))
        return await self.turn()

    def frame(self, **fields: Any) -> str:
        """A client frame as the widget sends it: with this session's token."""
        return json.dumps({"session": self.token, **fields})

    async def send_raw(self, raw: str | bytes) -> None:
        await self.websocket.send(raw)

    async def turn(self) -> list[dict[str, Any]]:
        frames = []
        while True:
            frame = await self.next_frame()
            frames.append(frame)
            if frame["type"] == "typing" and not frame["on"]:
                return frames
            if frame["type"] == "error" and not any(f["type"] == "ack" for f in frames):
                return frames  # a refused frame gets an error and nothing else

    async def next_frame(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame = await self._next(self.websocket, timeout)
        if frame["type"] == "session":  # a new token (identity checked, another tab): as the widget
            self.session = frame
        return frame

    async def close(self) -> None:
        await self.websocket.close()

    @staticmethod
    async def _next(websocket, timeout: float = TIMEOUT) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(websocket.recv(), timeout))


def bot_texts(frames: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for f in frames if f["type"] == "message"]
