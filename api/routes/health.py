"""`/healthz`: is the database answering, and are Rasa and the action server up."""

import httpx
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.state import AppState, app_state

router = APIRouter()


@router.get("/healthz")
async def healthz(state: AppState = Depends(app_state)) -> JSONResponse:
    checks = {
        "database": await _database_ok(state),
        "rasa": await state.rasa.is_up(),
        "actions": await _actions_ok(state.settings.actions_base_url()),
    }
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "degraded"} | {k: "ok" if v else "down" for k, v in checks.items()}
    return JSONResponse(body, status_code=200 if healthy else 503)


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
