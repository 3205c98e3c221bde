"""SMS and WhatsApp through Twilio: sending with the official client, verifying its webhooks."""

import json

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.gateway.outbox import PermanentFailure, TransientFailure

# Twilio error codes that no retry will fix.
PERMANENT_CODES = {
    21211: "invalid_number",
    21408: "region_not_enabled",
    21610: "unsubscribed",
    21614: "not_a_mobile_number",
    63016: "whatsapp_window_closed",
}


class TwilioSMS:
    channel = "sms"
    prefix = ""
    window_hours: int | None = None  # SMS has no reply window

    def __init__(
        self, account_sid: str, auth_token: str, from_number: str, status_callback_url: str, api_url: str
    ) -> None:
        self._client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient(timeout=10))
        self._client.api.base_url = api_url  # a local fake in tests; Twilio's API otherwise
        self.from_number = from_number
        self.status_callback_url = status_callback_url

    async def close(self) -> None:
        await self._client.http_client.close()

    async def send(self, address: str, text: str, buttons: list[dict[str, str]]) -> str:
        # Buttons already stand in the text as numbered options (bot.channels.text_parts).
        return await self._create(to=self.prefix + address, body=text)

    async def _create(self, **fields: str) -> str:
        try:
            message = await self._client.messages.create_async(
                from_=self.prefix + self.from_number, status_callback=self.status_callback_url, **fields
            )
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransientFailure(f"twilio {error.status}") from error
            reason = PERMANENT_CODES.get(error.code or 0, f"twilio_error_{error.code or error.status}")
            raise PermanentFailure(reason) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TransientFailure(type(error).__name__) from error
        return message.sid


class TwilioWhatsApp(TwilioSMS):
    """WhatsApp: free-form only within 24 hours of the customer's last message; a template after."""

    channel = "whatsapp"
    prefix = "whatsapp:"
    window_hours = 24

    def __init__(self, *args: str, template_sid: str = "") -> None:
        super().__init__(*args)
        self.template_sid = template_sid

    async def send_template(self, address: str, text: str) -> str:
        if not self.template_sid:
            raise PermanentFailure("whatsapp_window_closed")
        variables = json.dumps({"1": text[:1000]})
        return await self._create(
            to=self.prefix + address, content_sid=self.template_sid, content_variables=variables
        )


def signature_is_valid(auth_token: str, url: str, form: dict[str, str], signature: str | None) -> bool:
    """Twilio signs the full public URL and the posted form with the account's auth token."""
    return bool(signature) and RequestValidator(auth_token).validate(url, form, signature)
