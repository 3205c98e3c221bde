"""Several Rasa replicas: conversations spread over them; with a store each (SQLite) a
conversation stays on its own, with a shared store (PostgreSQL) any replica that answers takes it."""

import asyncio
import socket

import pytest
from aiohttp import web

from api.cli import process_environment, procfile
from bot.config import Settings
from bot.gateway.assistant import AssistantUnavailable, RasaClient


def test_a_conversation_always_goes_first_to_the_same_replica_and_conversations_spread_over_all():
    client = RasaClient(["http://127.0.0.1:5005", "http://127.0.0.1:5006"], timeout_seconds=1)
    ids = [f"conversation-{n}" for n in range(1000)]
    first = [client.replica_for(i) for i in ids]
    assert first == [client.replica_for(i) for i in ids]
    assert 400 < first.count(0) < 600


def test_each_replica_gets_its_own_port_and_sqlite_tracker_and_shares_a_server_store():
    settings = Settings(
        _env_file=None, rasa_port=6000, rasa_replicas=3, tracker_url="sqlite:////srv/var/rasa_tracker.db"
    )
    assert settings.rasa_base_urls() == [f"http://127.0.0.1:{port}" for port in (6000, 6001, 6002)]
    assert settings.tracker_url_for(2) == "sqlite:////srv/var/rasa_tracker_2.db"
    assert not settings.shared_trackers()
    shared = Settings(_env_file=None, rasa_replicas=2, tracker_url="postgresql://db/tracker")
    assert shared.tracker_url_for(1) == "postgresql://db/tracker"
    assert shared.shared_trackers()
    lines = procfile(settings).read_text().splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("rasa")] == ["rasa", "rasa_1", "rasa_2"]
    assert (
        "export CONCORD_RASA_PORT=6002 CONCORD_TRACKER_URL=sqlite:////srv/var/rasa_tracker_2.db;" in lines[-1]
    )


def test_replicas_sharing_a_tracker_store_share_rasas_redis_lock_store():
    alone = process_environment(Settings(_env_file=None))
    assert alone["CONCORD_RASA_ENDPOINTS"] == "endpoints.yml"
    assert "CONCORD_LOCK_STORE_HOST" not in alone
    scaled = process_environment(
        Settings(
            _env_file=None,
            rasa_replicas=2,
            tracker_url="postgresql://db/tracker",
            redis_url="redis://cache.internal:6380/3",
        )
    )
    assert scaled["CONCORD_RASA_ENDPOINTS"] == "endpoints-shared.yml"
    assert (scaled["CONCORD_LOCK_STORE_HOST"], scaled["CONCORD_LOCK_STORE_PORT"]) == (
        "cache.internal",
        "6380",
    )
    assert scaled["CONCORD_LOCK_STORE_DB"] == "3"


def test_workers_get_processes_of_their_own_and_need_redis():
    embedded = Settings(_env_file=None, outreach_channels=["sms"])
    assert not any(line.startswith("worker") for line in procfile(embedded).read_text().splitlines())
    apart = Settings(_env_file=None, workers=2, api_workers=2, redis_url="redis://127.0.0.1:6379/0")
    workers = [line for line in procfile(apart).read_text().splitlines() if line.startswith("worker")]
    assert workers == [f"worker_{n}: .venv/bin/python -m api.cli worker" for n in (0, 1)]
    assert process_environment(apart)["CONCORD_API_WORKERS"] == "2"
    assert apart.limit_storage() == "async+redis://127.0.0.1:6379/0"  # every api worker counts together
    with pytest.raises(ValueError, match="CONCORD_REDIS_URL"):
        Settings(_env_file=None, api_workers=2)
    with pytest.raises(ValueError, match="CONCORD_REDIS_URL"):
        Settings(_env_file=None, workers=1)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _replica(replies: list[dict]) -> tuple[web.AppRunner, str, list[str]]:
    """A stand-in for a Rasa replica's REST channel that records who it answered."""
    heard: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        heard.append((await request.json())["sender"])
        return web.json_response(replies)

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", webhook)

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}", heard


async def test_with_shared_trackers_a_replica_that_is_down_is_passed_over():
    runner, url, heard = await _replica([{"text": "hello"}])
    down = f"http://127.0.0.1:{_closed_port()}"
    shared = RasaClient([down, url], timeout_seconds=2, token="t", shared_trackers=True)
    own = RasaClient([down, url], timeout_seconds=2, token="t")
    try:
        # Conversations whose first choice is the replica that is down.
        ids = [i for i in (f"c{n}" for n in range(50)) if shared.replica_for(i) == 0][:5]
        for conversation in ids:
            assert [r.text for r in await shared.send(conversation, "hi", {})] == ["hello"]
        assert heard == ids
        assert await shared.is_up()  # one replica can take every turn
        with pytest.raises(AssistantUnavailable):  # its own store is on the replica that is down
            await own.send(ids[0], "hi", {})
        assert not await own.is_up()
    finally:
        await shared.close()
        await own.close()
        await runner.cleanup()


async def test_a_replica_that_is_slow_is_not_passed_over():
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response([])

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    slow_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    other, url, heard = await _replica([{"text": "hello"}])
    client = RasaClient([slow_url, url], timeout_seconds=0.5, token="t", shared_trackers=True)
    try:
        conversation = next(i for i in (f"c{n}" for n in range(50)) if client.replica_for(i) == 0)
        # It may still finish the turn: sending it elsewhere too would answer the message twice.
        with pytest.raises(AssistantUnavailable):
            await client.send(conversation, "hi", {})
        assert heard == []
    finally:
        await client.close()
        await runner.cleanup()
        await other.cleanup()
