"""Conversations and their messages: opening, finding, and reading back a transcript."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record
from bot.db.models import Conversation, Message


async def open_conversation(
    session: AsyncSession, channel: str, channel_user_id: str, language: str
) -> Conversation:
    conversation = Conversation(channel=channel, channel_user_id=channel_user_id, language=language)
    session.add(conversation)
    await session.flush()
    record(
        session,
        "system",
        "conversation_opened",
        conversation_id=conversation.id,
        details={"channel": channel},
    )
    return conversation


async def get_conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def transcript(
    session: AsyncSession, conversation_id: str, after_id: int = 0, limit: int = 200
) -> list[Message]:
    """Messages of a conversation after `after_id`, oldest first."""
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after_id)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows)
