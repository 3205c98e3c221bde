"""`/api/v1/events`: what the creditor's systems hear about, to read as a feed or replay."""

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select

from api.v1.calls import Caller, caller
from bot.creditor.events import payload
from bot.creditor.keys import Scope
from bot.creditor.webhooks import replay
from bot.db.audit import record
from bot.db.models import CreditorEvent

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", summary="Events after a given id, oldest first (a feed to poll besides the webhooks)")
async def list_events(
    after: int = Query(0, ge=0, le=2**62, description="the last event id you have"),
    limit: int = Query(100, ge=1, le=1000),
    who: Caller = Depends(caller(Scope.EVENTS)),
) -> dict[str, Any]:
    async with who.state.db.session() as session:
        events = (
            await session.scalars(
                select(CreditorEvent).where(CreditorEvent.id > after).order_by(CreditorEvent.id).limit(limit)
            )
        ).all()
    return {"events": [payload(e) for e in events], "next_after": events[-1].id if events else after}


@router.post("/{event_id}/replay", status_code=202, summary="Deliver an event to the webhook again")
async def replay_event(event_id: int, who: Caller = Depends(caller(Scope.EVENTS))) -> dict[str, Any]:
    if not 0 < event_id < 2**62:
        raise HTTPException(status_code=404, detail=f"no event {event_id}")
    async with who.state.db.transaction() as session:
        try:
            event = await replay(session, event_id)
        except LookupError:
            raise HTTPException(status_code=404, detail=f"no event {event_id}") from None
        record(session, who.actor, "event_replayed", details={"event": event_id})
        return {"id": event.id, "delivery": event.delivery.value}
