"""What every channel adapter does, and what it allows.

An adapter verifies a provider's request, parses it into one `Incoming` type, formats our replies
into the parts the channel shows, sends them, and reads delivery receipts. The gateway and the
outbox know channels only through this interface (bot.channels.build_channels lists them).
"""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Allows:
    """What a channel permits, as its provider's rules say."""

    # Hours after the customer's last message in which free-form messages may be sent; None: any time.
    window_hours: int | None = None
    # Whether we may write first at all (the web chat: never).
    business_may_start: bool = True
    # Addresses are phone numbers (E.164): a number on a customer's record says whose it is.
    # Otherwise we may write first only to a chat the customer opened (Telegram: pressed Start).
    phone_numbers: bool = False
    # What the customer sends to stop, start again or get help (locales say "reply {stop}").
    commands: dict[str, str] = field(
        default_factory=lambda: {"stop": "STOP", "start": "START", "help": "HELP"}
    )


@dataclass(frozen=True)
class Incoming:
    """One message as a channel received it, before it belongs to a conversation."""

    address: str  # a phone number in E.164, a chat id
    text: str
    channel_message_id: str
    # What the customer pressed, when it differs from the words they saw (a button's payload).
    interpreted: str | None = None
    # The channel's own command for STOP, START or HELP (Telegram's /stop).
    keyword: str | None = None
    # The language the customer's app is set to, if the channel says (a guess, not a choice).
    app_language: str | None = None


class TransientFailure(Exception):
    """The provider could not take it now (5xx, 429, timeout); try again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class PermanentFailure(Exception):
    """The provider will never take it (invalid number, unsubscribed, window closed).

    `unreachable`: nothing will ever reach this address (the customer blocked us), so it is
    recorded like an opt-out and no further message is attempted.
    """

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.unreachable = reason, unreachable


Part = tuple[str, list[dict[str, str]]]


class Channel(Protocol):
    name: str
    allows: Allows

    def format(self, text: str, buttons: list[dict[str, str]], language: str) -> list[Part]:
        """A reply as the parts to store and send, each with the buttons it carries; the
        language says where its sentences end (SMS cuts a long reply between them)."""


class SendingChannel(Channel, Protocol):
    """A channel whose messages the outbox hands to a provider (all but the web chat, whose
    replies go straight to the customer's open tabs)."""

    async def send(self, address: str, text: str, buttons: list[dict[str, str]]) -> str:
        """Hand one message to the provider; return the provider's id for it."""

    async def send_template(self, address: str, text: str, language: str) -> str:
        """Outside the window: the pre-approved template in the message's language, carrying the text."""


def as_is(text: str, buttons: list[dict[str, str]], language: str) -> list[Part]:
    """Channels that show buttons themselves send a reply whole, in any language."""
    return [(text, buttons)]
