"""Bad input gets a clear 4xx or a kind reply, never a 500 or silence, and is not kept whole."""

import httpx
import pytest
from sqlalchemy import func, select

from bot.db.models import Conversation
from bot.db.models import Message as StoredMessage
from tests.integration.customers import query
from tests.integration.phone import Phone
from tests.integration.telegram_chat import TelegramChat
from tests.stack import TELEGRAM_SECRET


def _limit(stack) -> int:
    return int(stack.env["CONCORD_MAX_MESSAGE_CHARS"])


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"update_id": "not a number"},
        {"update_id": 991_001, "message": "not a message"},
        {"update_id": 991_002, "message": {"message_id": 1, "date": 0, "text": "hi"}},  # no chat
        {  # a chat no reply could ever reach
            "update_id": 991_003,
            "message": {"message_id": 1, "date": 0, "chat": {"id": "abc", "type": "private"}, "text": "hi"},
        },
    ],
)
async def test_a_telegram_update_of_the_wrong_shape_is_refused_with_400_and_nothing_is_stored(stack, body):
    before = (await query(stack, select(func.count(StoredMessage.id))))[0]
    response = httpx.post(
        f"{stack.api_url}/webhooks/telegram",
        json=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text
    assert (await query(stack, select(func.count(StoredMessage.id))))[0] == before
    assert await query(stack, select(Conversation).where(Conversation.channel_user_id == "abc")) == []


async def test_an_over_long_telegram_message_is_answered_asking_for_shorter_parts_and_kept_short(
    stack, catalog
):
    chat = TelegramChat(stack, 5_090)
    assert chat.say("a" * 100_000).status_code == 200
    expected = catalog.render("error_message_too_long", "en", {"limit": _limit(stack)}).text
    await chat.replies_until(lambda r: any(m["text"] == expected for m in r))
    [stored] = await query(
        stack,
        select(StoredMessage.text)
        .join(Conversation, Conversation.id == StoredMessage.conversation_id)
        .where(Conversation.channel_user_id == "5090", StoredMessage.sender == "customer"),
    )
    assert len(stored) == _limit(stack) + 1 and stored.endswith("…")


async def test_an_sms_longer_than_we_read_gets_a_reply_asking_for_shorter_parts(stack, catalog):
    phone = Phone(stack, "+61400000981")
    phone.text("a question about my bill and " * 60)  # 1,740 characters: more than we read
    expected = catalog.render("error_message_too_long", "en", {"limit": _limit(stack)}).text
    texts = await phone.replies_until(lambda r: expected in " ".join(r))
    assert texts, "an answer, not silence"
