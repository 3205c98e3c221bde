"""Processes of one deployment hold a conversation's turn and hear each other's news, through the
Redis this machine runs (two coordinations stand for two processes)."""

import asyncio
import uuid

import pytest

from bot.gateway.coordination import LocalCoordination, RedisCoordination

REDIS = "redis://127.0.0.1:6379/9"


@pytest.fixture
async def processes():
    pair = [RedisCoordination(REDIS, lease_seconds=2), RedisCoordination(REDIS, lease_seconds=2)]
    for one in pair:
        await one.start()
    yield pair
    for one in pair:
        await one.close()


async def test_one_turn_at_a_time_per_conversation_across_processes(processes):
    first, second = processes
    conversation, order = str(uuid.uuid4()), []

    async def turn(coordination, name: str) -> None:
        async with coordination.turn(conversation):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.gather(turn(first, "a"), turn(second, "b"), turn(first, "c"))
    assert [step.split()[1] for step in order] == ["in", "out"] * 3
    # Another conversation is not held up by this one.
    async with first.turn(conversation):
        async with asyncio.timeout(1):
            async with second.turn(str(uuid.uuid4())):
                pass


async def test_a_turn_held_by_a_process_that_died_is_freed_when_its_lease_runs_out(processes):
    first, second = processes
    conversation = str(uuid.uuid4())
    dead = first.redis.lock(f"concord:turn:{conversation}", timeout=1)  # taken and never released
    assert await dead.acquire()
    async with asyncio.timeout(3):
        async with second.turn(conversation):
            pass
    with pytest.raises(TimeoutError):  # while the lease holds, nobody else gets the turn
        await first.redis.lock(f"concord:turn:{conversation}", timeout=5).acquire()
        async with asyncio.timeout(0.5):
            async with second.turn(conversation):
                pass


async def test_news_reaches_every_process_the_publisher_too(processes):
    first, second = processes
    heard: list[tuple[str, dict]] = []
    first.subscribe("conversation", lambda news: heard.append(("first", news)))

    async def later(news: dict) -> None:
        heard.append(("second", news))

    second.subscribe("conversation", later)
    second.subscribe("outbox", lambda news: heard.append(("outbox", news)))
    await first.publish("conversation", id="abc")

    async def both() -> None:
        while len(heard) < 2:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(both(), timeout=5)
    assert sorted(heard) == [("first", {"id": "abc"}), ("second", {"id": "abc"})]


async def test_a_deployment_on_another_redis_database_hears_nothing(processes):
    other = RedisCoordination("redis://127.0.0.1:6379/8", lease_seconds=2)
    await other.start()
    heard = []
    other.subscribe("conversation", heard.append)
    try:
        await processes[0].publish("conversation", id="abc")
        await asyncio.sleep(0.3)
        assert heard == []
    finally:
        await other.close()


async def test_in_one_process_news_and_turns_stay_in_memory():
    one = LocalCoordination()
    heard = []
    one.subscribe("conversation", heard.append)
    await one.publish("conversation", id="abc")
    assert heard == [{"id": "abc"}]
    async with one.turn("abc"):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                async with one.turn("abc"):
                    pass
