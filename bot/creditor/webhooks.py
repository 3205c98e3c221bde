"""Events out: each stored event is POSTed to the creditor's webhook, signed, retried with backoff.

The protocol is the outbox's: a worker claims due events with a lease (`FOR UPDATE SKIP LOCKED`
and a compare-and-set, so two workers never send one event at once, and a crash frees it when
the lease ends), sends, and records the attempt. A 2xx is delivered; anything else is tried
again after the next backoff step, and after the last step the event is failed until a
person replays it from the console. The creditor may receive an event twice (a crash between
its 2xx and our commit); the event `id` lets it ignore a repeat.

Signature: header `Concord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
under the shared secret; a receiver recomputes it and refuses a timestamp older than a few
minutes, so a captured request cannot be replayed later.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.creditor.events import payload
from bot.db.engine import Database
from bot.db.models import CreditorEvent, DeliveryStatus, WebhookAttempt
from bot.db.types import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
SIGNATURE_HEADER = "Concord-Signature"


def sign(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (and the tests do): the signature matches and is recent."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, body, at).split("v1=", 1)[1]
    return abs(now - at) <= tolerance and hmac.compare_digest(expected, parts.get("v1", ""))


class Webhooks:
    """Delivers stored events to one URL; off (events only stored) without a URL and secret."""

    def __init__(
        self, db: Database, url: str, secret: str, backoff_seconds: list[float], timeout: float = 10.0
    ) -> None:
        self.db, self.url, self.secret = db, url, secret
        self.backoff = [timedelta(seconds=s) for s in backoff_seconds]
        self.client = httpx.AsyncClient(timeout=timeout)

    async def deliver_due(self, limit: int = 50) -> int:
        """Send every event that is due; returns how many the creditor accepted."""
        delivered = 0
        for event_id, body in await self._claim(utcnow(), limit):
            status, error = await self._post(body)
            await self._record(event_id, status, error)
            delivered += status is not None and 200 <= status < 300
        return delivered

    async def close(self) -> None:
        await self.client.aclose()

    async def _claim(self, now: datetime, limit: int) -> list[tuple[int, bytes]]:
        async with self.db.transaction() as session:
            events = await session.scalars(
                select(CreditorEvent)
                .where(
                    CreditorEvent.delivery == DeliveryStatus.PENDING,
                    CreditorEvent.next_attempt_at <= now,
                    or_(CreditorEvent.claimed_until.is_(None), CreditorEvent.claimed_until < now),
                )
                .order_by(CreditorEvent.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for event in events.all():
                taken = await session.execute(
                    update(CreditorEvent)
                    .where(
                        CreditorEvent.id == event.id,
                        CreditorEvent.delivery == DeliveryStatus.PENDING,
                        or_(CreditorEvent.claimed_until.is_(None), CreditorEvent.claimed_until < now),
                    )
                    .values(claimed_until=now + LEASE)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:
                    claimed.append((event.id, json.dumps(payload(event), separators=(",", ":")).encode()))
            return claimed

    async def _post(self, body: bytes) -> tuple[int | None, str | None]:
        at = int(utcnow().timestamp())
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, body, at)}
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return None, type(error).__name__
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

    async def _record(self, event_id: int, status: int | None, error: str | None) -> None:
        now = utcnow()
        async with self.db.transaction() as session:
            event = await session.get(CreditorEvent, event_id)
            session.add(WebhookAttempt(event_id=event_id, at=now, status_code=status, error=error))
            event.attempts += 1
            event.claimed_until = None
            if error is None:
                event.delivery, event.delivered_at = DeliveryStatus.DELIVERED, now
            elif event.attempts > len(self.backoff):
                event.delivery = DeliveryStatus.FAILED
                log.warning("webhook event %s failed after %s attempts", event_id, event.attempts)
            else:
                event.next_attempt_at = now + self.backoff[event.attempts - 1]


@dataclass(frozen=True)
class Delivery:
    """One event as the console's delivery log shows it."""

    event_id: int
    kind: str
    account: str | None
    occurred_at: datetime
    delivery: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None


async def delivery_log(session: AsyncSession, limit: int = 100, only_failed: bool = False) -> list[Delivery]:
    """The latest events with their delivery state and the outcome of their last attempt."""
    last = (
        select(WebhookAttempt.status_code, WebhookAttempt.error)
        .where(WebhookAttempt.event_id == CreditorEvent.id)
        .order_by(WebhookAttempt.id.desc())
        .limit(1)
    )
    query = select(
        CreditorEvent,
        last.with_only_columns(WebhookAttempt.status_code).scalar_subquery(),
        last.with_only_columns(WebhookAttempt.error).scalar_subquery(),
    ).order_by(CreditorEvent.id.desc())
    if only_failed:
        query = query.where(CreditorEvent.delivery == DeliveryStatus.FAILED)
    rows = await session.execute(query.limit(limit))
    return [
        Delivery(
            event.id,
            event.kind.value,
            event.data.get("account"),
            event.occurred_at,
            event.delivery.value,
            event.attempts,
            status,
            error,
            event.next_attempt_at if event.delivery == DeliveryStatus.PENDING else None,
        )
        for event, status, error in rows
    ]


async def replay(session: AsyncSession, event_id: int) -> CreditorEvent:
    """Send an event again now (failed, or delivered and lost on the creditor's side)."""
    event = await session.get(CreditorEvent, event_id)
    if event is None:
        raise LookupError("no such event")
    event.delivery, event.next_attempt_at, event.claimed_until = DeliveryStatus.PENDING, utcnow(), None
    event.attempts = 0
    return event
