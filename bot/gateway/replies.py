"""Composing replies: a response from locales, or the assistant's or a person's text, stored as
exactly the parts the customer's channel will send (numbered options and segments on SMS)."""

from enum import StrEnum

from bot.channels.base import Allows, Channel, as_is
from bot.db.models import Conversation, Direction, Message, MessageStatus, Sender
from bot.db.types import utcnow
from bot.i18n import Catalog


class Purpose(StrEnum):
    """Why a reply is sent, where that changes what may leave (bot.gateway.customer_state)."""

    OPT_OUT_CONFIRMATION = "opt_out_confirmation"  # the one message an opted-out address still gets
    KEYWORD_ANSWER = "keyword_answer"  # START and HELP are answered even to an opted-out address
    CARE = "care"  # caring words while paused for care: never about money
    CARE_NOTED = "care_noted"  # while paused for care: the message was passed to a person
    WAITING = "waiting"  # told when a person will be there
    OUTREACH = "outreach"  # a conversation the assistant starts (bot.outreach)
    CSAT = "csat"  # the one satisfaction question after a conversation ends well (bot.gateway.satisfaction)
    CSAT_THANKS = "csat_thanks"  # thanks for its answer


# What may still reach an address that opted out.
SENT_AFTER_OPT_OUT = {Purpose.OPT_OUT_CONFIRMATION.value, Purpose.KEYWORD_ANSWER.value}


class Replies:
    def __init__(self, catalog: Catalog, channels: dict[str, Channel]) -> None:
        self.catalog = catalog
        self.channels = channels

    def commands(self, conversation: Conversation) -> dict[str, str]:
        """What the customer sends on their channel to stop, start again or get help."""
        channel = self.channels.get(conversation.channel)
        return channel.allows.commands if channel is not None else Allows().commands

    def rendered(
        self,
        conversation: Conversation,
        reply_to_id: int | None,
        key: str,
        values: dict[str, object] | None = None,
        purpose: str | None = None,
        sender: Sender = Sender.SYSTEM,
    ) -> list[Message]:
        """A response from locales, in the conversation's language."""
        rendered = self.catalog.render(key, conversation.language, values or {})
        buttons = [{"title": b.title, "payload": b.payload} for b in rendered.buttons]
        return self.text(conversation, reply_to_id, sender, rendered.text, buttons, purpose)

    def text(
        self,
        conversation: Conversation,
        reply_to_id: int | None,
        sender: Sender,
        text: str,
        buttons: list[dict[str, str]],
        purpose: str | None = None,
    ) -> list[Message]:
        """The stored outbound messages for one reply: exactly the parts the channel will send."""
        channel = self.channels.get(conversation.channel)
        formatter = channel.format if channel is not None else as_is
        return [
            Message(
                conversation_id=conversation.id,
                direction=Direction.OUTBOUND,
                sender=sender,
                channel=conversation.channel,
                text=part,
                buttons=part_buttons or None,
                status=MessageStatus.QUEUED,
                language=conversation.language,
                reply_to_id=reply_to_id,
                purpose=purpose,
                created_at=utcnow(),
            )
            for part, part_buttons in formatter(text, buttons, conversation.language)
        ]
