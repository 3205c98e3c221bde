"""Twilio, shared by SMS and WhatsApp: the official client, signed webhooks, delivery receipts."""

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import Incoming, PermanentFailure, TransientFailure

# Twilio error codes that no retry will fix.
PERMANENT_CODES = {
    21211: "invalid_number",
    21408: "region_not_enabled",
    21610: "unsubscribed",
    21614: "not_a_mobile_number",
    63016: "whatsapp_window_closed",
}


class InvalidRequest(ValueError):
    """Not a request Twilio signed for us, or missing what every webhook carries."""


class TwilioChannel:
    """Sending through one Twilio number; SMS and WhatsApp differ in prefix, format and rules."""

    prefix = ""

    def __init__(
        self, account_sid: str, auth_token: str, from_number: str, status_callback_url: str, api_url: str
    ) -> None:
        self._client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient(timeout=10))
        self._client.api.base_url = api_url  # a local fake in tests; Twilio's API otherwise
        self.auth_token = auth_token
        self.from_number = from_number
        self.status_callback_url = status_callback_url

    async def close(self) -> None:
        await self._client.http_client.close()

    def verify(self, url: str, form: dict[str, str], signature: str | None) -> None:
        """Twilio signs the full public URL and the posted form with the account's auth token."""
        if not (signature and RequestValidator(self.auth_token).validate(url, form, signature)):
            raise InvalidRequest("invalid Twilio signature")

    def parse(self, form: dict[str, str]) -> Incoming:
        sid, sender = form.get("MessageSid"), form.get("From")
        if not sid or not sender:
            raise InvalidRequest("MessageSid and From are required")
        return Incoming(
            address=sender.removeprefix(self.prefix), text=form.get("Body", ""), channel_message_id=sid
        )

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


def receipt(form: dict[str, str]) -> tuple[str, str, str | None]:
    """A status callback: the message's id, Twilio's status for it, and the error if any."""
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        raise InvalidRequest("MessageSid and MessageStatus are required")
    return sid, status, f"twilio_error_{form['ErrorCode']}" if form.get("ErrorCode") else None
