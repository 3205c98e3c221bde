"""Channel adapters: each turns a provider's format into ours and sends our messages back.

Adding a channel is one module implementing `bot.channels.base.Channel` (and `Sender` if the
outbox delivers its messages) plus one line in `build_channels`.
"""

from bot.channels.base import Channel, SendingChannel
from bot.channels.sms import SMSChannel
from bot.channels.telegram import TelegramChannel, bot_for
from bot.channels.web import WebChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.config import Settings


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The channels this deployment has configured; the web chat always."""
    channels: list[Channel] = [WebChannel(settings.allowed_origins(), settings.max_frame_bytes)]
    if (telegram := bot_for(settings)) is not None:
        channels.append(TelegramChannel(telegram, settings.telegram_webhook_secret))
    if settings.twilio_auth_token:
        twilio = (settings.twilio_account_sid, settings.twilio_auth_token)
        receipts, api = f"{settings.api_base_url()}/webhooks/twilio/status", settings.twilio_api_url
        channels.append(SMSChannel(*twilio, settings.twilio_sms_from, receipts, api))
        if settings.twilio_whatsapp_from:
            templates = settings.twilio_whatsapp_templates
            channels.append(
                WhatsAppChannel(*twilio, settings.twilio_whatsapp_from, receipts, api, templates=templates)
            )
    return {channel.name: channel for channel in channels}


def senders(channels: dict[str, Channel]) -> dict[str, SendingChannel]:
    """The channels whose messages the outbox delivers."""
    return {name: channel for name, channel in channels.items() if hasattr(channel, "send")}


async def close_channels(channels: dict[str, Channel]) -> None:
    """Release the providers' connections of every channel that holds one."""
    for channel in channels.values():
        if hasattr(channel, "close"):
            await channel.close()
