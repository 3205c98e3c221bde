"""Conversations and their messages: opening, finding, and reading back a transcript."""

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Agent, Conversation, Message, Note
from bot.understanding import sentiment

# Languages the customer chose (asked for, or picked in the widget): one message in another
# language does not overturn them, two in a row do (bot.understanding.language). A profile, a
# Telegram app setting or a web page's language is only a guess: the first message they write decides.
CHOSEN_LANGUAGE_SOURCES = {"asked", "picker"}


async def open_conversation(
    session: AsyncSession,
    channel: str,
    channel_user_id: str | None,
    language: str,
    language_source: str = "default",
    region: str | None = None,
) -> Conversation:
    """A new conversation; without a `channel_user_id` (a web chat) it is its own address, so
    what is decided for that address (an opt-out) belongs to this conversation alone."""
    conversation = Conversation(
        channel=channel, language=language, language_source=language_source, region=region
    )
    conversation.id = str(uuid.uuid4())
    conversation.channel_user_id = channel_user_id or conversation.id
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


async def conversation_for_address(
    session: AsyncSession,
    channel: str,
    address: str,
    language: str,
    customer_id: int | None,
    language_source: str = "default",
) -> Conversation:
    """The ongoing conversation with a phone number or chat on a channel, or a new one."""
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.channel_user_id == address)
        .order_by(Conversation.last_message_at.desc())
        .limit(1)
    )
    if conversation is None:
        conversation = await open_conversation(session, channel, address, language, language_source)
    if conversation.customer_id is None and customer_id is not None:
        conversation.customer_id = customer_id  # possession of the number; verification still applies
    return conversation


async def recent_buttons(
    session: AsyncSession, conversation_id: str, messages: int = 1
) -> list[dict[str, str]]:
    """The buttons of the last `messages` outbound messages that offered any, newest first."""
    rows = await session.scalars(
        select(Message.buttons)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "outbound",
            Message.buttons.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(messages)
    )
    return [button for buttons in rows for button in buttons or []]


async def latest_purpose(session: AsyncSession, conversation_id: str) -> str | None:
    """Why the latest outbound message was sent (bot.gateway.replies.Purpose), if it says."""
    return await session.scalar(
        select(Message.purpose)
        .where(Message.conversation_id == conversation_id, Message.direction == "outbound")
        .order_by(Message.id.desc())
        .limit(1)
    )


async def get_conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def with_web_session(session: AsyncSession, digest: str) -> Conversation | None:
    """The web chat whose current session token has this digest (api.session_tokens)."""
    return await session.scalar(select(Conversation).where(Conversation.web_session_digest == digest))


async def web_session_of(session: AsyncSession, conversation_id: str) -> str | None:
    return await session.scalar(
        select(Conversation.web_session_digest).where(Conversation.id == conversation_id)
    )


async def set_web_session(session: AsyncSession, conversation_id: str, digest: str) -> None:
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(web_session_digest=digest)
    )


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


async def set_language(session: AsyncSession, conversation_id: str, language: str, source: str) -> None:
    """Switch the conversation's language, saying why (asked, picker, detected, …); audited."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return
    if conversation.language != language:
        record(
            session,
            "customer",
            "language_changed",
            conversation_id=conversation_id,
            details={"from": conversation.language, "to": language, "source": source},
        )
    conversation.language, conversation.language_source = language, source


async def sentiment_trend(session: AsyncSession, conversation_id: str) -> float | None:
    """How the customer's latest messages feel on average (bot.understanding.sentiment.trend); None before any."""
    return sentiment.trend(await recent_scores(session, conversation_id, sentiment.TREND_WINDOW))


async def recent_scores(session: AsyncSession, conversation_id: str, limit: int) -> list[float]:
    """The sentiment scores of the customer's latest `limit` messages, oldest first."""
    rows = await session.scalars(
        select(Message.sentiment_score)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "inbound",
            Message.sentiment_score.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


async def add_note(session: AsyncSession, conversation_id: str, agent: Agent, text: str) -> Note:
    """An internal note by an agent; never sent to the customer."""
    note = Note(conversation_id=conversation_id, agent_id=agent.id, text=text)
    session.add(note)
    await session.flush()
    record(session, agent.username, "note_added", conversation_id=conversation_id)
    return note
