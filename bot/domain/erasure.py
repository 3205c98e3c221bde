"""Forgetting people: one customer on request (the right to erasure), and every conversation
older than the retention period.

Erasing a customer removes everything Concord holds about them: their conversations (messages,
notes, handoffs, cases, identity checks, cue flags), their accounts with their payments and
arrangements, deep links, and the customer record itself. Two things stay, without the
person: an opt-out (the address and channel only, so an address that asked for no contact is
never contacted again) and the audit log's entries, emptied of details, with one entry saying
what was erased, by whom and when. The creditor's own system keeps the debt; Concord can be
given the account again.

Rasa keeps its own record of each conversation (its tracker store): `bot.db.trackers` removes
those for the conversation ids these functions return.
"""

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import (
    Account,
    Arrangement,
    AuditEntry,
    Case,
    Consent,
    Conversation,
    Customer,
    DeepLink,
    Handoff,
    HandoffStatus,
    Instalment,
    Message,
    Note,
    Payment,
    VerificationAttempt,
    VulnerabilityFlag,
)


async def erase_customer(session: AsyncSession, customer_id: int, actor: str) -> list[str]:
    """Erase the customer; returns the ids of the conversations erased with them."""
    accounts = list(await session.scalars(select(Account.id).where(Account.customer_id == customer_id)))
    conversations = list(
        await session.scalars(
            select(Conversation.id).where(
                or_(Conversation.customer_id == customer_id, Conversation.verified_account_id.in_(accounts))
            )
        )
    )
    await erase_conversations(session, conversations)
    arrangements = select(Arrangement.id).where(Arrangement.account_id.in_(accounts))
    await session.execute(delete(Instalment).where(Instalment.arrangement_id.in_(arrangements)))
    await session.execute(delete(Arrangement).where(Arrangement.account_id.in_(accounts)))
    await session.execute(delete(Payment).where(Payment.account_id.in_(accounts)))
    await session.execute(delete(Case).where(Case.account_id.in_(accounts)))
    await session.execute(delete(VerificationAttempt).where(VerificationAttempt.account_id.in_(accounts)))
    await session.execute(delete(VulnerabilityFlag).where(VulnerabilityFlag.customer_id == customer_id))
    await session.execute(delete(DeepLink).where(DeepLink.customer_id == customer_id))
    await session.execute(update(Consent).where(Consent.customer_id == customer_id).values(customer_id=None))
    await session.execute(delete(Account).where(Account.id.in_(accounts)))
    await session.execute(update(AuditEntry).where(AuditEntry.customer_id == customer_id).values(details={}))
    await session.execute(delete(Customer).where(Customer.id == customer_id))
    record(
        session,
        actor,
        "customer_erased",
        customer_id=customer_id,
        details={"accounts": len(accounts), "conversations": len(conversations)},
    )
    return conversations


async def expired_conversations(session: AsyncSession, before: datetime) -> list[str]:
    """Conversations quiet since before `before`, none of them still with a person."""
    open_handoffs = select(Handoff.conversation_id).where(
        Handoff.status.in_([HandoffStatus.REQUESTED.value, HandoffStatus.CLAIMED.value])
    )
    return list(
        await session.scalars(
            select(Conversation.id).where(
                Conversation.last_message_at < before, Conversation.id.not_in(open_handoffs)
            )
        )
    )


async def erase_conversations(session: AsyncSession, conversation_ids: list[str]) -> None:
    """Every trace of these conversations; arrangements agreed in them stay (the creditor's
    record of what was agreed), no longer pointing at a conversation."""
    if not conversation_ids:
        return
    within = conversation_ids
    await session.execute(update(Message).where(Message.conversation_id.in_(within)).values(reply_to_id=None))
    for table in (Message, Note, Handoff, Case, VerificationAttempt, VulnerabilityFlag):
        await session.execute(delete(table).where(table.conversation_id.in_(within)))
    await session.execute(
        update(Arrangement).where(Arrangement.conversation_id.in_(within)).values(conversation_id=None)
    )
    await session.execute(update(AuditEntry).where(AuditEntry.conversation_id.in_(within)).values(details={}))
    await session.execute(delete(Conversation).where(Conversation.id.in_(within)))
