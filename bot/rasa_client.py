"""Talking to the Rasa server over its REST channel: one pooled HTTP client per process."""

from dataclasses import dataclass, field
from typing import Any

import httpx


class AssistantUnavailable(Exception):
    """Rasa (or the action server behind it) could not answer; the message must wait.

    `reachable` tells an error answer from a live server (which may recur for this very
    message) from a server that is down (which says nothing about the message).
    """

    def __init__(self, reason: str, reachable: bool) -> None:
        super().__init__(reason)
        self.reachable = reachable


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds)

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        try:
            response = await self._http.post(
                "/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
        except httpx.HTTPError as error:
            raise AssistantUnavailable(type(error).__name__, reachable=False) from error
        if response.status_code != 200:
            raise AssistantUnavailable(f"rasa answered {response.status_code}", reachable=True)
        return [
            BotReply(
                text=item.get("text", ""),
                buttons=[{"title": b["title"], "payload": b["payload"]} for b in item.get("buttons", [])],
            )
            for item in response.json()
            if item.get("text")
        ]

    async def is_up(self) -> bool:
        try:
            return (await self._http.get("/", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._http.aclose()
