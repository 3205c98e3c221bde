"""Personal data at rest, on SQLite and PostgreSQL: what the database file holds is not readable,
a date of birth is only a keyed hash, and keys rotate without losing anyone."""

import json
import os
from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.config import Config
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text

from bot.config import ROOT, get_settings
from bot.db.demo_data import DEMO_CUSTOMERS, seed_if_empty
from bot.db.key_rotation import rotate_keys
from bot.db.models import Customer
from bot.db.protection import DataProtection, protection
from bot.domain.conversations import open_conversation
from bot.domain.verification import Outcome, VerificationPolicy, verify

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLICY = VerificationPolicy(max_failures=3, lock_minutes=30, alert_failures=5)
MIA = DEMO_CUSTOMERS[0]


@pytest.fixture
def data_keys(monkeypatch):
    """Set CONCORD_DATA_KEYS for the rest of the test (newest first)."""

    def use(*keys: str) -> None:
        monkeypatch.setenv("CONCORD_DATA_KEYS", json.dumps(list(keys)))
        get_settings.cache_clear()
        protection.cache_clear()

    yield use
    monkeypatch.setenv("CONCORD_DATA_KEYS", os.environ["CONCORD_DATA_KEYS"])
    get_settings.cache_clear()
    protection.cache_clear()


async def _raw_customer(db, reference: str) -> dict:
    async with db.session() as session:
        row = await session.execute(
            text(
                "SELECT c.full_name, c.given_name, c.family_name, c.date_of_birth_digest "
                "FROM customers c JOIN accounts a ON a.customer_id = c.id WHERE a.reference = :reference"
            ),
            {"reference": reference},
        )
        return dict(row.mappings().one())


async def _verify(db, reference: str, born: date) -> Outcome:
    async with db.transaction() as session:
        conversation = await open_conversation(session, "web", None, "en")
        return (await verify(session, POLICY, conversation.id, reference, [born], NOW)).outcome


async def test_names_are_not_readable_in_the_database_and_the_birth_date_is_not_there_at_all(db):
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
    raw = await _raw_customer(db, MIA.reference)
    stored = " ".join(str(value) for value in raw.values())
    for said in ("Mia", "Thompson", MIA.born.isoformat(), MIA.born.strftime("%d/%m/%Y"), "1988"):
        assert said not in stored, f"{said!r} is readable in the customers table"
    async with db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.given_name.is_not(None)).limit(1))
    assert customer.full_name == DEMO_CUSTOMERS[0].name  # the application reads it as ever
    assert await _verify(db, MIA.reference, MIA.born) == Outcome.VERIFIED
    assert await _verify(db, MIA.reference, date(1988, 12, 4)) == Outcome.NO_MATCH


async def test_a_new_key_reencrypts_everyone_and_birth_hashes_move_when_their_owner_verifies(db, data_keys):
    old = os.environ["CONCORD_DATA_KEYS"]
    [old_key] = json.loads(old)
    async with db.transaction() as session:
        await seed_if_empty(session, now=NOW)
    before = await _raw_customer(db, MIA.reference)

    new_key = Fernet.generate_key().decode()
    data_keys(new_key, old_key)
    async with db.transaction() as session:
        rotated = await rotate_keys(session)
    assert rotated.customers == len(DEMO_CUSTOMERS)
    assert rotated.older_birth_hashes == len(DEMO_CUSTOMERS)  # a hash cannot move without its date
    after = await _raw_customer(db, MIA.reference)
    assert after["full_name"] != before["full_name"]
    assert DataProtection([new_key]).decrypt(after["full_name"]) == MIA.name  # the new key alone reads it

    # Mia verifies: her hash moves to the new key, and only hers.
    assert await _verify(db, MIA.reference, MIA.born) == Outcome.VERIFIED
    assert (await _raw_customer(db, MIA.reference))["date_of_birth_digest"] != before["date_of_birth_digest"]
    async with db.transaction() as session:
        assert (await rotate_keys(session)).older_birth_hashes == len(DEMO_CUSTOMERS) - 1

    # With the old key gone, Mia is still read and still verifies; others wait for their key.
    data_keys(new_key)
    async with db.session() as session:
        names = set(await session.scalars(select(Customer.full_name)))
    assert names == {c.name for c in DEMO_CUSTOMERS}
    assert await _verify(db, MIA.reference, MIA.born) == Outcome.VERIFIED
    budi = DEMO_CUSTOMERS[1]
    assert await _verify(db, budi.reference, budi.born) == Outcome.NO_MATCH


def test_the_migration_encrypts_what_an_earlier_version_stored_in_the_clear(tmp_path):
    url = f"sqlite:///{tmp_path / 'concord.db'}"
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url.replace("sqlite://", "sqlite+aiosqlite://")
    command.upgrade(config, "0009")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (full_name, given_name, date_of_birth, language, locale, timezone,"
                " jurisdiction, created_at) VALUES ('Ana Cruz', 'Ana', '1991-07-02', 'es', 'es_US',"
                " 'America/Chicago', 'US', '2026-11-23 10:00:00')"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        name, given, digest = connection.execute(
            text("SELECT full_name, given_name, date_of_birth_digest FROM customers")
        ).one()
    engine.dispose()
    assert "Ana" not in name + given and "1991" not in digest
    keys = protection()
    assert (keys.decrypt(name), keys.decrypt(given)) == ("Ana Cruz", "Ana")
    assert keys.birth_matches(digest, [date(1991, 2, 7), date(1991, 7, 2)]) == date(1991, 7, 2)
