"""The Telegram webhook: updates in, checked against the webhook secret, deduplicated."""

import logging

from fastapi import APIRouter, Depends, HTTPException, Request

from api.state import AppState, app_state
from bot.channels.telegram import customer_from_start, read_update, secret_is_valid
from bot.db.models import Customer
from bot.domain import conversations
from bot.gateway.intake import InboundMessage

log = logging.getLogger(__name__)
router = APIRouter()
CHANNEL = "telegram"
# Telegram's commands for the carrier words (bot.gateway.customer_state.Keyword).
COMMANDS = {"/stop": "stop", "/start": "start", "/help": "help"}


@router.post("/webhooks/telegram")
async def telegram_update(request: Request, state: AppState = Depends(app_state)) -> dict[str, bool]:
    settings = state.settings
    if state.telegram_bot is None:
        raise HTTPException(status_code=404, detail="the Telegram channel is not configured")
    if not secret_is_valid(
        settings.telegram_webhook_secret, request.headers.get("X-Telegram-Bot-Api-Secret-Token")
    ):
        raise HTTPException(status_code=403, detail="invalid webhook secret")
    try:
        update = read_update(await request.json(), state.telegram_bot)
    except ValueError:
        update = None
    if update is None:
        raise HTTPException(status_code=400, detail="not a Telegram update")

    if update.callback_query and update.callback_query.message:
        query = update.callback_query
        chat_id, user, text, pressed = query.message.chat.id, query.from_user, query.data or "", True
        await _acknowledge(state, query.id)
    elif update.message and update.message.text:
        chat_id, user, text, pressed = (
            update.message.chat.id,
            update.message.from_user,
            update.message.text,
            False,
        )
    else:
        return {"ok": True}  # photos, stickers, edits: nothing for the assistant to read

    address = str(chat_id)
    command, _, argument = text.partition(" ")
    async with state.db.transaction() as session:
        # Telegram says which language the customer's app is set to: a choice of theirs.
        app_language = user.language_code.split("-")[0] if user and user.language_code else None
        conversation = await conversations.conversation_for_address(
            session,
            CHANNEL,
            address,
            state.catalog.resolve_language(app_language),
            None,
            language_source="telegram" if state.catalog.supports(app_language) else "default",
        )
        if command == "/start" and argument:
            await _link_customer(session, state, conversation, argument)
        shown = await _button_title(session, conversation.id, text) if pressed else None
    inbound = InboundMessage(
        conversation.id,
        CHANNEL,
        shown or text,
        str(update.update_id),
        # Pressing Start is consent to hear from us, and opens the conversation with a greeting.
        interpreted="/greet" if command == "/start" else (text if shown else None),
        keyword=COMMANDS.get(command),
    )
    await state.gateway.receive(inbound)
    state.outbox_wakeup.set()
    return {"ok": True}


async def _link_customer(session, state: AppState, conversation, payload: str) -> None:
    """A deep link from the creditor (t.me/<bot>?start=<token>) says who this chat belongs to."""
    customer_id = customer_from_start(state.settings.secret_key, payload)
    customer = await session.get(Customer, customer_id) if customer_id else None
    if customer is not None:
        conversation.customer_id = customer.id  # like a phone number: possession, not identity
        language = state.catalog.resolve_language(customer.language)
        await conversations.set_language(session, conversation.id, language, source="profile")


async def _button_title(session, conversation_id: str, payload: str) -> str | None:
    """The title of the button whose payload came back, so the transcript reads as the customer saw it."""
    buttons = await conversations.recent_buttons(session, conversation_id, messages=3)
    return next((b["title"] for b in buttons if b["payload"] == payload), None)


async def _acknowledge(state: AppState, query_id: str) -> None:
    """Telegram shows a spinner on the button until the tap is answered."""
    try:
        await state.telegram_bot.answer_callback_query(query_id)
    except Exception:
        log.info("could not acknowledge a Telegram button tap")
