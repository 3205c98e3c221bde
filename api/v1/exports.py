"""`/api/v1/exports`: CSV for the creditor's system of record."""

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from api.v1.calls import Caller, caller
from bot.creditor.exports import csv_rows
from bot.creditor.keys import Scope

router = APIRouter(prefix="/exports", tags=["exports"])


@router.get(
    "/{name}.csv",
    summary="arrangements, outcomes (one row per account) or contacts (the contact ledger) as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export(
    name: Literal["arrangements", "outcomes", "contacts"],
    since: AwareDatetime | None = Query(None, description="from this moment (with its UTC offset)"),
    until: AwareDatetime | None = Query(None, description="up to, not including, this moment"),
    who: Caller = Depends(caller(Scope.REPORTS)),
) -> StreamingResponse:
    db = who.state.db

    async def body():
        async with db.session() as session:
            async for chunk in csv_rows(session, name, since, until):
                yield chunk

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
