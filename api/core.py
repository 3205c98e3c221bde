"""What every Concord process beside Rasa and the action server shares: the database, the
assistant's client, the gateway, the outbox and how processes tell each other things. Built once
per process, by the api's lifespan and by `python -m api.cli worker`."""

import asyncio
from dataclasses import dataclass, field

from bot.channels import build_channels, close_channels, senders
from bot.channels.base import Channel
from bot.config import ROOT, Settings
from bot.db.engine import Database
from bot.domain.policy import CreditorPolicy, load_policy
from bot.gateway.assistant import RasaClient
from bot.gateway.care import MoodRule
from bot.gateway.coordination import LocalCoordination, coordination_for
from bot.gateway.customer_state import Timing
from bot.gateway.intake import Gateway
from bot.gateway.outbox import Outbox
from bot.i18n import Catalog
from bot.understanding import sentiment, vulnerability
from bot.understanding.language import default_detector


class Wakeups:
    """Something was queued: `set()` wakes every outbox loop, each of which clears only its own."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def of(self, worker: str) -> asyncio.Event:
        return self._events.setdefault(worker, asyncio.Event())

    def set(self, _news: object = None) -> None:
        for event in self._events.values():
            event.set()


@dataclass
class Core:
    settings: Settings
    db: Database
    catalog: Catalog
    rasa: RasaClient
    gateway: Gateway
    outbox: Outbox
    creditor: CreditorPolicy
    # The configured channel adapters by name (bot.channels.build_channels).
    channels: dict[str, Channel]
    coordination: LocalCoordination
    # Set when "outbox" news arrives, so this process's outbox loops send now, not at their next poll.
    outbox_wakeup: Wakeups = field(default_factory=Wakeups)

    async def wake_outbox(self) -> None:
        """Something was queued: the outbox loops send it now, in whichever process they run."""
        await self.coordination.publish("outbox")

    async def close(self) -> None:
        await self.coordination.close()
        await close_channels(self.channels)
        await self.rasa.close()
        await self.db.close()


async def open_core(settings: Settings) -> Core:
    db = Database(settings.database_url)
    catalog = Catalog(settings.locales_dir, settings.default_language)
    rasa = RasaClient(
        settings.rasa_base_urls(),
        settings.rasa_timeout_seconds,
        settings.rasa_token,
        shared_trackers=settings.shared_trackers(),
    )
    # Trained from data/ in a second or two each; built before the first message arrives.
    detector = await asyncio.to_thread(default_detector)
    await asyncio.to_thread(sentiment.load)
    await asyncio.to_thread(vulnerability.load)
    channels = build_channels(settings)
    for channel in channels.values():
        if hasattr(channel, "open"):
            await channel.open()  # a provider that is down marks its channel down, nothing more
    coordination = coordination_for(settings.redis_url, settings.turn_stalled_seconds)
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
        coordination=coordination,
    )
    core = Core(
        settings=settings,
        db=db,
        catalog=catalog,
        rasa=rasa,
        gateway=gateway,
        outbox=Outbox(db, senders(channels), settings.outbox_backoff_seconds),
        creditor=creditor,
        channels=channels,
        coordination=coordination,
    )
    coordination.subscribe("outbox", core.outbox_wakeup.set)
    return core
