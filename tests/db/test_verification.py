"""Identity checks: right details verify; wrong ones never reveal whether an account exists."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db.demo_data import DEMO_CUSTOMERS, seed_if_empty
from bot.db.models import Conversation
from bot.domain.conversations import open_conversation
from bot.domain.verification import Outcome, VerificationPolicy, forget_verification, verified_account, verify

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLICY = VerificationPolicy(max_failures=3, lock_minutes=30)
MIA = DEMO_CUSTOMERS[0]


@pytest.fixture
async def conversation_id(db) -> str:
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
        return (await open_conversation(session, "web", "web", "en")).id


async def _verify(db, conversation_id, reference, born, now=NOW):
    async with db.transaction() as session:
        return await verify(session, POLICY, conversation_id, reference, [born], now)


async def test_the_right_reference_and_birth_date_verify_the_conversation(db, conversation_id):
    result = await _verify(db, conversation_id, MIA.reference, MIA.born)
    assert result.outcome == Outcome.VERIFIED
    async with db.session() as session:
        account = await verified_account(session, conversation_id)
        conversation = await session.get(Conversation, conversation_id)
    assert account.reference == MIA.reference
    assert conversation.customer_id == account.customer_id


async def test_a_wrong_birth_date_and_an_unknown_reference_look_exactly_the_same(db, conversation_id):
    wrong_birth = await _verify(db, conversation_id, MIA.reference, date(1970, 1, 1))
    unknown_account = await _verify(db, conversation_id, "CN-000000", MIA.born)
    assert wrong_birth == unknown_account
    assert wrong_birth.outcome == Outcome.NO_MATCH


async def test_the_third_failure_locks_and_even_right_details_wait_until_the_lock_ends(db, conversation_id):
    outcomes = [
        (await _verify(db, conversation_id, MIA.reference, date(1970, 1, 1))).outcome for _ in range(3)
    ]
    assert outcomes == [Outcome.NO_MATCH, Outcome.NO_MATCH, Outcome.LOCKED]
    assert (await _verify(db, conversation_id, MIA.reference, MIA.born)).outcome == Outcome.LOCKED
    later = NOW + timedelta(minutes=POLICY.lock_minutes + 1)
    assert (
        await _verify(db, conversation_id, MIA.reference, MIA.born, now=later)
    ).outcome == Outcome.VERIFIED


async def test_guessing_one_account_from_new_conversations_is_locked_too(db, conversation_id):
    for _ in range(3):
        async with db.transaction() as session:
            fresh = (await open_conversation(session, "web", "web", "en")).id
        await _verify(db, fresh, MIA.reference, date(1970, 1, 1))
    assert (await _verify(db, conversation_id, MIA.reference, MIA.born)).outcome == Outcome.LOCKED


async def test_verification_is_forgotten_when_the_session_ends(db, conversation_id):
    await _verify(db, conversation_id, MIA.reference, MIA.born)
    async with db.transaction() as session:
        await forget_verification(session, conversation_id)
    async with db.session() as session:
        assert await verified_account(session, conversation_id) is None
