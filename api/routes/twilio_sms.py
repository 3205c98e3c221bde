"""Twilio webhooks (SMS and WhatsApp): incoming messages and delivery receipts, signature-checked."""

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from api.state import AppState, app_state
from bot.channels.text_parts import chosen_option
from bot.channels.twilio import signature_is_valid
from bot.domain import conversations
from bot.domain.accounts import customer_with_phone, e164
from bot.gateway.intake import InboundMessage

router = APIRouter(prefix="/webhooks/twilio")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
WHATSAPP_PREFIX = "whatsapp:"


async def _signed_form(request: Request, state: AppState) -> dict[str, str]:
    """The posted form, if Twilio signed it for our public URL; 403 otherwise, and nothing stored."""
    if not state.settings.twilio_auth_token:
        raise HTTPException(status_code=404, detail="the Twilio channels are not configured")
    form = {key: str(value) for key, value in (await request.form()).items()}
    url = f"{state.settings.api_base_url()}{request.url.path}"
    if not signature_is_valid(
        state.settings.twilio_auth_token, url, form, request.headers.get("X-Twilio-Signature")
    ):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return form


@router.post("/sms")
async def incoming_sms(request: Request, state: AppState = Depends(app_state)) -> Response:
    return await _incoming(request, state, "sms")


@router.post("/whatsapp")
async def incoming_whatsapp(request: Request, state: AppState = Depends(app_state)) -> Response:
    if not state.settings.twilio_whatsapp_from:
        raise HTTPException(status_code=404, detail="the WhatsApp channel is not configured")
    return await _incoming(request, state, "whatsapp")


async def _incoming(request: Request, state: AppState, channel: str) -> Response:
    form = await _signed_form(request, state)
    sid, sender, body = form.get("MessageSid"), form.get("From"), form.get("Body", "")
    if not sid or not sender:
        raise HTTPException(status_code=400, detail="MessageSid and From are required")
    number = sender.removeprefix(WHATSAPP_PREFIX)
    address = e164(number) or number
    async with state.db.transaction() as session:
        customer = await customer_with_phone(session, address)
        language = state.catalog.resolve_language(customer.language if customer else None)
        conversation = await conversations.conversation_for_address(
            session,
            channel,
            address,
            language,
            customer.id if customer else None,
            language_source="profile" if customer else "default",
        )
        options = [b["payload"] for b in await conversations.recent_buttons(session, conversation.id)]
    inbound = InboundMessage(conversation.id, channel, body, sid, interpreted=chosen_option(body, options))
    await state.gateway.receive(inbound)
    state.outbox_wakeup.set()
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post("/status")
async def delivery_status(request: Request, state: AppState = Depends(app_state)) -> Response:
    form = await _signed_form(request, state)
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        raise HTTPException(status_code=400, detail="MessageSid and MessageStatus are required")
    error = f"twilio_error_{form['ErrorCode']}" if form.get("ErrorCode") else None
    # One status URL serves both channels; the message id says which message it is.
    for channel in ("sms", "whatsapp"):
        if await state.outbox.record_provider_status(channel, sid, status, error):
            break
    return Response(status_code=204)
