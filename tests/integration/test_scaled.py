"""The scaled setup on one machine: two api workers (uvicorn's), two Rasa replicas sharing a
PostgreSQL tracker store and Rasa's Redis lock store, a worker process for the loops beside the
web, PostgreSQL for the app and Redis between them all.

Which api worker holds a browser's socket is the kernel's choice: the test finds out from the
workers' open connections, and keeps opening tabs until it has one on each.
"""

import asyncio
import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from unittest.mock import patch

import psutil
import pytest
import redis
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from api.cli import process_environment
from bot.config import ROOT, Settings
from bot.db.models import Direction, Message, MessageStatus
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.console_client import Console, add_agent
from tests.stack import Stack, free_port, launch, stack_environment, stop, wait_until

REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture(scope="module")
def scaled(trained_model, postgres_admin, tmp_path_factory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("scaled")
    app_name, app_url = create_postgres_database(postgres_admin)
    tracker_name, tracker_url = create_postgres_database(postgres_admin)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = stack_environment(
        app_url,
        tracker_url.replace("postgresql+psycopg://", "postgresql://"),  # Rasa's psycopg2
        CONCORD_API_WORKERS="2",
        CONCORD_WORKERS="1",
        CONCORD_REDIS_URL=REDIS_URL,
        # A turn left by a killed process is taken up after this long.
        CONCORD_TURN_STALLED_SECONDS="5",
    )
    # Honcho stops every process when one ends, so the second Rasa replica (the one killed
    # below) is started here, as Kubernetes would run it: same command, same stores.
    spare_port = free_port()
    env["CONCORD_RASA_URL"] = f"http://127.0.0.1:{env['CONCORD_RASA_PORT']},http://127.0.0.1:{spare_port}"
    runner = launch(env, folder / "stack.log")
    stack = Stack(f"http://127.0.0.1:{env['CONCORD_API_PORT']}", app_url, env, folder / "stack.log", [runner])
    stack.spare_rasa = _spare_rasa(stack, spare_port, folder / "spare_rasa.log")
    try:
        wait_until(f"{stack.api_url}/healthz", stack.log, runner, timeout=300)
        wait_until(f"http://127.0.0.1:{spare_port}/", folder / "spare_rasa.log", stack.spare_rasa, 300)
        yield stack
    finally:
        stop(stack.spare_rasa)
        stop(runner)
        drop_postgres_database(postgres_admin, app_name)
        drop_postgres_database(postgres_admin, tracker_name)


def _spare_rasa(stack: Stack, port: int, log) -> subprocess.Popen:
    with patch.dict(os.environ, stack.env, clear=True):
        settings = Settings(_env_file=None)
    env = stack.env | process_environment(settings) | {"CONCORD_RASA_PORT": str(port)}
    rasa = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("rasa:"))
    return subprocess.Popen(
        ["bash", "-c", "exec " + rasa.split(":", 1)[1].strip()],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _processes(stack: Stack) -> list[psutil.Process]:
    return psutil.Process(stack.processes[0].pid).children(recursive=True)


def api_workers(stack: Stack) -> list[psutil.Process]:
    [uvicorn] = [p for p in _processes(stack) if p.cmdline()[1:2] == [".venv/bin/uvicorn"]]
    return uvicorn.children()


def worker_of(stack: Stack, chat: ChatClient) -> int:
    """The pid of the api worker holding this tab's socket."""
    port = chat.websocket.local_address[1]
    for worker in api_workers(stack):
        if any(c.raddr and c.raddr.port == port for c in worker.net_connections("tcp")):
            return worker.pid
    raise AssertionError("no api worker holds this socket")


async def tabs_on_both_workers(stack: Stack) -> tuple[ChatClient, ChatClient]:
    """Two tabs of one conversation, held by different api workers."""
    first = await ChatClient.connect(stack.ws_url)
    for _ in range(40):
        second = await ChatClient.connect(stack.ws_url, token=first.token)
        # The new token reaches the first tab from whichever worker issued it.
        assert (await first.next_frame())["session"] == second.token
        if worker_of(stack, second) != worker_of(stack, first):
            return first, second
        await second.close()
    raise AssertionError("every connection went to one api worker")


async def replies_after(chat: ChatClient, count: int) -> list[str]:
    texts = []
    while len(texts) < count:
        frame = await chat.next_frame()
        if frame["type"] == "message":
            texts.append(frame["text"])
    return texts


async def test_a_reply_reaches_every_tab_whichever_worker_holds_it(scaled):
    first, second = await tabs_on_both_workers(scaled)
    try:
        frames = await first.say("hi")
        said = bot_texts(frames)
        assert said, frames
        # The other worker's tab is sent the same replies, through Redis.
        assert await replies_after(second, len(said)) == said
        frames = await second.say("what do I owe?")
        assert await replies_after(first, len(bot_texts(frames))) == bot_texts(frames)
    finally:
        await first.close()
        await second.close()


async def test_the_console_sees_a_conversation_held_by_the_other_worker(scaled):
    await add_agent(scaled, "noor", ["en"], role="supervisor")  # reads every conversation
    console = Console(scaled)
    first, second = await tabs_on_both_workers(scaled)
    try:
        assert (await console.sign_in("noor")).status_code == 200
        await console.connect()
        console_port = console.live.local_address[1]
        console_worker = next(
            w.pid
            for w in api_workers(scaled)
            if any(c.raddr and c.raddr.port == console_port for c in w.net_connections("tcp"))
        )
        away = first if worker_of(scaled, first) != console_worker else second
        await console.watch(away.conversation_id)
        said = bot_texts(await away.say("hi"))
        shown: list[dict] = []

        def everything_shown(frame: dict) -> bool:
            if frame["type"] == "messages" and frame["conversation_id"] == away.conversation_id:
                shown.extend(frame["messages"])
            return [m["text"] for m in shown if m["sender"] != "customer"][-len(said) :] == said

        await console.frame_where(everything_shown)
        assert "hi" in [m["text"] for m in shown if m["sender"] == "customer"]
        await away.say("can I talk to a person please")
        await console.frame_where(
            lambda f: (
                f["type"] == "lists" and any(i["conversation_id"] == away.conversation_id for i in f["queue"])
            )
        )
    finally:
        await console.close()
        await first.close()
        await second.close()


class Customer:
    """A web-chat customer who comes back when the socket drops and says again what was not
    acknowledged (the widget does the same, with the same client id)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.chat: ChatClient | None = None
        self.seen: set[int] = set()
        self.reconnections = 0

    async def open(self) -> None:
        self.chat = await ChatClient.connect(self.stack.ws_url)

    async def say(self, text: str) -> None:
        client_id = str(uuid.uuid4())
        for _ in range(10):
            try:
                frames = await self.chat.say(text, client_id=client_id)
                replies = [f for f in frames if f["type"] == "message"]
                while not replies:  # answered later (by the worker, after a crash): it still comes
                    frame = await self.chat.next_frame(timeout=60)
                    replies += [frame] if frame["type"] == "message" else []
                self.seen |= {f["id"] for f in replies}
                return
            except ConnectionClosed:  # the worker holding the socket was killed: come back
                if await self._come_back(text):
                    return  # answered while the tab was away: the history has it
        raise AssertionError(f"{text!r} was never answered")

    async def _come_back(self, text: str) -> bool:
        """Reconnect as the widget does; whether the history shows `text` answered."""
        self.reconnections += 1
        await asyncio.sleep(0.5)
        self.chat = await ChatClient.connect(
            self.stack.ws_url, token=self.chat.token, after=max(self.seen, default=0)
        )
        history = self.chat.history
        mine = [n for n, m in enumerate(history) if m["sender"] == "customer" and m["text"] == text]
        answers = [m for m in history[mine[-1] + 1 :] if m["sender"] != "customer"] if mine else []
        self.seen |= {m["id"] for m in history if m["sender"] != "customer"}
        return bool(answers)


async def _traffic(stack: Stack, customers: int, kill) -> list[Customer]:
    people = [Customer(stack) for _ in range(customers)]
    for person in people:
        await person.open()
    await asyncio.gather(*(p.say("hi") for p in people))
    killing = asyncio.create_task(kill(people))
    await asyncio.gather(*(p.say("what do I owe?") for p in people))
    await asyncio.gather(*(p.say("thanks, that's all") for p in people))
    await killing
    return people


async def _nothing_lost(stack: Stack, people: list[Customer]) -> None:
    """Every message each customer sent is stored once and answered, and a reply follows it."""
    database = stack.database()
    try:
        async with database.session() as session:
            for person in people:
                messages = list(
                    await session.scalars(
                        select(Message)
                        .where(Message.conversation_id == person.chat.conversation_id)
                        .order_by(Message.id)
                    )
                )
                said = [m for m in messages if m.direction == Direction.INBOUND]
                assert [m.text for m in said] == ["hi", "what do I owe?", "thanks, that's all"]
                assert {m.status for m in said} == {MessageStatus.ANSWERED}
                assert messages[-1].direction == Direction.OUTBOUND
    finally:
        await database.close()
    for person in people:
        await person.chat.close()


async def test_killing_an_api_worker_mid_traffic_loses_nothing(scaled):
    killed: list[int] = []

    async def kill(people: list[Customer]) -> None:
        holding = Counter(worker_of(scaled, person.chat) for person in people)
        await asyncio.sleep(0.3)  # while the second messages are being answered
        victim = holding.most_common(1)[0][0]  # the worker holding most of the customers' sockets
        killed.append(victim)
        os.kill(victim, signal.SIGKILL)

    people = await _traffic(scaled, 8, kill)
    assert killed
    assert sum(p.reconnections for p in people) > 0, "no customer was on the killed worker"
    await _nothing_lost(scaled, people)
    # uvicorn starts another worker in its place.
    await _eventually_two_workers(scaled)


async def _eventually_two_workers(stack: Stack) -> None:
    async with asyncio.timeout(60):
        while len(api_workers(stack)) < 2:
            await asyncio.sleep(0.5)


async def test_killing_a_rasa_replica_mid_traffic_loses_nothing(scaled):
    async def kill(_people: list[Customer]) -> None:
        await asyncio.sleep(0.3)
        os.killpg(scaled.spare_rasa.pid, signal.SIGKILL)

    people = await _traffic(scaled, 8, kill)
    assert scaled.spare_rasa.wait(timeout=10) == -signal.SIGKILL
    await _nothing_lost(scaled, people)
    # Nobody was told the assistant was away: the other replica took the turns.
    database = scaled.database()
    try:
        async with database.session() as session:
            waited = await session.scalar(
                select(Message.id).where(
                    Message.conversation_id.in_([p.chat.conversation_id for p in people]),
                    Message.status == MessageStatus.PENDING,
                )
            )
        assert waited is None
    finally:
        await database.close()
    stop(scaled.spare_rasa)
