"""Identity checks: right details verify; wrong ones never reveal whether an account exists."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.demo_data import DEMO_CUSTOMERS, seed_if_empty
from bot.db.models import AuditEntry, Conversation
from bot.domain.conversations import open_conversation
from bot.domain.verification import (
    VERIFICATION_ALERT,
    Outcome,
    VerificationPolicy,
    forget_verification,
    verified_account,
    verify,
)
from bot.people.console_view import supervisor_view

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLICY = VerificationPolicy(max_failures=3, lock_minutes=30, alert_failures=5)
MIA = DEMO_CUSTOMERS[0]


@pytest.fixture
async def conversation_id(db) -> str:
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
        return (await open_conversation(session, "web", None, "en")).id


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


async def test_a_stranger_who_knows_a_reference_cannot_lock_its_owner_out(db, conversation_id):
    for _ in range(3):  # three strangers, three browsers, three wrong guesses each
        async with db.transaction() as session:
            stranger = (await open_conversation(session, "web", None, "en")).id
        outcomes = [
            (await _verify(db, stranger, MIA.reference, date(1970, 1, 1 + n))).outcome for n in range(3)
        ]
        assert outcomes[-1] == Outcome.LOCKED, "each stranger waits after their own three"
    assert (await _verify(db, conversation_id, MIA.reference, MIA.born)).outcome == Outcome.VERIFIED


async def test_guessing_one_account_from_many_places_alerts_a_person_once(db):
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
    for _ in range(POLICY.alert_failures + 2):
        async with db.transaction() as session:
            stranger = (await open_conversation(session, "web", None, "en")).id
        await _verify(db, stranger, MIA.reference, date(1970, 1, 1))
    async with db.session() as session:
        alerts = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == VERIFICATION_ALERT))
        )
        view = await supervisor_view(session, NOW)
    assert len(alerts) == 1
    assert [a["reference"] for a in view["alerts"]] == [MIA.reference]


async def test_failures_follow_the_phone_number_into_a_new_conversation(db):
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
        first = (await open_conversation(session, "sms", "+61400999000", "en")).id
    for n in range(3):
        await _verify(db, first, "CN-000000", date(1970, 1, 1 + n))
    async with db.transaction() as session:
        second = (await open_conversation(session, "sms", "+61400999000", "en")).id
    assert (await _verify(db, second, MIA.reference, MIA.born)).outcome == Outcome.LOCKED


async def test_an_unknown_reference_locks_exactly_as_a_known_one_does(db):
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
        known, unknown = [(await open_conversation(session, "web", None, "en")).id for _ in range(2)]
    known_outcomes = [(await _verify(db, known, MIA.reference, date(1970, 1, 1))) for _ in range(4)]
    unknown_outcomes = [(await _verify(db, unknown, "CN-000000", date(1970, 1, 1))) for _ in range(4)]
    assert known_outcomes == unknown_outcomes


async def test_verification_is_forgotten_when_the_session_ends(db, conversation_id):
    await _verify(db, conversation_id, MIA.reference, MIA.born)
    async with db.transaction() as session:
        await forget_verification(session, conversation_id)
    async with db.session() as session:
        assert await verified_account(session, conversation_id) is None
