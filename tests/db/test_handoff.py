"""The handoff queue, claiming and console accounts, on SQLite and PostgreSQL."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.engine import Database
from bot.db.models import AuditEntry, Handoff
from bot.domain.conversations import open_conversation
from bot.people import agents
from bot.people.handoff import HandoffConflict, HandoffReason, claim, queue, request_handoff, waiting_notice
from tests.db.conftest import POLICY

PASSWORD = "a long enough passphrase"


async def _agent(db, username: str, languages=("en",), role: str = "agent"):
    async with db.transaction() as session:
        return await agents.create_agent(session, username, username.title(), PASSWORD, role, list(languages))


async def _waiting(db, reason: HandoffReason, language: str = "en") -> int:
    async with db.transaction() as session:
        conversation = await open_conversation(session, "web", f"web-{reason}", language)
        return (await request_handoff(session, conversation.id, reason)).id


async def test_the_queue_is_most_urgent_first_and_first_come_first_within_a_priority(db):
    request_1 = await _waiting(db, HandoffReason.CUSTOMER_REQUEST)
    hardship = await _waiting(db, HandoffReason.HARDSHIP)
    crisis = await _waiting(db, HandoffReason.CRISIS)
    request_2 = await _waiting(db, HandoffReason.CUSTOMER_REQUEST)
    dispute = await _waiting(db, HandoffReason.DISPUTE)
    async with db.session() as session:
        order = [handoff.id for handoff, _ in await queue(session)]
    assert order == [crisis, dispute, hardship, request_1, request_2]


async def test_a_more_urgent_reason_raises_an_open_request_and_a_less_urgent_one_does_not(db):
    async with db.transaction() as session:
        conversation = await open_conversation(session, "web", "web-1", "en")
        await request_handoff(session, conversation.id, HandoffReason.HARDSHIP, pause_bot=False)
        await request_handoff(session, conversation.id, HandoffReason.CUSTOMER_REQUEST)
        handoffs = list(await session.scalars(select(Handoff)))
    assert [(h.reason, h.bot_paused) for h in handoffs] == [("hardship", True)]


async def test_two_agents_claiming_at_once_exactly_one_gets_it(db, database_url):
    handoff_id = await _waiting(db, HandoffReason.CUSTOMER_REQUEST)
    first, second = await _agent(db, "ana"), await _agent(db, "ben")
    # Each agent through their own engine, as two api processes would be.
    engines = [Database(database_url), Database(database_url)]

    async def try_claim(database: Database, agent) -> bool:
        try:
            async with database.transaction() as session:
                await claim(session, handoff_id, agent)
            return True
        except HandoffConflict:
            return False

    try:
        for _ in range(5):  # and again after resetting, so the race is really run more than once
            results = await asyncio.gather(try_claim(engines[0], first), try_claim(engines[1], second))
            assert sorted(results) == [False, True]
            async with db.transaction() as session:
                handoff = await session.get(Handoff, handoff_id)
                handoff.status, handoff.claimed_by_id = "requested", None
    finally:
        for engine in engines:
            await engine.close()
    async with db.session() as session:
        claims = await session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "handoff_claimed"))
        assert len(list(claims)) == 5


async def test_a_password_is_stored_as_argon2_and_only_the_right_one_signs_in(db):
    agent = await _agent(db, "Ana")
    assert agent.password_hash.startswith("$argon2") and PASSWORD not in agent.password_hash
    async with db.transaction() as session:
        assert (await agents.authenticate(session, "ana", PASSWORD)).id == agent.id
        assert await agents.authenticate(session, "ana", PASSWORD + "x") is None
        assert await agents.authenticate(session, "nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "problem"),
    [
        ("ana", "short", "agent", "at least 12"),
        ("ana", PASSWORD, "boss", "role must be"),
        ("  ", PASSWORD, "agent", "username"),
    ],
)
async def test_a_user_that_cannot_be_created_says_why(db, username, password, role, problem):
    async with db.transaction() as session:
        with pytest.raises(agents.AgentError, match=problem):
            await agents.create_agent(session, username, "Ana", password, role, ["en"])


async def test_a_taken_username_is_refused(db):
    await _agent(db, "ana")
    async with db.transaction() as session:
        with pytest.raises(agents.AgentError, match="taken"):
            await agents.create_agent(session, "ANA", "Ana", PASSWORD, "agent", ["en"])


async def test_a_session_is_stored_hashed_and_ends_when_it_expires_or_is_signed_out(db):
    agent = await _agent(db, "ana")
    async with db.transaction() as session:
        token, csrf = await agents.start_session(session, agent, timedelta(hours=1))
        expired, _ = await agents.start_session(session, agent, timedelta(seconds=-1))
    async with db.transaction() as session:
        found = await agents.session_for(session, token)
        assert (found.agent_id, found.csrf_token) == (agent.id, csrf)
        assert found.token_hash != token
        assert await agents.session_for(session, expired) is None
        assert await agents.session_for(session, "made-up") is None
        await agents.end_session(session, token, agent)
    async with db.session() as session:
        assert await agents.session_for(session, token) is None


def test_outside_staffed_hours_the_customer_is_told_when_in_their_own_time():
    saturday_night_sydney = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 23:00 in Sydney
    notice = waiting_notice(POLICY.staffed_hours, saturday_night_sydney, "en_US", "America/Los_Angeles")
    # Monday 08:00 in Sydney is Sunday 13:00 in Los Angeles.
    assert notice.key == "utter_handoff_after_hours"
    assert notice.values == {"opens_at": "Sunday, November 29, 1:00\u202fPM"}  # written out in full
    weekday_afternoon = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 14:00 in Sydney
    assert (
        waiting_notice(POLICY.staffed_hours, weekday_afternoon, "en_AU", None).key
        == "utter_handoff_requested"
    )
