"""The api process: builds the shared objects once and mounts the routes."""

import asyncio
import logging
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.chat_hub import ChatHub
from api.routes import health, nlg, pages, webchat
from api.session_tokens import SessionTokens
from api.state import AppState
from bot.config import Settings, get_settings
from bot.db.engine import Database
from bot.gateway import Gateway
from bot.i18n import Catalog
from bot.rasa_client import RasaClient

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.database_url)
        catalog = Catalog(settings.locales_dir, settings.default_language)
        rasa = RasaClient(settings.rasa_base_url(), settings.rasa_timeout_seconds)
        hub = ChatHub(db)
        state = AppState(
            settings=settings,
            db=db,
            catalog=catalog,
            rasa=rasa,
            gateway=Gateway(db, rasa, catalog, settings.max_message_chars),
            tokens=SessionTokens(settings.secret_key),
            hub=hub,
        )
        app.state.concord = state
        retry = asyncio.create_task(_answer_pending_forever(state))
        yield
        retry.cancel()
        with suppress(asyncio.CancelledError):
            await retry
        await rasa.close()
        await db.close()

    app = FastAPI(title="Concord", lifespan=lifespan)
    for module in (health, nlg, pages, webchat):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app


async def _answer_pending_forever(state: AppState) -> None:
    """Messages that arrived while the assistant was down are answered once it is back."""
    while True:
        await asyncio.sleep(state.settings.pending_retry_seconds)
        try:
            for conversation_id, replies in (await state.gateway.answer_pending()).items():
                await state.hub.deliver(conversation_id, replies)
        except Exception:
            log.exception("answering pending messages failed; will try again")


app = create_app()
