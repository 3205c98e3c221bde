"""The loops beside the web: sending the outbox, answering messages that waited for the
assistant, marking missed instalments, the creditor's webhooks and outreach.

The api process runs them when `CONCORD_WORKERS` is 0 (the embedded default); otherwise
`python -m api.cli worker` processes do, as many as wanted: every loop claims its work with
leases and row locks, and a conversation's turn is held across processes (bot.gateway.coordination).
"""

import asyncio
import logging
from contextlib import suppress

from api.core import Core
from bot.creditor.webhooks import Webhooks
from bot.db.types import utcnow
from bot.domain.payments import mark_missed
from bot.outreach.scheduler import Scheduler

log = logging.getLogger(__name__)


def start_loops(core: Core) -> list[asyncio.Task]:
    settings = core.settings
    loops = [
        _answer_pending_forever(core),
        *(_deliver_forever(core, channel) for channel in core.outbox.senders),
        _mark_missed_forever(core),
    ]
    if settings.outreach_channels:
        scheduler = Scheduler(
            core.db,
            core.creditor,
            core.gateway.replies,
            core.outbox.senders,
            settings.outreach_channels,
            settings.twilio_whatsapp_templates,
            on_sent=core.outbox_wakeup.set,
        )
        loops.append(scheduler.run_forever(settings.outreach_poll_seconds))
    if settings.webhook_url:
        webhooks = Webhooks(
            core.db, settings.webhook_url, settings.webhook_secret, settings.outbox_backoff_seconds
        )
        loops.append(_deliver_events_forever(core, webhooks))
    return [asyncio.create_task(loop) for loop in loops]


async def stop_loops(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task


async def _answer_pending_forever(core: Core) -> None:
    """Messages that arrived while the assistant was down (or whose process died mid-turn) are
    answered once it is back; the gateway's news brings the replies to open tabs."""
    while True:
        await asyncio.sleep(core.settings.pending_retry_seconds)
        try:
            if await core.gateway.answer_pending():
                await core.wake_outbox()
        except Exception:
            log.exception("answering pending messages failed; will try again")


async def _mark_missed_forever(core: Core) -> None:
    """Instalments whose day has passed unpaid become missed (and the creditor hears of it)."""
    while True:
        try:
            async with core.db.transaction() as session:
                await mark_missed(session, utcnow(), core.creditor.arrangements)
        except Exception:
            log.exception("looking for missed instalments failed; will try again")
        await asyncio.sleep(core.settings.missed_sweep_seconds)


async def _deliver_events_forever(core: Core, webhooks: Webhooks) -> None:
    try:
        while True:
            try:
                await webhooks.deliver_due()
            except Exception:
                log.exception("delivering events to the creditor failed; will try again")
            await asyncio.sleep(core.settings.outbox_poll_seconds)
    finally:
        await webhooks.close()


async def _deliver_forever(core: Core, channel: str) -> None:
    """Send one channel's queued messages as soon as they are queued, and retries when they fall
    due; a provider that hangs holds up only its own channel."""
    wakeup = core.outbox_wakeup.of(channel)
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=core.settings.outbox_poll_seconds)
        wakeup.clear()
        try:
            await core.outbox.deliver_due(channel=channel)
        except Exception:
            log.exception("delivering queued %s messages failed; will try again", channel)


async def run_worker(core: Core) -> None:
    """`python -m api.cli worker`: the loops until the process is stopped."""
    await core.coordination.start()
    tasks = start_loops(core)
    try:
        await asyncio.gather(*tasks)
    finally:
        await stop_loops(tasks)
        await core.close()
