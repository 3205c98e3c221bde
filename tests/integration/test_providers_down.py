"""A provider that is down takes down only its own channel: the api starts, the web chat
answers, /healthz names the channel, and the channel comes back by itself with the provider."""

import httpx

from tests.fakes.telegram_api import FakeTelegram
from tests.integration.chat_client import ChatClient, bot_texts
from tests.stack import eventually, free_port, launch, stop, wait_until


async def test_the_api_starts_with_telegram_unreachable_and_the_channel_recovers_when_it_returns(
    stack, catalog, tmp_path
):
    # A second api on the same database and assistant whose Telegram address answers nothing.
    telegram_port = free_port()
    env = stack.env | {
        "CONCORD_API_PORT": str(free_port()),
        "CONCORD_TELEGRAM_API_URL": f"http://127.0.0.1:{telegram_port}",
    }
    log = tmp_path / "api-without-telegram.log"
    api = launch(env, log, "api")
    server = None
    try:
        api_url = f"http://127.0.0.1:{env['CONCORD_API_PORT']}"
        wait_until(f"{api_url}/healthz", log, api, timeout=90)
        health = httpx.get(f"{api_url}/healthz", timeout=5)
        assert health.status_code == 200, "the core is up: nothing to restart"
        assert (health.json()["status"], health.json()["telegram"]) == ("degraded", "down")

        chat = await ChatClient.connect(api_url.replace("http://", "ws://") + "/ws/chat")
        try:
            greeting = bot_texts(await chat.say("hi"))
        finally:
            await chat.close()
        assert greeting == [catalog.render("utter_greet", "en").text]

        server, _ = FakeTelegram().start(telegram_port)  # Telegram is back, at the same address
        back = await eventually(
            lambda: httpx.get(f"{api_url}/healthz", timeout=5).json(), lambda h: h["telegram"] == "ok"
        )
        assert back["status"] == "ok"
    finally:
        stop(api)
        if server is not None:
            server.shutdown()
