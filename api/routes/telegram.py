"""The Telegram webhook: verify → parse → gateway; a /start deep link says whose chat it is
(bot/domain/deep_links.py)."""

import logging

from fastapi import APIRouter, Depends, HTTPException, Request

from api.state import AppState, app_state
from bot.channels.telegram import InvalidRequest, TelegramChannel
from bot.db.types import utcnow
from bot.domain.deep_links import customer_for_link

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/webhooks/telegram")
async def telegram_update(request: Request, state: AppState = Depends(app_state)) -> dict[str, bool]:
    channel = state.channels.get("telegram")
    if not isinstance(channel, TelegramChannel):
        raise HTTPException(status_code=404, detail="the Telegram channel is not configured")
    try:
        channel.verify(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
    except InvalidRequest as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    try:
        incoming, tap, start_payload = channel.parse(await request.json())
    except (InvalidRequest, ValueError):
        raise HTTPException(status_code=400, detail="not a Telegram update") from None
    if tap is not None:
        try:
            await channel.acknowledge(tap)
        except Exception:
            log.info("could not acknowledge a Telegram button tap")
    if incoming is None:
        return {"ok": True}  # photos, stickers, edits: nothing for the assistant to read
    customer_id = None
    if start_payload:  # a deep link: whose chat this is, if the link is still good for this chat
        async with state.db.transaction() as db:
            customer_id = await customer_for_link(db, start_payload, channel.name, incoming.address, utcnow())
    await state.gateway.receive_from(channel, incoming, customer_id)
    await state.wake_outbox()
    return {"ok": True}
