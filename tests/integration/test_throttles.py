"""Throttles that slow an attacker at one address without locking the real agent or customer
out: on an api of their own (every other test speaks from 127.0.0.1 too)."""

from types import SimpleNamespace

import httpx
import pytest
import websockets

from tests.integration.chat_client import ChatClient
from tests.integration.console_client import PASSWORD, Console, add_agent
from tests.stack import free_port, launch, stop, wait_until


@pytest.fixture
def guarded_api(stack, tmp_path):
    """A second api on the same database, with small per-address limits."""
    env = stack.env | {
        "CONCORD_API_PORT": str(free_port()),
        "CONCORD_CONSOLE_LOGIN_ADDRESS_LIMIT": "8/minute",
        "CONCORD_CONSOLE_LOGIN_LIMIT": "4/minute",
        "CONCORD_WEBCHAT_NEW_CONVERSATION_LIMIT": "3/minute",
    }
    env["CONCORD_PUBLIC_URL"] = f"http://127.0.0.1:{env['CONCORD_API_PORT']}"
    log = tmp_path / "guarded-api.log"
    api = launch(env, log, "api")
    try:
        wait_until(f"{env['CONCORD_PUBLIC_URL']}/healthz", log, api, timeout=90)
        yield env["CONCORD_PUBLIC_URL"]
    finally:
        stop(api)


async def test_guessing_many_usernames_from_one_address_is_slowed_and_spellings_count_as_one(
    stack, guarded_api
):
    await add_agent(stack, "tess", ["en"])
    console = Console(SimpleNamespace(api_url=guarded_api))
    try:
        spellings = [
            (await console.sign_in(name, "wrong")).status_code for name in ["tess", " Tess", "TESS ", "tess"]
        ]
        after_name_limit = (await console.sign_in("tess", PASSWORD)).status_code
        others = [(await console.sign_in(f"nobody-{n}", "wrong")).status_code for n in range(3)]
        after_address_limit = (await console.sign_in("someone-else", "wrong")).status_code
    finally:
        await console.close()
    assert spellings == [401, 401, 401, 401]
    assert after_name_limit == 429, "one name in any spelling is one name"
    assert others == [401, 401, 401]
    assert after_address_limit == 429, "many names from one address are slowed too"


async def test_one_address_opening_many_new_chats_is_refused_but_its_chats_go_on(guarded_api):
    ws_url = guarded_api.replace("http://", "ws://") + "/ws/chat"
    opened = [await ChatClient.connect(ws_url) for _ in range(3)]
    try:
        with pytest.raises(websockets.ConnectionClosed) as refused:
            await ChatClient.connect(ws_url)
        resumed = await ChatClient.connect(ws_url, token=opened[0].token, after=10**9)
        await resumed.close()
    finally:
        for chat in opened:
            await chat.close()
    assert refused.value.rcvd.code == 1008
    assert resumed.conversation_id == opened[0].conversation_id, "resuming is not opening a new one"


async def test_a_flood_of_frames_we_cannot_read_closes_the_connection(stack):
    client = await ChatClient.connect(stack.ws_url)
    closed = None
    try:
        for _ in range(60):
            await client.send_raw("x" * 1000)
        while True:
            await client.next_frame(timeout=10)
    except websockets.ConnectionClosed as error:
        closed = error
    assert closed is not None and closed.rcvd.code == 1008
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{stack.api_url}/healthz")).status_code == 200
