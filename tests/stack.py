"""The real stack: Rasa with the trained model, the action server and the api, on free ports.

A pytest plugin (see tests/conftest.py) so the integration and browser tests share one stack.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.config import ROOT, Settings
from bot.db.engine import Database
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.fakes.creditor_webhook import CreditorWebhook
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

SECRET = "integration-test-secret"
TWILIO_TOKEN = "fake-twilio-auth-token"
TWILIO_NUMBER = "+61480000000"
WHATSAPP_NUMBER = "+61480000001"
WHATSAPP_TEMPLATE = "HX" + "0" * 32  # English
WHATSAPP_TEMPLATE_ES = "HX" + "1" * 32
# One fake Twilio for the whole run; the stacks send their SMS to it.
TWILIO = FakeTwilio()
_, TWILIO_URL = TWILIO.start()
TELEGRAM_TOKEN = "123456:fake-telegram-token"
TELEGRAM_SECRET = "fake-webhook-secret"
TELEGRAM = FakeTelegram()
_, TELEGRAM_URL = TELEGRAM.start()
# The creditor's webhook endpoint: every stack delivers its events there, signed with this secret.
CREDITOR = CreditorWebhook()
_, CREDITOR_URL = CREDITOR.start()
CREDITOR_SECRET = "fake-creditor-webhook-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The creditor's website that embeds the widget, on an origin of its own (tests/browser serves it).
HOST_PAGE_PORT = free_port()
HOST_PAGE_ORIGIN = f"http://127.0.0.1:{HOST_PAGE_PORT}"


@dataclass
class Stack:
    api_url: str
    database_url: str
    env: dict[str, str]
    log: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.api_url.replace("http://", "ws://") + "/ws/chat"

    def database(self) -> Database:
        return Database(self.database_url)


def launch(env: dict[str, str], log: Path, *only: str) -> subprocess.Popen:
    """`python -m api.cli run`, as `make run` does; its own process group so Ctrl-C reaches all."""
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "api.cli", "run", "--wait", "300", *only],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(url: str, log: Path, process: subprocess.Popen, timeout: float, healthy: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            status = httpx.get(url, timeout=2).status_code
            if status == 200 or not healthy:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-4000:]
    pytest.fail(f"the stack at {url} did not come up within {timeout:.0f}s; its log ends:\n{tail}")


async def eventually(read, done, timeout: float = 30):
    """What `read()` returns once `done(it)` holds; fails with the last value otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"still waiting after {timeout:.0f}s; last seen: {read()}")


def rasa_channel(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Where a stack's Rasa takes messages (the gateway's channel), and the header it asks for."""
    token = env.get("CONCORD_RASA_TOKEN") or Settings.model_fields["rasa_token"].default
    url = f"http://127.0.0.1:{env['CONCORD_RASA_PORT']}/webhooks/gateway/webhook"
    return url, {"Authorization": f"Bearer {token}"}


def stack_environment(database_url: str, tracker_url: str, **overrides: str) -> dict[str, str]:
    api_port = free_port()
    return (
        os.environ
        | {
            "CONCORD_API_PORT": str(api_port),
            "CONCORD_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
            "CONCORD_RASA_PORT": str(free_port()),
            "CONCORD_ACTIONS_PORT": str(free_port()),
            "CONCORD_DATABASE_URL": database_url,
            "CONCORD_TRACKER_URL": tracker_url,
            "CONCORD_SECRET_KEY": SECRET,
            "CONCORD_PENDING_RETRY_SECONDS": "1",
            "CONCORD_MAX_MESSAGE_CHARS": "300",
            "CONCORD_WEBCHAT_RATE_LIMIT": "40/minute",
            # Every test speaks from 127.0.0.1: per-address limits are tested on an api of their own.
            "CONCORD_WEBCHAT_NEW_CONVERSATION_LIMIT": "10000/minute",
            "CONCORD_CONSOLE_LOGIN_ADDRESS_LIMIT": "10000/minute",
            "CONCORD_WIDGET_ORIGINS": f'["{HOST_PAGE_ORIGIN}"]',
            "CONCORD_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "CONCORD_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "CONCORD_TWILIO_SMS_FROM": TWILIO_NUMBER,
            "CONCORD_TWILIO_API_URL": TWILIO_URL,
            "CONCORD_TWILIO_WHATSAPP_FROM": WHATSAPP_NUMBER,
            "CONCORD_TWILIO_WHATSAPP_TEMPLATES": json.dumps(
                {"en": WHATSAPP_TEMPLATE, "es": WHATSAPP_TEMPLATE_ES}
            ),
            "CONCORD_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "CONCORD_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "CONCORD_TELEGRAM_API_URL": TELEGRAM_URL,
            "CONCORD_WEBHOOK_URL": CREDITOR_URL,
            "CONCORD_WEBHOOK_SECRET": CREDITOR_SECRET,
            "CONCORD_OUTBOX_POLL_SECONDS": "0.2",
            "CONCORD_OUTBOX_BACKOFF_SECONDS": "[0.2, 0.2, 0.2, 0.2]",
        }
        | overrides
    )


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """One training per run: `make train` does nothing when the model is up to date."""
    subprocess.run(["make", "--no-print-directory", "train"], cwd=ROOT, check=True)
    return ROOT / "models" / "concord.tar.gz"


def _start(env: dict[str, str], log: Path) -> Iterator[Stack]:
    process = launch(env, log)
    stack = Stack(
        f"http://127.0.0.1:{env['CONCORD_API_PORT']}", env["CONCORD_DATABASE_URL"], env, log, [process]
    )
    try:
        wait_until(f"{stack.api_url}/healthz", log, process, timeout=300)
        yield stack
    finally:
        for started in stack.processes:
            stop(started)


@pytest.fixture(scope="session")
def stack(trained_model, tmp_path_factory) -> Iterator[Stack]:
    """The default deployment: SQLite for the app and, in its own file, for Rasa's trackers."""
    folder = tmp_path_factory.mktemp("stack")
    env = stack_environment(
        f"sqlite+aiosqlite:///{folder / 'concord.db'}", f"sqlite:///{folder / 'tracker.db'}"
    )
    yield from _start(env, folder / "stack.log")


@pytest.fixture(scope="session")
def postgres_stack(trained_model, postgres_admin, tmp_path_factory) -> Iterator[Stack]:
    """At scale: PostgreSQL for the app database and for Rasa's tracker store."""
    folder = tmp_path_factory.mktemp("pgstack")
    app_name, app_url = create_postgres_database(postgres_admin)
    tracker_name, tracker_url = create_postgres_database(postgres_admin)
    tracker_url = tracker_url.replace("postgresql+psycopg://", "postgresql://")  # Rasa's psycopg2
    try:
        yield from _start(stack_environment(app_url, tracker_url), folder / "stack.log")
    finally:
        drop_postgres_database(postgres_admin, app_name)
        drop_postgres_database(postgres_admin, tracker_name)
