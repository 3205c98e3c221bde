"""Checking a customer is who they say, without ever revealing whether an account exists."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import record
from bot.db.models import Account, Conversation, Customer, VerificationAttempt
from bot.db.protection import protection

# Audited when one account's failed checks reach `VerificationPolicy.alert_failures` (the console).
VERIFICATION_ALERT = "verification_alert"


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
    max_failures: int  # failed checks from one conversation or address before it waits
    lock_minutes: int
    # Failed checks against one account, from anywhere, that alert a person (never a lock: a
    # stranger who knows a reference must not be able to shut its owner out).
    alert_failures: int = 5


async def verify(
    session: AsyncSession,
    policy: VerificationPolicy,
    conversation_id: str,
    reference: str,
    birth_dates: list[date],
    now: datetime,
) -> VerificationResult:
    """Match a reference and birth date to an account; wait after repeated failures.

    Failures count per conversation and per address (the phone number, chat or browser's chat
    across conversations), never per account: the answer, its wording and its queries are the
    same whether the reference exists or not. Guessing one account from many places alerts a
    person (`alert_failures`) instead of locking its owner out.
    """
    since = now - timedelta(minutes=policy.lock_minutes)
    failures = await _recent_failures(session, conversation_id, since)
    if failures >= policy.max_failures:
        _audit(session, conversation_id, "verification_locked", None)
        return VerificationResult(Outcome.LOCKED, retry_after_minutes=policy.lock_minutes)
    # One query whether or not the reference exists, so the time taken tells nothing either.
    found = (
        await session.execute(
            select(Account, Customer)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.reference == reference)
        )
    ).first()
    account, customer = found if found else (None, None)
    keys = protection()
    # An unknown reference is checked against a stand-in, so it takes as long as a wrong date.
    digest = customer.date_of_birth_digest if customer else keys.birth_digest(date.min)
    born = keys.birth_matches(digest, birth_dates)
    matched = customer is not None and born is not None
    if matched and not keys.is_current(customer.date_of_birth_digest):
        customer.date_of_birth_digest = keys.birth_digest(born)  # the one moment a hash can be re-keyed
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
        # Counted for an unknown reference too (as account 0, which is none), so both take as long.
        if await _failures_on(session, account.id if account else 0, since) == policy.alert_failures:
            _audit(session, conversation_id, VERIFICATION_ALERT, account)
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


async def _recent_failures(session: AsyncSession, conversation_id: str, since: datetime) -> int:
    """Failed checks since `since` from this conversation or any other with its address."""
    address = select(Conversation.channel_user_id).where(Conversation.id == conversation_id).scalar_subquery()
    return (
        await session.scalar(
            select(func.count())
            .select_from(VerificationAttempt)
            .join(Conversation, Conversation.id == VerificationAttempt.conversation_id)
            .where(
                Conversation.channel_user_id == address,
                VerificationAttempt.succeeded.is_(False),
                VerificationAttempt.created_at >= since,
            )
        )
        or 0
    )


async def _failures_on(session: AsyncSession, account_id: int, since: datetime) -> int:
    """Failed checks against one account since `since`, from anywhere (this one included)."""
    await session.flush()
    return (
        await session.scalar(
            select(func.count())
            .select_from(VerificationAttempt)
            .where(
                VerificationAttempt.account_id == account_id,
                VerificationAttempt.succeeded.is_(False),
                VerificationAttempt.created_at >= since,
            )
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
