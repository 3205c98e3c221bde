"""Checking a customer is who they say, without ever revealing whether an account exists."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Account, Conversation, Customer, VerificationAttempt


class Outcome(StrEnum):
    VERIFIED = "verified"
    NO_MATCH = "no_match"  # the same answer whether the reference or the birth date was wrong
    LOCKED = "locked"


@dataclass(frozen=True)
class VerificationResult:
    outcome: Outcome
    account_id: int | None = None
    retry_after_minutes: int = 0


@dataclass(frozen=True)
class VerificationPolicy:
    max_failures: int
    lock_minutes: int


async def verify(
    session: AsyncSession,
    policy: VerificationPolicy,
    conversation_id: str,
    reference: str,
    birth_dates: list[date],
    now: datetime,
) -> VerificationResult:
    """Match a reference and birth date to an account; lock after repeated failures.

    Failures count per conversation and per account, so nobody can guess one account's
    birth date by opening new conversations.
    """
    account = await session.scalar(select(Account).where(Account.reference == reference))
    since = now - timedelta(minutes=policy.lock_minutes)
    failures = await _recent_failures(session, conversation_id, account, since)
    if failures >= policy.max_failures:
        _audit(session, conversation_id, "verification_locked", account)
        return VerificationResult(Outcome.LOCKED, retry_after_minutes=policy.lock_minutes)

    customer = await session.get(Customer, account.customer_id) if account else None
    matched = customer is not None and customer.date_of_birth in birth_dates
    session.add(
        VerificationAttempt(
            conversation_id=conversation_id,
            account_id=account.id if account else None,
            succeeded=matched,
            created_at=now,
        )
    )
    if not matched:
        _audit(session, conversation_id, "verification_failed", account)
        if failures + 1 >= policy.max_failures:
            return VerificationResult(Outcome.LOCKED, retry_after_minutes=policy.lock_minutes)
        return VerificationResult(Outcome.NO_MATCH)

    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(verified_account_id=account.id, verified_at=now, customer_id=account.customer_id)
    )
    _audit(session, conversation_id, "verification_succeeded", account)
    return VerificationResult(Outcome.VERIFIED, account_id=account.id)


async def forget_verification(session: AsyncSession, conversation_id: str) -> None:
    """Verification lasts one session; a new session asks again."""
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(verified_account_id=None, verified_at=None)
    )


async def verified_account(session: AsyncSession, conversation_id: str) -> Account | None:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.verified_account_id is None:
        return None
    return await session.get(Account, conversation.verified_account_id)


async def _recent_failures(
    session: AsyncSession, conversation_id: str, account: Account | None, since: datetime
) -> int:
    scope = VerificationAttempt.conversation_id == conversation_id
    if account is not None:
        scope = or_(scope, VerificationAttempt.account_id == account.id)
    return (
        await session.scalar(
            select(func.count())
            .select_from(VerificationAttempt)
            .where(scope, VerificationAttempt.succeeded.is_(False), VerificationAttempt.created_at >= since)
        )
        or 0
    )


def _audit(session: AsyncSession, conversation_id: str, action: str, account: Account | None) -> None:
    record(
        session,
        "bot",
        action,
        conversation_id=conversation_id,
        customer_id=account.customer_id if account else None,
        details={"account_id": account.id} if account else {},
    )
