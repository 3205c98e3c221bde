"""Shared fixtures: real databases (SQLite and PostgreSQL), migrated with Alembic."""

import os
import uuid
from pathlib import Path

import psycopg
import pytest

from api.cli import migrate
from bot.config import ROOT, Settings
from bot.db.engine import Database
from bot.i18n import Catalog

# One data key for the tests and the stacks they start (which inherit this environment), so both
# read what the other encrypted (bot.db.protection).
os.environ["CONCORD_DATA_KEYS"] = '["' + "Y29uY29yZC10ZXN0LWRhdGEta2V5LTMyLWJ5dGVzLi4=" + '"]'

# The real stack (Rasa, actions, api on free ports), shared by tests/integration and tests/browser.
pytest_plugins = ["tests.stack"]

# Every language we speak, not its script variants: hi-Latn is read with hi's data and sets.
_LOCALES = Catalog(ROOT / "locales", "en")
LANGUAGES = sorted(set(_LOCALES.languages) - _LOCALES.variants())

POSTGRES_ADMIN_URL = os.environ.get("CONCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog(ROOT / "locales", "en")


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """PostgreSQL is part of the suite, not optional: unreachable is a failure, never a skip."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5):
            pass
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable ({error}). The database tests "
            "run on PostgreSQL as well as SQLite: start it, or point CONCORD_TEST_POSTGRES_URL at one."
        )
    return POSTGRES_ADMIN_URL


def create_postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"concord_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def drop_postgres_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'concord.db'}"
        migrate(Settings(database_url=url))
        yield url
        return
    admin = request.getfixturevalue("postgres_admin")
    name, url = create_postgres_database(admin)
    try:
        migrate(Settings(database_url=url))
        yield url
    finally:
        drop_postgres_database(admin, name)


@pytest.fixture
async def db(database_url: str):
    database = Database(database_url)
    yield database
    await database.close()


# Reports (NLU tables and the like) that tests add; printed at the end of the run.
REPORTS: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for report in REPORTS:
        terminalreporter.write_line("")
        for line in report.splitlines():
            terminalreporter.write_line(line)
