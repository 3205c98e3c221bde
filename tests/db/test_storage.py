"""The data layer keeps money exact, times aware and provider message ids unique, on both databases."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from bot.config import ROOT
from bot.db.demo_data import DEMO_CUSTOMERS, seed_if_empty
from bot.db.models import Account, Customer, Direction, Message, MessageStatus, Sender
from bot.db.protection import protection
from bot.domain.conversations import open_conversation, transcript


def _message(conversation_id: str, channel_message_id: str | None, channel: str = "web") -> Message:
    return Message(
        conversation_id=conversation_id,
        direction=Direction.INBOUND,
        sender=Sender.CUSTOMER,
        channel=channel,
        channel_message_id=channel_message_id,
        text="hello",
        status=MessageStatus.RECEIVED,
    )


def test_the_migrated_schema_matches_the_models(database_url):
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.check(config)  # raises if a model changed without a migration


async def test_large_balances_survive_to_the_last_minor_unit(db):
    async with db.transaction() as session:
        customer = Customer(
            full_name="A B",
            date_of_birth_digest=protection().birth_digest(date(1980, 1, 1)),
            language="id",
            locale="id_ID",
            timezone="Asia/Jakarta",
            jurisdiction="ID",
        )
        session.add(
            Account(
                customer=customer,
                reference="CN-999999",
                product="Loan",
                currency="IDR",
                balance_minor=9_876_543_210_123,
                overdue_minor=1,
                minimum_payment_minor=0,
                due_date=date(2026, 1, 1),
                status="past_due",
            )
        )
    async with db.session() as session:
        account = await session.scalar(select(Account).where(Account.reference == "CN-999999"))
    assert account.balance_minor == 9_876_543_210_123


async def test_times_come_back_timezone_aware_and_equal_to_what_was_stored(db):
    jakarta = timezone(timedelta(hours=7))
    stored_at = datetime(2026, 3, 1, 9, 30, tzinfo=jakarta)
    async with db.transaction() as session:
        conversation = await open_conversation(session, "web", "web", "en")
        message = _message(conversation.id, None)
        message.created_at = stored_at
        session.add(message)
    async with db.session() as session:
        [loaded] = await transcript(session, conversation.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at == stored_at
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_a_naive_time_is_refused_rather_than_guessed(db):
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.transaction() as session:
            conversation = await open_conversation(session, "web", "web", "en")
            message = _message(conversation.id, None)
            message.created_at = datetime(2026, 3, 1, 9, 30)
            session.add(message)


async def test_the_same_provider_message_id_cannot_be_stored_twice_on_one_channel(db):
    async with db.transaction() as session:
        conversation = await open_conversation(session, "sms", "+61400000000", "en")
        session.add(_message(conversation.id, "SM123", channel="sms"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(_message(conversation.id, "SM123", channel="sms"))


async def test_the_same_id_on_different_channels_are_different_messages(db):
    async with db.transaction() as session:
        conversation = await open_conversation(session, "sms", "+61400000000", "en")
        session.add_all(
            [
                _message(conversation.id, "42", "sms"),
                _message(conversation.id, "42", "telegram"),
                _message(conversation.id, None),
                _message(conversation.id, None),
            ]
        )
    async with db.session() as session:
        assert len(await transcript(session, conversation.id)) == 4


async def test_demo_data_seeds_once_with_varied_customers(db):
    async with db.transaction() as session:
        assert await seed_if_empty(session, now=datetime(2026, 11, 23, tzinfo=UTC))
    async with db.transaction() as session:
        assert not await seed_if_empty(session)
    async with db.session() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer))
        currencies = set(await session.scalars(select(Account.currency)))
        languages = set(await session.scalars(select(Customer.language)))
        due_dates = set(await session.scalars(select(Account.due_date)))
    assert customers == len(DEMO_CUSTOMERS) >= 6
    assert {"AUD", "IDR", "PHP", "USD"} <= currencies
    assert len(languages) >= 4
    assert len(due_dates) == len(DEMO_CUSTOMERS)
