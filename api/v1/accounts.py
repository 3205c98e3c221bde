"""`/api/v1/accounts`: place accounts (JSON, CSV, JSON lines), read, update, recall."""

import csv
import io
import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.calls import Caller, caller, idempotent_write
from api.v1.views import account_view
from bot.creditor.keys import Scope
from bot.creditor.placement import AccountRow, BatchRejected, place, read_rows, status_for
from bot.db.audit import record
from bot.db.models import Account, AccountStatus, ContactStatus, PlannedContact

router = APIRouter(prefix="/accounts", tags=["accounts"])
MAX_ROWS = 50_000

_ROW_SCHEMA = AccountRow.model_json_schema()
_PLACEMENT_SCHEMA = {
    "type": "object",
    "required": ["accounts"],
    "properties": {"accounts": {"type": "array", "minItems": 1, "items": _ROW_SCHEMA}},
}
_REJECTED = {422: {"description": "Some rows were bad: every error by row and field; nothing was stored."}}


@router.post(
    "",
    status_code=201,
    summary="Place one or many accounts (JSON)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _PLACEMENT_SCHEMA}}}
    },
    responses=_REJECTED,
)
async def place_accounts(request: Request, who: Caller = Depends(caller(Scope.ACCOUNTS))):
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(status_code=400, detail="the body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("accounts"), list):
        raise _rejected([{"row": 0, "field": "accounts", "message": "a list of accounts is needed"}])
    return await _place(request, who, body["accounts"])


@router.post(
    "/upload",
    status_code=201,
    summary="Place a whole file of accounts: CSV with a header row, or JSON lines",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses=_REJECTED,
)
async def upload_accounts(request: Request, who: Caller = Depends(caller(Scope.ACCOUNTS))):
    kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="the file is not UTF-8") from None
    if kind == "text/csv":
        rows: list[Any] = [
            {k: v for k, v in row.items() if k is not None and v != ""}
            for row in csv.DictReader(io.StringIO(text))
        ]
    elif kind in ("application/x-ndjson", "application/jsonl"):
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise _rejected([{"row": number, "field": None, "message": "not a JSON object"}]) from None
    else:
        raise HTTPException(status_code=415, detail="send text/csv or application/x-ndjson")
    return await _place(request, who, rows)


async def _place(request: Request, who: Caller, raw: list[Any]):
    if len(raw) > MAX_ROWS:
        raise _rejected([{"row": 0, "field": None, "message": f"at most {MAX_ROWS} rows a request"}])
    languages = set(who.state.catalog.languages)
    try:
        rows = read_rows([r if isinstance(r, dict) else {} for r in raw], languages)
    except BatchRejected as rejected:
        raise _rejected([e.as_dict() for e in rejected.errors]) from None

    async def apply(session: AsyncSession) -> tuple[int, Any]:
        try:
            accounts = await place(session, rows, who.actor)
        except BatchRejected as rejected:
            raise _rejected([e.as_dict() for e in rejected.errors]) from None
        return 201, {
            "placed": len(accounts),
            "accounts": [{"reference": a.reference, "status": a.status.value} for a in accounts],
        }

    return await idempotent_write(request, who, apply)


def _rejected(errors: list[dict[str, Any]]) -> HTTPException:
    shown = errors[:1000]
    return HTTPException(
        status_code=422,
        detail={
            "message": f"{len(errors)} problem(s); nothing was stored",
            "errors": shown,
            "more": len(errors) - len(shown),
        },
    )


@router.get("/{reference}", summary="An account, its arrangements and payments")
async def read_account(reference: str, who: Caller = Depends(caller(Scope.ACCOUNTS))) -> dict[str, Any]:
    async with who.state.db.session() as session:
        return await account_view(session, await _account(session, reference))


class AccountChange(BaseModel):
    """What the creditor's system of record changed; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    balance_minor: int | None = Field(default=None, ge=0)
    overdue_minor: int | None = Field(default=None, ge=0)
    minimum_payment_minor: int | None = Field(default=None, ge=0)
    fees_minor: int | None = Field(default=None, ge=0)
    due_date: date | None = None

    @model_validator(mode="after")
    def _something(self) -> "AccountChange":
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


@router.patch("/{reference}", summary="Update the balance, amounts due or due date")
async def update_account(
    reference: str, change: AccountChange, request: Request, who: Caller = Depends(caller(Scope.ACCOUNTS))
):
    async def apply(session: AsyncSession) -> tuple[int, Any]:
        account = await _account(session, reference, for_update=True)
        if account.status == AccountStatus.RECALLED:
            raise HTTPException(status_code=409, detail="the account was recalled")
        values = change.model_dump(exclude_unset=True)
        balance = values.get("balance_minor", account.balance_minor)
        overdue = values.get("overdue_minor", account.overdue_minor)
        if overdue > balance:
            raise HTTPException(status_code=422, detail="overdue_minor: cannot be more than balance_minor")
        for name, value in values.items():
            setattr(account, name, value)
        account.status = status_for(account.balance_minor, account.overdue_minor)
        record(
            session,
            who.actor,
            "account_updated",
            customer_id=account.customer_id,
            details={"fields": sorted(values)},
        )
        return 200, await account_view(session, account)

    return await idempotent_write(request, who, apply)


@router.post("/{reference}/recall", summary="Take the account back: all contact stops at once")
async def recall_account(reference: str, request: Request, who: Caller = Depends(caller(Scope.ACCOUNTS))):
    async def apply(session: AsyncSession) -> tuple[int, Any]:
        account = await _account(session, reference, for_update=True)
        account.status = AccountStatus.RECALLED
        await session.execute(
            update(PlannedContact)
            .where(PlannedContact.account_id == account.id, PlannedContact.status == ContactStatus.PLANNED)
            .values(status=ContactStatus.SKIPPED, rule="recalled")
        )
        record(session, who.actor, "account_recalled", customer_id=account.customer_id)
        return 200, await account_view(session, account)

    return await idempotent_write(request, who, apply)


async def _account(session: AsyncSession, reference: str, for_update: bool = False) -> Account:
    query = select(Account).where(Account.reference == reference.upper())
    account = await session.scalar(query.with_for_update() if for_update else query)
    if account is None:
        raise HTTPException(status_code=404, detail=f"no account {reference}")
    return account
