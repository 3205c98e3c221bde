"""API keys for the creditor's systems: random, shown once, kept only as a digest, scoped, revocable.

A key reads `ck_<key id>_<secret>`. The key id is public (it names the key in the audit log);
the secret is 32 random bytes, so a plain SHA-256 digest is enough to keep it (a password
hash's slowness guards low-entropy secrets, which these are not) and checking a call costs
microseconds.
"""

import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import ApiKey
from bot.db.protection import token_digest
from bot.db.types import utcnow


class Scope(StrEnum):
    ACCOUNTS = "accounts"  # place, update and recall accounts
    PAYMENTS = "payments"  # post and reverse payments
    EVENTS = "events"  # read and replay events
    REPORTS = "reports"  # exports


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once, never stored


async def issue(session: AsyncSession, name: str, scopes: list[Scope]) -> IssuedKey:
    if not name.strip():
        raise ValueError("a key needs a name saying which system holds it")
    if not scopes:
        raise ValueError("a key needs at least one scope")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        key_id=key_id,
        secret_digest=token_digest(secret),
        scopes=sorted({scope.value for scope in scopes}),
    )
    session.add(key)
    record(session, "admin", "api_key_issued", details={"key": key_id, "scopes": key.scopes})
    return IssuedKey(key, f"ck_{key_id}_{secret}")


async def revoke(session: AsyncSession, key_id: str) -> ApiKey:
    key = await session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if key is None:
        raise LookupError(f"no key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(session, "admin", "api_key_revoked", details={"key": key_id})
    return key


async def authenticate(session: AsyncSession, token: str) -> ApiKey | None:
    """The live key a bearer token names, or None (unknown, wrong secret, revoked)."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != "ck" or not key_id or not secret:
        return None
    key = await session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_digest, token_digest(secret)):
        return None
    return key


async def listed(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))
