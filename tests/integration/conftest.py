"""Agents at the console, signed in with the live queue open, for the integration tests."""

import pytest

from tests.integration.console_client import Console, add_agent


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
