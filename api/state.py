"""The long-lived objects one api process shares, built in the app's lifespan."""

from dataclasses import dataclass

from fastapi import Request, WebSocket

from api.chat_hub import ChatHub
from api.session_tokens import SessionTokens
from bot.config import Settings
from bot.db.engine import Database
from bot.gateway import Gateway
from bot.i18n import Catalog
from bot.rasa_client import RasaClient


@dataclass
class AppState:
    settings: Settings
    db: Database
    catalog: Catalog
    rasa: RasaClient
    gateway: Gateway
    tokens: SessionTokens
    hub: ChatHub


def app_state(request: Request) -> AppState:
    return request.app.state.concord


def ws_state(websocket: WebSocket) -> AppState:
    return websocket.app.state.concord
