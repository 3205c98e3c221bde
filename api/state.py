"""The long-lived objects one api process shares, built in the app's lifespan."""

from dataclasses import dataclass

from fastapi import Request, WebSocket
from limits import RateLimitItem
from limits.aio.strategies import RateLimiter

from api.chat_hub import ChatHub
from api.console_hub import ConsoleHub
from api.core import Core
from api.session_tokens import SessionTokens


@dataclass
class AppState:
    core: Core
    tokens: SessionTokens
    hub: ChatHub
    # Frames one web-chat conversation may send, counted wherever `rate_limit_storage` says.
    rate_limiter: RateLimiter
    webchat_limit: RateLimitItem
    webchat_new_limit: RateLimitItem  # new conversations per address
    console: ConsoleHub
    console_login_limit: RateLimitItem  # per username and address
    console_address_limit: RateLimitItem  # per address

    def __getattr__(self, name: str):
        # What every process shares: settings, db, catalog, rasa, gateway, outbox, creditor,
        # channels, coordination, wake_outbox.
        return getattr(self.core, name)


def app_state(request: Request) -> AppState:
    return request.app.state.concord


def ws_state(websocket: WebSocket) -> AppState:
    return websocket.app.state.concord
