"""What the processes of one deployment agree on: one turn at a time per conversation, and news
that something changed (a conversation, the outbox, a console sign-out) for whichever process
holds the browser tab or the worker loop that must act on it.

In one process (the embedded default) both stay in memory. With `CONCORD_REDIS_URL` they go
through Redis: a lock per conversation with a lease (a process killed mid-turn frees it when the
lease runs out) and pub/sub, which every process, the publisher too, hears.
"""

import asyncio
import json
import logging
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], Awaitable[None] | None]


class LocalCoordination:
    """One process: locks and news in memory."""

    def __init__(self) -> None:
        # A lock lives only while someone holds or awaits it, so quiet conversations cost nothing.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._listeners: defaultdict[str, list[Listener]] = defaultdict(list)

    def subscribe(self, topic: str, listener: Listener) -> None:
        self._listeners[topic].append(listener)

    @asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation: one message (or agent reply) at a time, in order."""
        async with self._local_lock(conversation_id):
            yield

    async def publish(self, topic: str, **news: Any) -> None:
        await self._tell(topic, news)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def _local_lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock

    async def _tell(self, topic: str, news: dict[str, Any]) -> None:
        for listener in self._listeners.get(topic, []):
            try:
                outcome = listener(news)
                if asyncio.iscoroutine(outcome):
                    await outcome
            except Exception:
                log.exception("a listener for %s failed", topic)


class RedisCoordination(LocalCoordination):
    """Many processes, on one Redis."""

    def __init__(self, url: str, lease_seconds: float) -> None:
        import redis.asyncio

        super().__init__()
        self.redis = redis.asyncio.Redis.from_url(url)
        self.lease_seconds = lease_seconds
        # Pub/sub is not per database: the database number keeps deployments sharing a Redis apart.
        self.channel = f"concord:{self.redis.connection_pool.connection_kwargs.get('db', 0)}:news"
        self._listening: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    @asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        # Waiters in this process queue on the local lock, so only one of them polls Redis.
        async with self._local_lock(conversation_id):
            lock = self.redis.lock(f"concord:turn:{conversation_id}", timeout=self.lease_seconds, sleep=0.02)
            await lock.acquire()
            try:
                yield
            finally:
                try:
                    await lock.release()
                except Exception:  # the lease ran out: another process may have the turn now
                    log.warning("a conversation's turn outlasted its lease")

    async def publish(self, topic: str, **news: Any) -> None:
        await self.redis.publish(self.channel, json.dumps({"topic": topic, "news": news}))

    async def start(self) -> None:
        self._listening = asyncio.create_task(self._listen_forever())
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with suppress(asyncio.CancelledError):
                await self._listening
        await self.redis.aclose()

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            said = json.loads(message["data"])
                            await self._tell(said["topic"], said["news"])
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis went away: news meanwhile is missed (tabs catch up on their next
                # refresh or reconnect, the outbox on its next poll).
                log.warning("lost Redis pub/sub; listening again shortly")
                await asyncio.sleep(1)


def coordination_for(redis_url: str, lease_seconds: float) -> LocalCoordination:
    return RedisCoordination(redis_url, lease_seconds) if redis_url else LocalCoordination()
