"""A gateway over a real database, with the assistant unreachable (nothing listens on its port)."""

import socket

import pytest

from bot.config import ROOT, Settings
from bot.domain.policy import load_policy
from bot.gateway.assistant import RasaClient
from bot.gateway.care import MoodRule
from bot.gateway.customer_state import Timing
from bot.gateway.intake import Gateway
from bot.understanding.language import default_detector

POLICY = load_policy(ROOT / "creditor.yml")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def gateway(db, catalog):
    rasa = RasaClient([f"http://127.0.0.1:{_closed_port()}"], timeout_seconds=2)
    yield Gateway(
        db,
        rasa,
        catalog,
        max_message_chars=50,
        detector=default_detector(),
        policy=POLICY,
        mood=MoodRule(threshold=-0.5, at_least=3),
        timing=Timing.from_settings(Settings()),
    )
    await rasa.close()
