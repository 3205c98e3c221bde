"""The assistant's turn: waiting messages go to Rasa in order, and its replies are screened and stored.

If the assistant cannot answer, the messages wait as `pending`, the customer is told kindly once,
and `answer_pending` picks them up when it is back, in the order the customer wrote.
"""

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.db.models import Conversation, Message, MessageStatus
from bot.db.types import utcnow
from bot.gateway.assistant import AssistantUnavailable, RasaClient
from bot.gateway.customer_state import CustomerState
from bot.gateway.replies import Replies
from bot.people.handoff import bot_is_paused

log = logging.getLogger(__name__)
_BARE_INTENT = re.compile(r"/[a-z_]+")
# A customer's message still waiting for the assistant's answer.
WAITING = (MessageStatus.RECEIVED, MessageStatus.PENDING)

# A message the live assistant keeps failing on is set aside for a person, not retried forever.
MAX_ERROR_ATTEMPTS = 5


class AssistantTurn:
    def __init__(self, db: Database, rasa: RasaClient, replies: Replies, state: CustomerState) -> None:
        self.db = db
        self.rasa = rasa
        self.replies = replies
        self.state = state

    async def answer_waiting(self, conversation_id: str, include_fresh: bool = True) -> list[Message]:
        """Give the assistant every message of the conversation that waits for it, oldest first."""
        async with self.db.session() as session:
            conversation = await session.get(Conversation, conversation_id)
            waiting = list(
                await session.scalars(
                    select(Message)
                    .where(Message.conversation_id == conversation_id, Message.status.in_(WAITING))
                    .order_by(Message.id)
                )
            )
            # A person took the conversation while these waited (or the customer is paused for care).
            with_person = await bot_is_paused(session, conversation_id) or await self.state.care_pause_of(
                session, conversation
            )
        if with_person:
            async with self.db.transaction() as session:
                await set_status(session, [m.id for m in waiting], MessageStatus.WITH_PERSON)
            return []
        if not include_fresh and not any(m.status == MessageStatus.PENDING for m in waiting):
            waiting = [m for m in waiting if m.created_at < utcnow() - self.state.timing.stalled_after]
        replies: list[Message] = []
        already_told = any(m.status == MessageStatus.PENDING for m in waiting)
        for index, message in enumerate(waiting):
            try:
                said = message.interpreted or as_words(message.text)
                bot_replies = await self.rasa.send(conversation_id, said, _metadata(conversation))
            except AssistantUnavailable as error:
                log.warning("assistant unavailable (%s); %d message(s) wait", error, len(waiting) - index)
                replies += await self._hold(
                    conversation, waiting[index:], tell_customer=not already_told, failed=error.reachable
                )
                break
            async with self.db.transaction() as session:
                # Locked and read again, so what screening decides is kept, and a message another
                # process answered while the assistant read it here is not answered twice.
                inbound = await session.get(Message, message.id, with_for_update=True)
                if inbound.status not in WAITING:
                    log.info(
                        "message %d was answered elsewhere meanwhile; this answer is dropped", inbound.id
                    )
                    continue
                screened = await self.state.screen(
                    session, await session.get(Conversation, conversation_id), inbound, bot_replies
                )
                session.add_all(screened.replies)
                if inbound.status in WAITING:
                    inbound.status = MessageStatus.ANSWERED
            if screened.forget_turn:
                await self._forget_turn(conversation_id)
            replies += screened.replies
        return replies

    async def _forget_turn(self, conversation_id: str) -> None:
        try:
            await self.rasa.forget_turn(conversation_id)
        except (
            AssistantUnavailable
        ) as error:  # the overruled turn stays in Rasa's history; the reply was ours
            log.warning("could not take back an overruled turn (%s)", error)

    async def pending_conversations(self) -> list[str]:
        """Conversations with messages waiting for the assistant to be back (or stalled by a crash)."""
        async with self.db.session() as session:
            return list(
                await session.scalars(
                    select(Message.conversation_id)
                    .where(_waiting(utcnow(), self.state.timing.stalled_after))
                    .distinct()
                )
            )

    async def _hold(
        self, conversation: Conversation, waiting: list[Message], tell_customer: bool, failed: bool
    ) -> list[Message]:
        async with self.db.transaction() as session:
            held = await set_status(session, [m.id for m in waiting], MessageStatus.PENDING)
            if not held:
                return []  # answered elsewhere meanwhile
            if failed:
                first = await session.get(Message, held[0])
                first.attempts += 1
                if first.attempts >= MAX_ERROR_ATTEMPTS:
                    first.status, first.error = MessageStatus.FAILED, "assistant_error"
            if not tell_customer:
                return []
            stored = self.replies.rendered(conversation, held[0], "gateway_delayed")
            session.add_all(stored)
        return stored


def as_words(text: str) -> str:
    """What the assistant reads of a typed message. Rasa takes "/intent{...}" as a payload that
    sets slots directly, so only a button's payload (`interpreted`) or a bare intent (no more
    than words could say) reaches it as one; anything else typed with a slash is read as words."""
    return text if _BARE_INTENT.fullmatch(text) else text.lstrip("/")


def _metadata(conversation: Conversation) -> dict[str, object]:
    return {
        "channel": conversation.channel,
        "conversation_id": conversation.id,
        "language": conversation.language,
        "customer_id": conversation.customer_id,
    }


def _waiting(now: datetime, stalled_after: timedelta):
    stalled = (Message.status == MessageStatus.RECEIVED) & (Message.created_at < now - stalled_after)
    return (Message.status == MessageStatus.PENDING) | stalled


async def set_status(session: AsyncSession, ids: list[int], status: MessageStatus) -> list[int]:
    """Move the messages that still wait for the assistant; one answered meanwhile (by another
    process) is left as it is. Returns the ids moved."""
    moved = []
    for message in await session.scalars(
        select(Message)
        .where(Message.id.in_(ids), Message.status.in_(WAITING))
        .order_by(Message.id)
        .with_for_update()
    ):
        message.status = status
        moved.append(message.id)
    return moved
