"""The api process: builds the shared objects once and mounts the routes."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from limits import parse as parse_limit
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api import log_redaction
from api.background import start_loops, stop_loops
from api.chat_hub import ChatHub
from api.console_hub import ConsoleHub
from api.core import open_core
from api.routes import card_payments, console, health, nlg, pages, telegram, twilio_sms, webchat
from api.session_tokens import SessionTokens
from api.state import AppState
from api.v1 import router as creditor_api
from bot.config import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    log_redaction.install()
    if weak := settings.weak_secrets():  # uvicorn started by hand gets the same refusal as `make run`
        raise RuntimeError(f"default or short secrets while reachable beyond this machine: {', '.join(weak)}")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        core = await open_core(settings)
        hub, console_hub = ChatHub(core.db), ConsoleHub()
        # News from any process (bot.gateway.coordination) reaches the tabs this one holds.
        core.coordination.subscribe("conversation", lambda news: console_hub.changed(news["id"]))
        core.coordination.subscribe("conversation", lambda news: hub.deliver(news["id"]))
        core.coordination.subscribe("announce", lambda news: hub.announce(news["id"], news["frame"]))
        core.coordination.subscribe("signed_out", lambda news: console_hub.signed_out(news["agent"]))
        await core.coordination.start()
        app.state.concord = AppState(
            core=core,
            tokens=SessionTokens(settings.secret_key, settings.webchat_session_days * 86_400),
            hub=hub,
            rate_limiter=MovingWindowRateLimiter(_limit_storage(settings.limit_storage())),
            webchat_limit=parse_limit(settings.webchat_rate_limit),
            webchat_new_limit=parse_limit(settings.webchat_new_conversation_limit),
            console=console_hub,
            console_login_limit=parse_limit(settings.console_login_limit),
            console_address_limit=parse_limit(settings.console_login_address_limit),
        )
        loops = start_loops(core) if settings.workers == 0 else []
        yield
        await stop_loops(loops)
        await core.close()

    docs = settings.api_docs
    app = FastAPI(
        title="Concord",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    for module in (card_payments, console, health, nlg, pages, telegram, twilio_sms, webchat):
        app.include_router(module.router)
    app.include_router(creditor_api)
    app.middleware("http")(security_headers)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    # The widget on a creditor's page reads its wording from /widget/config across origins.
    app.add_middleware(
        CORSMiddleware, allow_origins=sorted(settings.allowed_origins()), allow_methods=["GET"]
    )
    return app


# Every page loads its code and styles from this origin only and may not be framed elsewhere;
# the widget runs in the creditor's page under the creditor's own policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def security_headers(request, call_next):
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _limit_storage(uri: str):
    """Rate-limit counters: in this process, or in Redis (through redis-py, which is installed,
    rather than limits' default coredis) so every api worker counts together."""
    if uri.startswith("async+redis"):
        return storage_from_string(uri, implementation="redispy")
    return storage_from_string(uri)


app = create_app()
