"""Deep links that open a chat already knowing whose it is (Telegram's /start payload).

The link carries a random token, stored only as its hash: it cannot be forged, whatever the
deployment's secrets. It expires, and the first chat to open it owns it: pressing Start again
in that chat still works, the same link in any other chat names nobody. Possession, not
identity: the customer still verifies before anything about an account.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import DeepLink
from bot.db.protection import token_digest

# Telegram allows 1-64 characters of [A-Za-z0-9_-] in a /start payload; 32 random bytes fit.
_TOKEN_BYTES = 32


async def create_link(
    session: AsyncSession, customer_id: int, channel: str, lifetime: timedelta, now: datetime
) -> str:
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    session.add(
        DeepLink(
            token_hash=token_digest(token),
            customer_id=customer_id,
            channel=channel,
            expires_at=now + lifetime,
        )
    )
    record(session, "creditor", "deep_link_created", customer_id=customer_id, details={"channel": channel})
    return token


async def customer_for_link(
    session: AsyncSession, token: str, channel: str, chat: str, now: datetime
) -> int | None:
    """The customer the link names, for this chat; None when it is unknown, expired, for
    another channel, or already opened by another chat."""
    link = await session.scalar(
        select(DeepLink).where(DeepLink.token_hash == token_digest(token)).with_for_update()
    )
    if link is None or link.channel != channel or link.expires_at <= now:
        return None
    if link.used_by is None:
        link.used_by, link.used_at = chat, now
        record(
            session, "customer", "deep_link_used", customer_id=link.customer_id, details={"channel": channel}
        )
    elif link.used_by != chat:
        record(
            session,
            "customer",
            "deep_link_refused",
            customer_id=link.customer_id,
            details={"channel": channel},
        )
        return None
    return link.customer_id
