"""WhatsApp through Twilio: free-form only within 24 hours of the customer's last message; after
that, only an approved template (Twilio's Content API) and only with recorded opt-in."""

import json

from bot.channels.base import Allows, Part, PermanentFailure
from bot.channels.text_parts import as_numbered_text
from bot.channels.twilio import TwilioChannel


class WhatsAppChannel(TwilioChannel):
    name = "whatsapp"
    prefix = "whatsapp:"
    allows = Allows(window_hours=24, phone_numbers=True)

    def __init__(self, *args: str, templates: dict[str, str] | None = None) -> None:
        super().__init__(*args)
        self.templates = templates or {}  # language → the approved template's Content SID

    def format(self, text: str, buttons: list[dict[str, str]], language: str) -> list[Part]:
        return as_numbered_text(text, buttons)  # one message: nothing is cut

    async def send_template(self, address: str, text: str, language: str) -> str:
        template = self.templates.get(language)
        if not template:
            raise PermanentFailure("whatsapp_window_closed")
        variables = json.dumps({"1": text[:1000]})
        return await self._create(to=self.prefix + address, content_sid=template, content_variables=variables)
