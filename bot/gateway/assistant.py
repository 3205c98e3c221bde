"""Talking to the Rasa servers over their REST channel: one pooled HTTP client per replica.

A conversation goes first to the replica a stable hash of its id names, which spreads the
conversations. With a tracker store every replica shares (PostgreSQL) and Rasa's Redis lock
store, any replica can take any turn: one that cannot be reached is passed over for the next,
so a replica going down loses nothing. With a store per replica (SQLite files) a conversation
must stay on its own replica and waits for it. Turn order is kept before Rasa, by the gateway's
hold on the conversation (bot.gateway.coordination).
"""

import zlib
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
    # What an action asks the gateway to do rather than say (an opt-out to record and confirm).
    custom: dict[str, Any] | None = None


class RasaClient:
    def __init__(
        self, base_urls: list[str], timeout_seconds: float, token: str = "", shared_trackers: bool = False
    ) -> None:
        self._replicas = [httpx.AsyncClient(base_url=url, timeout=timeout_seconds) for url in base_urls]
        self._token = token
        self.shared_trackers = shared_trackers

    def replica_for(self, sender_id: str) -> int:
        return zlib.crc32(sender_id.encode()) % len(self._replicas)

    async def _post(self, sender_id: str, path: str, **request: Any) -> httpx.Response:
        """POST to the conversation's replica, or, with shared trackers, to the next one that can
        be reached. A replica that times out is not passed over: it may still finish the turn."""
        first = self.replica_for(sender_id)
        tries = len(self._replicas) if self.shared_trackers else 1
        for n in range(tries):
            try:
                return await self._replicas[(first + n) % len(self._replicas)].post(path, **request)
            except httpx.TimeoutException:
                raise
            except httpx.TransportError:
                if n == tries - 1:
                    raise
        return None  # never reached: the last try returns or raises

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        try:
            response = await self._post(
                sender_id,
                "/webhooks/gateway/webhook",  # concord_nlu/gateway_channel.py: the token or nothing
                json={"sender": sender_id, "message": text, "metadata": metadata},
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.HTTPError as error:
            raise AssistantUnavailable(type(error).__name__, reachable=False) from error
        if response.status_code != 200:
            raise AssistantUnavailable(f"rasa answered {response.status_code}", reachable=True)
        return [
            BotReply(
                text=item.get("text", ""),
                buttons=[{"title": b["title"], "payload": b["payload"]} for b in item.get("buttons", [])],
                custom=item.get("custom") if isinstance(item.get("custom"), dict) else None,
            )
            for item in response.json()
            if item.get("text") or item.get("custom")
        ]

    async def intent(self, sender_id: str, text: str) -> str | None:
        """What the message asks, read by the model alone: no turn, nothing in the tracker.
        None when the assistant cannot say (it is down, or unsure)."""
        try:
            response = await self._post(
                sender_id, "/model/parse", params={"token": self._token}, json={"text": text}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        return (response.json().get("intent") or {}).get("name")

    async def pause(self, sender_id: str) -> None:
        """Silence the assistant in this conversation: a person has it (it still records messages)."""
        await self._append_events(sender_id, [{"event": "pause"}])

    async def resume(self, sender_id: str) -> None:
        """Give the conversation back. Without the `action_listen` after `resume`, Rasa's next
        prediction runs on a tracker that still ends in the paused turn and can pause again."""
        await self._append_events(
            sender_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        )

    async def forget_verification(self, sender_id: str) -> None:
        """The customer is asked who they are again before anything about an account."""
        await self._append_events(sender_id, [{"event": "slot", "name": "verified", "value": False}])

    async def forget_turn(self, sender_id: str) -> None:
        """Take back the customer's latest message and what the assistant did with it (Rasa's
        `rewind`), when the gateway did not let that turn stand. As with `resume`, without the
        `action_listen` after it Rasa predicts nothing for the next message."""
        await self._append_events(
            sender_id, [{"event": "rewind"}, {"event": "action", "name": "action_listen"}]
        )

    async def _append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        try:
            response = await self._post(
                sender_id,
                f"/conversations/{sender_id}/tracker/events",
                params={"token": self._token},
                json=events,
            )
        except httpx.HTTPError as error:
            raise AssistantUnavailable(type(error).__name__, reachable=False) from error
        if response.status_code != 200:
            raise AssistantUnavailable(f"rasa answered {response.status_code}", reachable=True)

    async def is_up(self) -> bool:
        """Every replica answers; with shared trackers, any one (the others' turns move to it)."""
        answers = [await _answers(http) for http in self._replicas]
        return any(answers) if self.shared_trackers else all(answers)

    async def close(self) -> None:
        for http in self._replicas:
            await http.aclose()


async def _answers(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/", timeout=2)).status_code == 200
    except httpx.HTTPError:
        return False
