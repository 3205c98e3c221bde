"""A customer's phone for the integration tests: texts signed as Twilio signs them."""

import time

import httpx
from twilio.request_validator import RequestValidator

from tests.stack import TWILIO, TWILIO_NUMBER, TWILIO_TOKEN, WHATSAPP_NUMBER, eventually


class Phone:
    """A customer's phone: texts arrive at our webhook signed as Twilio signs them."""

    def __init__(self, stack, number: str, channel: str = "sms") -> None:
        self.stack, self.number, self.count = stack, number, 0
        self.channel = channel  # "sms", or "whatsapp" for the same number's WhatsApp
        self.prefix = "whatsapp:" if channel == "whatsapp" else ""

    def post(self, path: str, form: dict[str, str], signature: str | None = None) -> httpx.Response:
        url = f"{self.stack.api_url}{path}"
        signature = (
            signature
            if signature is not None
            else RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
        )
        return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)

    def text(self, body: str, sid: str | None = None) -> httpx.Response:
        self.count += 1
        form = {
            "MessageSid": sid or f"SMin{self.number[1:]}{self.count}{time.time_ns()}",
            "From": self.prefix + self.number,
            "To": self.prefix + (WHATSAPP_NUMBER if self.prefix else TWILIO_NUMBER),
            "Body": body,
            "AccountSid": "AC" + "0" * 32,
            "NumMedia": "0",
        }
        return self.post(f"/webhooks/twilio/{self.channel}", form)

    async def replies_until(self, done, timeout: float = 30) -> list[str]:
        """Texts this phone received, once `done(texts)` holds."""
        return await eventually(lambda: TWILIO.to(self.prefix + self.number), done, timeout)
