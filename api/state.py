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
    console: ConsoleHub
    console_login_limit: RateLimitItem
    # Set when something was queued, so the outbox worker sends it now rather than at its next poll.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(self, conversation_id: str, messages: list[Message]) -> None:
        """Send stored messages: to open web chat tabs now, to other channels through the outbox."""
        await self.hub.deliver(conversation_id, messages)
        self.outbox_wakeup.set()


def app_state(request: Request) -> AppState:
    return request.app.state.concord


def ws_state(websocket: WebSocket) -> AppState:
    return websocket.app.state.concord
