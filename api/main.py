"""The api process: builds the shared objects once and mounts the routes."""

import asyncio
import logging
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from limits import parse as parse_limit
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api import log_redaction
from api.chat_hub import ChatHub
from api.console_hub import ConsoleHub
from api.routes import card_payments, console, health, nlg, pages, telegram, twilio_sms, webchat
from api.session_tokens import SessionTokens
from api.state import AppState
from api.v1 import router as creditor_api
from bot.channels import build_channels, close_channels, senders
from bot.config import ROOT, Settings, get_settings
from bot.creditor.webhooks import Webhooks
from bot.db.engine import Database
from bot.db.types import utcnow
from bot.domain.payments import mark_missed
from bot.domain.policy import load_policy
from bot.gateway.assistant import RasaClient
from bot.gateway.care import MoodRule
from bot.gateway.customer_state import Timing
from bot.gateway.intake import Gateway
from bot.gateway.outbox import Outbox
from bot.i18n import Catalog
from bot.outreach.scheduler import Scheduler
from bot.understanding import sentiment, vulnerability
from bot.understanding.language import default_detector

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    log_redaction.install()
    if weak := settings.weak_secrets():  # uvicorn started by hand gets the same refusal as `make run`
        raise RuntimeError(f"default or short secrets while reachable beyond this machine: {', '.join(weak)}")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.database_url)
        catalog = Catalog(settings.locales_dir, settings.default_language)
        rasa = RasaClient(settings.rasa_base_urls(), settings.rasa_timeout_seconds, settings.rasa_token)
        hub = ChatHub(db)
        # Trained from data/ in a second or two each; built before the first message arrives.
        detector = await asyncio.to_thread(default_detector)
        await asyncio.to_thread(sentiment.load)
        await asyncio.to_thread(vulnerability.load)
        channels = build_channels(settings)
        for channel in channels.values():
            if hasattr(channel, "open"):
                await channel.open()  # a provider that is down marks its channel down, nothing more
        console_hub = ConsoleHub()
        creditor = load_policy(ROOT / "creditor.yml")
        gateway = Gateway(
            db,
            rasa,
            catalog,
            settings.max_message_chars,
            detector,
            policy=creditor,
            mood=MoodRule(settings.handoff_mood_threshold, settings.handoff_mood_messages),
            channels=channels,
            timing=Timing.from_settings(settings),
        )
        gateway.listeners.append(console_hub.changed)
        state = AppState(
            settings=settings,
            db=db,
            catalog=catalog,
            rasa=rasa,
            gateway=gateway,
            tokens=SessionTokens(settings.secret_key, settings.webchat_session_days * 86_400),
            hub=hub,
            outbox=Outbox(db, senders(channels), settings.outbox_backoff_seconds),
            creditor=creditor,
            channels=channels,
            rate_limiter=MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage)),
            webchat_limit=parse_limit(settings.webchat_rate_limit),
            webchat_new_limit=parse_limit(settings.webchat_new_conversation_limit),
            console=console_hub,
            console_login_limit=parse_limit(settings.console_login_limit),
            console_address_limit=parse_limit(settings.console_login_address_limit),
        )
        app.state.concord = state
        workers = [
            asyncio.create_task(_answer_pending_forever(state)),
            *(asyncio.create_task(_deliver_forever(state, channel)) for channel in state.outbox.senders),
        ]
        if settings.outreach_channels and settings.outreach_in_api:
            scheduler = Scheduler(
                db,
                creditor,
                gateway.replies,
                state.outbox.senders,
                settings.outreach_channels,
                settings.twilio_whatsapp_templates,
                on_sent=state.outbox_wakeup.set,
            )
            workers.append(asyncio.create_task(scheduler.run_forever(settings.outreach_poll_seconds)))
        workers.append(asyncio.create_task(_mark_missed_forever(state)))
        webhooks = None
        if settings.webhook_url:
            webhooks = Webhooks(
                db, settings.webhook_url, settings.webhook_secret, settings.outbox_backoff_seconds
            )
            workers.append(asyncio.create_task(_deliver_events_forever(state, webhooks)))
        yield
        for worker in workers:
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker
        await close_channels(channels)
        if webhooks is not None:
            await webhooks.close()
        await rasa.close()
        await db.close()

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


async def _answer_pending_forever(state: AppState) -> None:
    """Messages that arrived while the assistant was down are answered once it is back."""
    while True:
        await asyncio.sleep(state.settings.pending_retry_seconds)
        try:
            for conversation_id in await state.gateway.answer_pending():
                await state.hub.deliver(conversation_id)
            state.outbox_wakeup.set()
        except Exception:
            log.exception("answering pending messages failed; will try again")


async def _mark_missed_forever(state: AppState) -> None:
    """Instalments whose day has passed unpaid become missed (and the creditor hears of it)."""
    while True:
        try:
            async with state.db.transaction() as session:
                await mark_missed(session, utcnow(), state.creditor.arrangements)
        except Exception:
            log.exception("looking for missed instalments failed; will try again")
        await asyncio.sleep(state.settings.missed_sweep_seconds)


async def _deliver_events_forever(state: AppState, webhooks: Webhooks) -> None:
    while True:
        try:
            await webhooks.deliver_due()
        except Exception:
            log.exception("delivering events to the creditor failed; will try again")
        await asyncio.sleep(state.settings.outbox_poll_seconds)


async def _deliver_forever(state: AppState, channel: str) -> None:
    """Send one channel's queued messages as soon as they are queued, and retries when they fall
    due; a provider that hangs holds up only its own channel."""
    wakeup = state.outbox_wakeup.of(channel)
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=state.settings.outbox_poll_seconds)
        wakeup.clear()
        try:
            await state.outbox.deliver_due(channel=channel)
        except Exception:
            log.exception("delivering queued %s messages failed; will try again", channel)


app = create_app()
