"""Who is calling `/api/v1`, with which scope, and writes that a repeat cannot apply twice."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState, app_state
from bot.creditor.idempotency import KeyReused, recall, remember, request_digest
from bot.creditor.keys import Scope, authenticate
from bot.db.audit import record
from bot.db.types import utcnow


@dataclass(frozen=True)
class Caller:
    key_id: int
    name: str  # the key's public id, as the audit log names the caller
    state: AppState

    @property
    def actor(self) -> str:
        return f"api:{self.name}"


def caller(scope: Scope) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the calling key, which must hold `scope`. Every call is audited, refused ones too."""

    async def authenticated(request: Request, state: AppState = Depends(app_state)) -> Caller:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        async with state.db.transaction() as session:
            key = await authenticate(session, token.strip()) if scheme.lower() == "bearer" else None
            allowed = key is not None and scope.value in key.scopes
            record(
                session,
                f"api:{key.key_id}" if key else "api:unknown",
                "api_call",
                details={"method": request.method, "path": request.url.path, "allowed": allowed},
            )
            if key is not None:
                key.last_used_at = utcnow()
                found = Caller(key.id, key.key_id, state)
        if key is None:
            raise HTTPException(
                status_code=401,
                detail="an API key is needed: Authorization: Bearer ck_…",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not allowed:
            raise HTTPException(status_code=403, detail=f"this key does not hold the {scope.value} scope")
        return found

    return authenticated


Apply = Callable[[AsyncSession], Awaitable[tuple[int, Any]]]


async def idempotent_write(request: Request, who: Caller, apply: Apply) -> JSONResponse:
    """Run `apply` in one transaction; with an `Idempotency-Key`, a repeat returns the first answer."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 128:
        raise HTTPException(status_code=400, detail="Idempotency-Key: 1 to 128 characters")
    digest = request_digest(request.method, request.url.path, await request.body())
    db = who.state.db
    if key is not None:
        replayed = await _replayed(db, who, key, digest)
        if replayed is not None:
            return replayed
    try:
        async with db.transaction() as session:
            status_code, response = await apply(session)
            if key is not None and 200 <= status_code < 300:
                remember(session, who.key_id, key, digest, status_code, response)
    except IntegrityError:
        # Another request with the same key won the race: its change stands, ours rolled back.
        replayed = await _replayed(db, who, key, digest) if key is not None else None
        if replayed is None:
            raise HTTPException(
                status_code=409, detail="a conflicting change was made at the same moment; try again"
            ) from None
        return replayed
    return JSONResponse(response, status_code=status_code)


async def _replayed(db, who: Caller, key: str, digest: str) -> JSONResponse | None:
    async with db.session() as session:
        try:
            earlier = await recall(session, who.key_id, key, digest)
        except KeyReused as reused:
            raise HTTPException(status_code=422, detail=str(reused)) from None
    if earlier is None:
        return None
    return JSONResponse(
        earlier.response, status_code=earlier.status_code, headers={"Idempotent-Replayed": "true"}
    )
