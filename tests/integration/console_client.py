"""An agent at the console, through its real HTTP API and live WebSocket, as the page uses them."""

import asyncio
import json
from typing import Any

import httpx
import websockets

from bot.people.agents import create_agent

PASSWORD = "correct horse battery staple"


async def add_agent(stack, username: str, languages: list[str], role: str = "agent") -> None:
    database = stack.database()
    try:
        async with database.transaction() as session:
            await create_agent(session, username, username.title(), PASSWORD, role, languages)
    finally:
        await database.close()


class Console:
    def __init__(self, stack) -> None:
        self.stack = stack
        # A browser sends the page's origin with every change; the console refuses other origins.
        self.http = httpx.AsyncClient(base_url=stack.api_url, headers={"Origin": stack.api_url}, timeout=30)
        self.csrf = ""
        self.live = None

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.http.post("/console/login", json={"username": username, "password": password})
        if response.status_code == 200:
            self.csrf = response.json()["csrf"]
        return response

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def connect(self) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        url = self.stack.api_url.replace("http://", "ws://") + "/console/ws"
        self.live = await websockets.connect(
            url, origin=self.stack.api_url, additional_headers={"Cookie": cookie}
        )

    async def watch(self, conversation_id: str, after: int = 0) -> None:
        await self.live.send(json.dumps({"watch": conversation_id, "after": after}))

    async def frame_where(self, done, timeout: float = 30) -> dict[str, Any]:
        """The next live frame for which `done(frame)` holds."""
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.live.recv())
                if done(frame):
                    return frame

    async def close(self) -> None:
        if self.live is not None:
            await self.live.close()
        await self.http.aclose()
