"""Telegram: webhook updates read with python-telegram-bot, inline keyboards, sending with its Bot.

A bot can write only to a chat that pressed Start; its commands /stop, /start and /help are the
carrier words of this channel."""

import asyncio
import hmac
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.base import Allows, Incoming, Part, PermanentFailure, TransientFailure, as_is
from bot.config import Settings

log = logging.getLogger(__name__)
# Telegram's callback_data holds at most 64 bytes; longer payloads cannot be buttons.
MAX_CALLBACK_BYTES = 64
# The commands for the carrier words (bot.gateway.customer_state.Keyword).
COMMANDS = {"/stop": "stop", "/start": "start", "/help": "help"}


class InvalidRequest(ValueError):
    """Not from Telegram (no or a wrong secret), or not an update."""


class TelegramChannel:
    name = "telegram"
    # A chat that pressed Start can be written to any time; one that never did, never.
    allows = Allows(commands={word: command for command, word in COMMANDS.items()})

    def __init__(self, bot: Bot, webhook_secret: str) -> None:
        self.bot = bot
        self.webhook_secret = webhook_secret
        self.up = False  # whether Telegram answered last time we asked
        self._retry: asyncio.Task | None = None

    def verify(self, given_secret: str | None) -> None:
        """Telegram sends the webhook's secret in X-Telegram-Bot-Api-Secret-Token."""
        if not secret_is_valid(self.webhook_secret, given_secret):
            raise InvalidRequest("invalid webhook secret")

    def parse(self, data: object) -> tuple[Incoming | None, str | None, str | None]:
        """The message (None for photos, stickers, edits), a button tap to acknowledge, and the
        deep-link payload of a /start."""
        update = read_update(data, self.bot) if isinstance(data, dict) else None
        if update is None or type(update.update_id) is not int:
            raise InvalidRequest("not a Telegram update")
        query = update.callback_query
        if query and query.message:
            chat, user, text, tap = query.message.chat, query.from_user, query.data or "", query.id
        elif update.message and update.message.text:
            chat, user, text, tap = update.message.chat, update.message.from_user, update.message.text, None
        else:
            return None, None, None
        chat_id = getattr(chat, "id", None)
        if type(chat_id) is not int or not isinstance(text, str):  # a chat we could never answer
            raise InvalidRequest("not a Telegram update")
        command, _, argument = text.partition(" ")
        incoming = Incoming(
            address=str(chat_id),
            text=text,
            channel_message_id=str(update.update_id),
            # Pressing Start opens the conversation with a greeting; a tap sends the button's payload.
            interpreted="/greet" if command == "/start" else (text if tap else None),
            keyword=COMMANDS.get(command),
            app_language=user.language_code.split("-")[0] if user and user.language_code else None,
        )
        return incoming, tap, argument if command == "/start" and argument else None

    async def open(self) -> None:
        """Reach Telegram. If it does not answer, start anyway: the other channels must not go
        down with it. The channel shows as down in /healthz, which tries again, as does every send."""
        try:
            await self.bot.initialize()
            self.up = True
        except TelegramError as error:
            log.warning(
                "Telegram did not answer (%s); its channel is down until it does", type(error).__name__
            )
            self.up = False

    async def is_up(self) -> bool:
        """Whether Telegram answered last time; when it did not, asked again in the background,
        so a health check never waits on it."""
        if not self.up and (self._retry is None or self._retry.done()):
            self._retry = asyncio.create_task(self.open())
        return self.up

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        await self.bot.shutdown()

    async def acknowledge(self, tap: str) -> None:
        """Telegram shows a spinner on the button until the tap is answered."""
        await self.bot.answer_callback_query(tap)

    def format(self, text: str, buttons: list[dict[str, str]], language: str) -> list[Part]:
        return as_is(text, buttons, language)

    async def send(self, address: str, text: str, buttons: list[dict[str, str]]) -> str:
        keyboard = [
            [InlineKeyboardButton(b["title"], callback_data=b["payload"])]
            for b in buttons
            if len(b["payload"].encode()) <= MAX_CALLBACK_BYTES
        ]
        try:
            message = await self.bot.send_message(
                chat_id=int(address),
                text=text,
                reply_markup=InlineKeyboardMarkup(keyboard) if keyboard else None,
            )
        except RetryAfter as error:
            wait = error.retry_after
            raise TransientFailure(
                "telegram 429", retry_after=getattr(wait, "total_seconds", lambda: wait)()
            ) from error
        except Forbidden as error:
            raise PermanentFailure("blocked", unreachable=True) from error
        except BadRequest as error:
            raise PermanentFailure("telegram_bad_request") from error
        except (TimedOut, NetworkError) as error:
            self.up = False
            raise TransientFailure(type(error).__name__) from error
        self.up = True
        return f"{address}:{message.message_id}"

    async def send_template(self, address: str, text: str, language: str) -> str:
        return await self.send(address, text, [])


def bot_for(settings: Settings) -> Bot | None:
    """The deployment's bot, if it has one, at Telegram's API (a local fake in tests)."""
    if not settings.telegram_bot_token:
        return None
    return Bot(settings.telegram_bot_token, base_url=f"{settings.telegram_api_url}/bot")


def secret_is_valid(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


def read_update(data: dict, bot: Bot) -> Update | None:
    """The update, if the JSON is one; None otherwise."""
    try:
        return Update.de_json(data, bot)
    except Exception:  # any shape python-telegram-bot cannot read is not an update (400, not 500)
        return None
