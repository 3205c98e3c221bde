"""Concord's settings: one object, read once from `CONCORD_*` environment variables."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


# Channels on which the assistant may start a conversation (bot.outreach).
OUTREACH_CHANNELS = ("sms", "whatsapp", "telegram")


class Settings(BaseSettings):
    """Everything configurable; see `.env.example` for the documented list."""

    model_config = SettingsConfigDict(env_prefix="CONCORD_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'concord.db'}"
    locales_dir: Path = ROOT / "locales"
    default_language: str = "en"

    host: str = "127.0.0.1"  # where the api listens: customers, providers and agents reach it
    # Where Rasa and the action server listen, reached only by the api and by each other.
    internal_host: str = "127.0.0.1"
    api_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    rasa_url: str = ""
    actions_url: str = ""
    public_url: str = ""
    # The interactive API docs (/docs, /openapi.json): off unless a deployer wants them.
    api_docs: bool = False
    rasa_token: str = "change-me-rasa-token"
    # Sent by Rasa to the action server and to the api's /nlg, and checked there: nothing
    # internal answers a caller without it.
    internal_token: str = "change-me-internal-token"
    # Rasa processes behind the gateway, each on its own port from rasa_port up (bot.gateway.assistant).
    # One Rasa process uses one core at most.
    rasa_replicas: int = Field(default=1, ge=1, le=8)
    # api processes `make run` starts on api_port (uvicorn's workers): more than one needs redis_url.
    api_workers: int = Field(default=1, ge=1, le=32)
    # Processes running the loops beside the web (api.background: outbox, waiting messages,
    # missed instalments, webhooks, outreach); 0: the api process runs them itself.
    workers: int = Field(default=0, ge=0, le=32)
    # Redis, shared by every process: a turn at a time per conversation, news between processes
    # (bot.gateway.coordination), and Rasa's lock store. Empty: one process, all in memory.
    redis_url: str = ""
    rasa_timeout_seconds: float = 15.0
    # A message still being answered after this long was left by a process that died; another
    # answers it. Longer than any turn can take (Rasa's timeout and the actions behind it).
    turn_stalled_seconds: float = Field(default=60, gt=0)

    # Rasa's tracker store (SQLAlchemy 1.4 URL, read by Rasa): its own SQLite file by default,
    # so two processes never write one file; the same PostgreSQL server at scale.
    tracker_url: str = f"sqlite:///{ROOT / 'var' / 'rasa_tracker.db'}"

    secret_key: str = "change-me-in-production"
    # Fernet keys (`python -m api.cli new-data-key`) for personal data at rest, newest first;
    # older ones stay listed until `python -m api.cli rotate-keys` (bot.db.protection).
    data_keys: list[str] = []
    max_message_chars: int = Field(default=1000, ge=1)
    max_frame_bytes: int = Field(default=16_384, ge=256)
    # Web chat: pages (scheme://host[:port]) allowed to embed the widget besides the api's own,
    # how long a browser may resume its conversation, and how many frames a conversation may send.
    widget_origins: list[str] = []
    webchat_session_days: int = Field(default=30, ge=1)
    webchat_rate_limit: str = "20/minute"
    # New web-chat conversations one address may open.
    webchat_new_conversation_limit: str = "10/minute"
    # Where rate-limit counters live (limits' storage URI): empty means in Redis when redis_url is
    # set (every api worker counts together), else in this process.
    rate_limit_storage: str = ""
    pending_retry_seconds: float = Field(default=5.0, gt=0)

    # Twilio (SMS). Without an auth token the SMS channel is off.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_sms_from: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    # WhatsApp through the same Twilio account; off without a sender number.
    twilio_whatsapp_from: str = ""
    # The approved template (Content SID) for messages outside WhatsApp's 24-hour window, one per
    # language: {"en": "HX…", "es": "HX…"}. A language without one gets nothing outside the window.
    twilio_whatsapp_templates: dict[str, str] = {}
    # Telegram. Without a bot token the Telegram channel is off.
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    # Card payments through Stripe Checkout (bot.creditor.card_payments): off without a secret key,
    # and then the chat's payment links go to the creditor's own page (creditor.yml).
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""  # the endpoint's signing secret (whsec_…): /stripe/webhook checks it
    stripe_api_url: str = "https://api.stripe.com"
    # Conversations quiet for longer than this are erased by `python -m api.cli purge`.
    retention_days: float = Field(default=730, gt=0)
    # How long a deep link (`python -m api.cli telegram-link`) stays good; the first chat to open it owns it.
    deep_link_days: float = Field(default=7, gt=0)

    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # The creditor's endpoint for events (bot.creditor.webhooks) and the secret they are signed
    # with; events are only stored (and readable at /api/v1/events) until a URL is set.
    webhook_url: str = ""
    webhook_secret: str = ""
    # How often instalments whose day has passed are looked for (missed, broken promises).
    missed_sweep_seconds: float = Field(default=300, gt=0)
    # Channels the assistant may start conversations on, in order of preference (sms, whatsapp,
    # telegram); none by default (README "Outreach": what to check before switching one on).
    outreach_channels: list[str] = []
    outreach_poll_seconds: float = Field(default=30, gt=0)
    outbox_backoff_seconds: list[float] = [2, 10, 30, 120, 600, 1800]

    # Hand a conversation to a person when the average mood of its latest messages (bot.understanding.sentiment,
    # −1…1) falls below this, once there are at least this many.
    handoff_mood_threshold: float = Field(default=-0.5, ge=-1, le=1)
    handoff_mood_messages: int = Field(default=3, ge=1)
    # A customer waiting for a person (or paused for care) is acknowledged at most this often.
    waiting_acknowledgement_minutes: float = Field(default=5, ge=0)
    # An unclaimed handoff older than this offers the customer to carry on with the assistant.
    handoff_self_service_minutes: float = Field(default=10, ge=0)
    # Agent console: how long a sign-in lasts; sign-in attempts allowed for one username from
    # one address, and from one address in all (never per username alone: an attacker
    # hammering a name from elsewhere must not lock its agent out).
    console_session_hours: float = Field(default=12, gt=0)
    console_login_limit: str = "10/minute"
    console_login_address_limit: str = "30/minute"

    verification_max_failures: int = Field(default=3, ge=1)
    verification_lock_minutes: int = Field(default=30, ge=1)
    verification_alert_failures: int = Field(default=5, ge=1)

    @field_validator("outreach_channels")
    @classmethod
    def _channels_that_can_speak_first(cls, channels: list[str]) -> list[str]:
        if unknown := [name for name in channels if name not in OUTREACH_CHANNELS]:
            raise ValueError(
                f"{', '.join(unknown)}: outreach goes by {', '.join(OUTREACH_CHANNELS)} only "
                "(nobody can be reached on the web chat before they open it)"
            )
        if len(set(channels)) != len(channels):
            raise ValueError("each channel once, in order of preference")
        return channels

    @model_validator(mode="after")
    def _processes_that_can_share(self) -> "Settings":
        if (self.api_workers > 1 or self.workers > 0) and not self.redis_url:
            raise ValueError(
                "several api workers, or workers apart from the api, share news and locks through "
                "Redis: set CONCORD_REDIS_URL"
            )
        return self

    def limit_storage(self) -> str:
        if self.rate_limit_storage:
            return self.rate_limit_storage
        return f"async+{self.redis_url}" if self.redis_url else "async+memory://"

    def shared_trackers(self) -> bool:
        """Every Rasa replica reads one tracker store, so any can take any turn."""
        return not self.tracker_url.startswith("sqlite")

    def rasa_base_url(self) -> str:
        return self.rasa_base_urls()[0]

    def rasa_base_urls(self) -> list[str]:
        """Every Rasa replica: `rasa_url` (comma-separated) when set, else ports from rasa_port up."""
        if self.rasa_url:
            return [url.strip() for url in self.rasa_url.split(",") if url.strip()]
        return [f"http://{self.internal_host}:{self.rasa_port + n}" for n in range(self.rasa_replicas)]

    def tracker_url_for(self, replica: int) -> str:
        """Replica n's tracker store: its own SQLite file (two processes never write one file),
        or the one shared server store (PostgreSQL)."""
        if replica == 0 or not self.tracker_url.startswith("sqlite"):
            return self.tracker_url
        stem, dot, suffix = self.tracker_url.rpartition(".")
        return f"{stem}_{replica}.{suffix}" if dot else f"{self.tracker_url}_{replica}"

    def actions_base_url(self) -> str:
        return self.actions_url or f"http://{self.internal_host}:{self.actions_port}"

    def api_base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.api_port}"

    def local_api_url(self) -> str:
        """The api as seen from this machine: behind a proxy, the public URL may not be."""
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        return f"http://{host}:{self.api_port}"

    def weak_secrets(self) -> list[str]:
        """The secrets left at their defaults (or shorter than 32 characters) while Concord is
        reachable beyond this machine: the variables to set before it may start."""
        hosts = [self.host, self.internal_host, urlsplit(self.api_base_url()).hostname or ""]
        if all(_loopback(host) for host in hosts):
            return []
        defaults = {name: field.default for name, field in type(self).model_fields.items()}
        weak = [
            f"CONCORD_{name.upper()}"
            for name in ("secret_key", "rasa_token", "internal_token")
            if getattr(self, name) == defaults[name] or len(getattr(self, name)) < 32
        ]
        if self.webhook_url and len(self.webhook_secret) < 32:
            weak.append("CONCORD_WEBHOOK_SECRET")
        return weak + ([] if self.data_keys else ["CONCORD_DATA_KEYS"])

    def allowed_origins(self) -> set[str]:
        """Origins whose pages may open the web chat: the api's own and the configured ones."""
        own = urlsplit(self.api_base_url())
        return {f"{own.scheme}://{own.netloc}", *(o.rstrip("/") for o in self.widget_origins)}


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@lru_cache
def get_settings() -> Settings:
    return Settings()
