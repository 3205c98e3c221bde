"""SMS through Twilio: numbered options instead of buttons, each text within two segments."""

from bot.channels.base import Allows, Part, PermanentFailure
from bot.channels.text_parts import as_sms
from bot.channels.twilio import TwilioChannel


class SMSChannel(TwilioChannel):
    name = "sms"
    allows = Allows(phone_numbers=True)

    def format(self, text: str, buttons: list[dict[str, str]], language: str) -> list[Part]:
        return as_sms(text, buttons, language)

    async def send_template(self, address: str, text: str, language: str) -> str:
        raise PermanentFailure("sms_has_no_templates")  # SMS has no window, so never asked
