"""Agents at the console, signed in with the live queue open, for the integration tests."""

import pytest

from bot.channels import build_channels, close_channels, senders
from bot.config import ROOT, Settings
from bot.domain.policy import load_policy
from bot.gateway.replies import Replies
from bot.outreach.scheduler import Scheduler
from tests.integration.console_client import Console, add_agent
from tests.stack import (
    TELEGRAM_TOKEN,
    TELEGRAM_URL,
    TWILIO_NUMBER,
    TWILIO_TOKEN,
    TWILIO_URL,
    WHATSAPP_NUMBER,
    WHATSAPP_TEMPLATE,
    WHATSAPP_TEMPLATE_ES,
)


@pytest.fixture
async def console(stack):
    """`await console("ana", ["en"])`: a new agent, signed in, live updates connected."""
    opened: list[Console] = []

    async def sign_in(username: str, languages: list[str], role: str = "agent") -> Console:
        await add_agent(stack, username, languages, role)
        agent = Console(stack)
        assert (await agent.sign_in(username)).status_code == 200
        await agent.connect()
        opened.append(agent)
        return agent

    yield sign_in
    for agent in opened:
        await agent.close()


@pytest.fixture
async def scheduler_for(stack, catalog):
    """`scheduler_for("sms")`: the outreach scheduler over the stack's database, run by the test at
    a moment it chooses (the shared stack runs none, so the demo customers hear nothing)."""
    channels = build_channels(
        Settings(
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token=TWILIO_TOKEN,
            twilio_sms_from=TWILIO_NUMBER,
            twilio_whatsapp_from=WHATSAPP_NUMBER,
            twilio_api_url=TWILIO_URL,
            telegram_bot_token=TELEGRAM_TOKEN,
            telegram_api_url=TELEGRAM_URL,
        )
    )
    database = stack.database()
    templates = {"en": WHATSAPP_TEMPLATE, "es": WHATSAPP_TEMPLATE_ES}

    def build(*enabled: str) -> Scheduler:
        replies = Replies(catalog, channels)
        return Scheduler(
            database, load_policy(ROOT / "creditor.yml"), replies, senders(channels), list(enabled), templates
        )

    yield build
    await close_channels(channels)
    await database.close()
