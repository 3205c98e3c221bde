"""`/healthz`: is the database answering, are Rasa and the action server up, and does each
provider that can be asked (Telegram) answer.

The status code is the core's (what `make run` waits for): a provider's outage makes the status
"degraded" with a 200, since every other channel still works.

`/readyz`: can this process take messages, i.e. does the database answer. What a load balancer
routes on: while Rasa is down, messages are stored and answered when it is back, so an api
process must stay in service rather than have providers' webhooks refused."""

import httpx
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.state import AppState, app_state

router = APIRouter()


@router.get("/healthz")
async def healthz(state: AppState = Depends(app_state)) -> JSONResponse:
    core = {
        "database": await _database_ok(state),
        "rasa": await state.rasa.is_up(),
        "actions": await _actions_ok(state.settings.actions_base_url()),
    }
    providers = {
        name: await channel.is_up() for name, channel in state.channels.items() if hasattr(channel, "is_up")
    }
    checks = core | providers
    body = {"status": "ok" if all(checks.values()) else "degraded"}
    body |= {k: "ok" if v else "down" for k, v in checks.items()}
    return JSONResponse(body, status_code=200 if all(core.values()) else 503)


@router.get("/readyz")
async def readyz(state: AppState = Depends(app_state)) -> JSONResponse:
    ready = await _database_ok(state)
    return JSONResponse({"database": "ok" if ready else "down"}, status_code=200 if ready else 503)


async def _database_ok(state: AppState) -> bool:
    try:
        async with state.db.session() as session:
            await session.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def _actions_ok(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"{base_url}/health")).status_code == 200
    except httpx.HTTPError:
        return False
