"""Idempotency keys: a request repeated with the same key gets the first answer and changes nothing.

The answer is stored in the transaction that made the change, so a change and its answer are
kept or lost together; two requests racing with one key meet the unique constraint and the
loser's change is rolled back. Only successes are kept: a rejected request stored nothing, and
repeating it is rejected again for the same reasons.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import IdempotentRequest


class KeyReused(ValueError):
    """The key was used before for a different request."""


@dataclass(frozen=True)
class Remembered:
    status_code: int
    response: Any


def request_digest(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


async def recall(session: AsyncSession, api_key_id: int, key: str, digest: str) -> Remembered | None:
    earlier = await session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.api_key_id == api_key_id, IdempotentRequest.key == key
        )
    )
    if earlier is None:
        return None
    if earlier.request_digest != digest:
        raise KeyReused("this Idempotency-Key was used for a different request")
    return Remembered(earlier.status_code, earlier.response)


def remember(
    session: AsyncSession, api_key_id: int, key: str, digest: str, status_code: int, response: Any
) -> None:
    session.add(
        IdempotentRequest(
            api_key_id=api_key_id, key=key, request_digest=digest, status_code=status_code, response=response
        )
    )
