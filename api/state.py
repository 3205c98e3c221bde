"""The long-lived objects one api process shares, built in the app's lifespan."""

import asyncio
from dataclasses import dataclass, field

from fastapi import Request, WebSocket
from limits import RateLimitItem
from limits.aio.strategies import RateLimiter

from api.chat_hub import ChatHub
from api.console_hub import ConsoleHub
from api.session_tokens import SessionTokens
from bot.channels.base import Channel
from bot.config import Settings
from bot.db.engine import Database
from bot.db.models import Message
from bot.domain.policy import CreditorPolicy
from bot.gateway.assistant import RasaClient
from bot.gateway.intake import Gateway
from bot.gateway.outbox import Outbox
from bot.i18n import Catalog


class Wakeups:
    """Something was queued: `set()` wakes every outbox worker, each of which clears only its own."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def of(self, worker: str) -> asyncio.Event:
        return self._events.setdefault(worker, asyncio.Event())

    def set(self) -> None:
        for event in self._events.values():
            event.set()


@dataclass
class AppState:
    settings: Settings
    db: Database
    catalog: Catalog
    rasa: RasaClient
    gateway: Gateway
    tokens: SessionTokens
    hub: ChatHub
    outbox: Outbox
    creditor: CreditorPolicy
    # The configured channel adapters by name (bot.channels.build_channels).
    channels: dict[str, Channel]
    # Frames one web-chat conversation may send, counted wherever `rate_limit_storage` says.
    rate_limiter: RateLimiter
    webchat_limit: RateLimitItem
    webchat_new_limit: RateLimitItem  # new conversations per address
    console: ConsoleHub
    console_login_limit: RateLimitItem  # per username and address
    console_address_limit: RateLimitItem  # per address
    # Set when something was queued, so the outbox workers send it now rather than at their next poll.
    outbox_wakeup: Wakeups = field(default_factory=Wakeups)

    async def deliver(self, conversation_id: str, messages: list[Message]) -> None:
        """Send stored messages: to open web chat tabs now, to other channels through the outbox."""
        await self.hub.deliver(conversation_id)
        self.outbox_wakeup.set()


def app_state(request: Request) -> AppState:
    return request.app.state.concord


def ws_state(websocket: WebSocket) -> AppState:
    return websocket.app.state.concord
