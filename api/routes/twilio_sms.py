"""Twilio webhooks (SMS and WhatsApp): verify → parse → gateway; and delivery receipts."""

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from api.state import AppState, app_state
from bot.channels.twilio import InvalidRequest, TwilioChannel, receipt

router = APIRouter(prefix="/webhooks/twilio")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


async def _signed_form(request: Request, state: AppState, channel: TwilioChannel) -> dict[str, str]:
    """The posted form, if Twilio signed it for our public URL; 403 otherwise, and nothing stored."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        channel.verify(
            f"{state.settings.api_base_url()}{request.url.path}",
            form,
            request.headers.get("X-Twilio-Signature"),
        )
    except InvalidRequest as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    return form


def _channel(state: AppState, name: str) -> TwilioChannel:
    channel = state.channels.get(name)
    if not isinstance(channel, TwilioChannel):
        raise HTTPException(status_code=404, detail=f"the {name} channel is not configured")
    return channel


@router.post("/sms")
async def incoming_sms(request: Request, state: AppState = Depends(app_state)) -> Response:
    return await _incoming(request, state, _channel(state, "sms"))


@router.post("/whatsapp")
async def incoming_whatsapp(request: Request, state: AppState = Depends(app_state)) -> Response:
    return await _incoming(request, state, _channel(state, "whatsapp"))


async def _incoming(request: Request, state: AppState, channel: TwilioChannel) -> Response:
    form = await _signed_form(request, state, channel)
    try:
        incoming = channel.parse(form)
    except InvalidRequest as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    await state.gateway.receive_from(channel, incoming)
    await state.wake_outbox()
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post("/status")
async def delivery_status(request: Request, state: AppState = Depends(app_state)) -> Response:
    form = await _signed_form(request, state, _channel(state, "sms"))
    try:
        sid, status, error = receipt(form)
    except InvalidRequest as invalid:
        raise HTTPException(status_code=400, detail=str(invalid)) from None
    # One status URL serves both channels; the message id says which message it is.
    for channel in ("sms", "whatsapp"):
        if await state.outbox.record_provider_status(channel, sid, status, error):
            break
    return Response(status_code=204)
