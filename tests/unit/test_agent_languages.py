"""Which waiting conversations an agent is offered: by the languages they read."""

from bot.db.models import Agent, AgentRole, Conversation
from bot.people.handoff import can_read


def test_a_reader_of_a_language_reads_it_in_either_script():
    agent = Agent(role=AgentRole.AGENT, languages=["hi"])
    assert can_read(agent, Conversation(language="hi-Latn"))
    assert can_read(agent, Conversation(language="hi"))
    assert not can_read(agent, Conversation(language="en"))
    assert can_read(Agent(role=AgentRole.SUPERVISOR, languages=[]), Conversation(language="en"))
