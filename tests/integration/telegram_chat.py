"""A customer's Telegram chat for the integration tests: updates built with python-telegram-bot's
own types, posted with the webhook secret; replies read from the fake Bot API."""

import itertools
from datetime import UTC, datetime

import httpx
from telegram import CallbackQuery, Chat, Message, Update, User

from tests.stack import TELEGRAM, TELEGRAM_SECRET, eventually

UPDATE_IDS = itertools.count(1_000)


class TelegramChat:
    """A customer's Telegram chat with the bot."""

    def __init__(self, stack, chat_id: int, name: str = "Mia") -> None:
        self.stack, self.chat_id = stack, chat_id
        self.user = User(id=chat_id, is_bot=False, first_name=name, language_code="en")
        self.chat = Chat(id=chat_id, type=Chat.PRIVATE)

    def post(self, update: Update, secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return httpx.post(
            f"{self.stack.api_url}/webhooks/telegram", json=update.to_dict(), headers=headers, timeout=30
        )

    def message(self, text: str, update_id: int | None = None) -> Update:
        message = Message(
            message_id=next(UPDATE_IDS),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
        )
        return Update(update_id=update_id or next(UPDATE_IDS), message=message)

    def say(self, text: str) -> httpx.Response:
        return self.post(self.message(text))

    def tap(self, title: str) -> httpx.Response:
        last = next(m for m in reversed(TELEGRAM.to(self.chat_id)) if m.get("reply_markup"))
        [button] = [b for row in last["reply_markup"]["inline_keyboard"] for b in row if b["text"] == title]
        shown = Message(message_id=1, date=datetime.now(UTC), chat=self.chat, text=last["text"])
        query = CallbackQuery(
            id=str(next(UPDATE_IDS)),
            from_user=self.user,
            chat_instance="ci",
            message=shown,
            data=button["callback_data"],
        )
        return self.post(Update(update_id=next(UPDATE_IDS), callback_query=query))

    async def replies_until(self, done, timeout: float = 30) -> list[dict]:
        return await eventually(lambda: TELEGRAM.to(self.chat_id), done, timeout)
