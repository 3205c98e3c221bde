"""Open console tabs, and telling each when a conversation changed so it re-reads what it shows.

Changes come from the gateway (customer messages, replies) and from console actions in this
process; anything else (the action server queueing a hardship review) is picked up by each
tab's periodic refresh.
"""

import asyncio


class ConsoleTab:
    def __init__(self, agent_id: int) -> None:
        self.agent_id = agent_id
        self.watching: str | None = None
        self.last_message_id = 0
        self.changes: set[str] = set()
        self.wakeup = asyncio.Event()

    def changed(self, conversation_id: str) -> None:
        self.changes.add(conversation_id)
        self.wakeup.set()

    def take_changes(self) -> set[str]:
        changes, self.changes = self.changes, set()
        self.wakeup.clear()
        return changes


class ConsoleHub:
    def __init__(self) -> None:
        self._tabs: set[ConsoleTab] = set()

    def join(self, tab: ConsoleTab) -> None:
        self._tabs.add(tab)

    def leave(self, tab: ConsoleTab) -> None:
        self._tabs.discard(tab)

    def changed(self, conversation_id: str) -> None:
        for tab in self._tabs:
            tab.changed(conversation_id)

    def signed_out(self, agent_id: int) -> None:
        """Wake the agent's tabs at once, so each sees its session is gone and closes."""
        for tab in self._tabs:
            if tab.agent_id == agent_id:
                tab.wakeup.set()
