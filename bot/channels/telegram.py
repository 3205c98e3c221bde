"""Telegram: sending with python-telegram-bot's Bot, reading its webhook updates."""

import hmac

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.gateway.outbox import PermanentFailure, TransientFailure

# Telegram's callback_data holds at most 64 bytes; longer payloads cannot be buttons.
MAX_CALLBACK_BYTES = 64


class TelegramSender:
    channel = "telegram"
    window_hours: int | None = None  # a chat that pressed Start can be written to any time

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

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
            raise TransientFailure(type(error).__name__) from error
        return f"{address}:{message.message_id}"

    async def send_template(self, address: str, text: str) -> str:
        return await self.send(address, text, [])


def secret_is_valid(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


def read_update(data: dict, bot: Bot) -> Update | None:
    """The update, if the JSON is one; None otherwise."""
    try:
        return Update.de_json(data, bot)
    except (KeyError, TypeError, ValueError):
        return None


def start_token(secret_key: str, customer_id: int) -> str:
    """A /start deep-link payload naming a customer; Telegram allows only [A-Za-z0-9_-], ≤ 64."""
    return f"c{customer_id}x{_signature(secret_key, customer_id)}"


def customer_from_start(secret_key: str, payload: str) -> int | None:
    if not payload.startswith("c") or "x" not in payload:
        return None
    number, _, signature = payload[1:].partition("x")
    if not number.isdigit() or not hmac.compare_digest(signature, _signature(secret_key, int(number))):
        return None
    return int(number)


def _signature(secret_key: str, customer_id: int) -> str:
    return hmac.new(secret_key.encode(), f"telegram-start:{customer_id}".encode(), "sha256").hexdigest()[:24]
