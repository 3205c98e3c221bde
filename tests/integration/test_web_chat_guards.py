"""The web chat's guards: which pages may open it, the token on every frame, the rate limit, languages."""

import asyncio

import httpx
import pytest
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from bot.db.models import Message, MessageStatus
from tests.integration.chat_client import ChatClient, bot_texts
from tests.stack import HOST_PAGE_ORIGIN


async def _rejected(stack, conversation_id: str) -> list[tuple[str, str]]:
    database = stack.database()
    try:
        async with database.session() as session:
            rows = await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.status == MessageStatus.REJECTED)
                .order_by(Message.id)
            )
            return [(m.error, m.text) for m in rows]
    finally:
        await database.close()


async def test_a_page_on_another_site_cannot_open_a_chat(stack):
    with pytest.raises(InvalidStatus) as refused:
        await ChatClient.connect(stack.ws_url, origin="https://lookalike-creditor.example")
    assert refused.value.response.status_code == 403


async def test_the_creditors_own_pages_and_the_configured_site_can(stack):
    for origin in (stack.api_url, HOST_PAGE_ORIGIN):
        client = await ChatClient.connect(stack.ws_url, origin=origin)
        await client.close()
        assert client.session["type"] == "session"


async def test_a_frame_without_this_chats_token_is_refused_and_kept_on_record(stack, catalog):
    other = await ChatClient.connect(stack.ws_url)
    await other.close()
    client = await ChatClient.connect(stack.ws_url)
    try:
        await client.send_raw('{"type": "message", "text": "hi there"}')
        [missing] = await client.turn()
        await client.send_raw(client.frame(type="message", text="hello", session=other.token))
        [foreign] = await client.turn()
        still_talking = bot_texts(await client.say("hello"))
    finally:
        await client.close()
    assert (missing["code"], foreign["code"]) == ("invalid_session", "invalid_session")
    assert missing["message"] == catalog.render("error_session_expired", "en").text
    assert still_talking == [catalog.render("utter_greet", "en").text]
    assert [error for error, _ in await _rejected(stack, client.conversation_id)] == [
        "invalid_session",
        "invalid_session",
    ]


async def test_a_chat_sending_faster_than_the_limit_is_asked_to_wait(stack, catalog):
    allowed = int(stack.env["CONCORD_WEBCHAT_RATE_LIMIT"].split("/")[0])
    client = await ChatClient.connect(stack.ws_url)
    try:
        for _ in range(allowed):
            await client.send_raw(client.frame(type="ping"))
            assert (await client.next_frame())["type"] == "pong"
        await client.send_raw(client.frame(type="message", text="one too many"))
        [limited] = await client.turn()
    finally:
        await client.close()
    assert limited["code"] == "rate_limited"
    assert limited["message"] == catalog.render("error_rate_limited", "en").text
    [(error, text)] = await _rejected(stack, client.conversation_id)
    assert error == "rate_limited" and "one too many" in text


async def test_the_language_picker_switches_the_conversation_at_once(stack, catalog):
    client = await ChatClient.connect(stack.ws_url)
    try:
        await client.send_raw(client.frame(type="language", language="xx"))
        unsupported = await client.next_frame()
        await client.send_raw(client.frame(type="language", language="id"))
        switched = await client.next_frame()
        greeting = bot_texts(await client.say("halo"))
    finally:
        await client.close()
    assert unsupported["code"] == "unsupported_language"
    assert switched == {"type": "language", "language": "id"}
    assert greeting == [catalog.render("utter_greet", "id").text]
    resumed = await ChatClient.connect(stack.ws_url, token=client.token)
    await resumed.close()
    assert resumed.session["language"] == "id"


async def test_the_widget_reads_its_labels_from_the_locales_across_origins(stack, catalog):
    async with httpx.AsyncClient() as http:
        allowed = await http.get(f"{stack.api_url}/widget/config", headers={"Origin": HOST_PAGE_ORIGIN})
        elsewhere = await http.get(
            f"{stack.api_url}/widget/config", headers={"Origin": "https://lookalike-creditor.example"}
        )
        script = await http.get(f"{stack.api_url}/widget.js")
    config = allowed.json()
    assert allowed.headers["access-control-allow-origin"] == HOST_PAGE_ORIGIN
    assert "access-control-allow-origin" not in elsewhere.headers
    assert {entry["code"] for entry in config["languages"]} == set(catalog.languages)
    assert config["labels"]["en"]["launcher"] == catalog.interface_labels("en")["launcher"]
    assert script.headers["content-type"].startswith("text/javascript")


async def test_session_tokens_never_reach_the_logs(stack):
    client = await ChatClient.connect(stack.ws_url)
    await client.say("hello")
    await client.close()
    resumed = await ChatClient.connect(stack.ws_url, token=client.token)  # the token in the URL
    await resumed.close()
    await asyncio.sleep(1)  # the supervisor writes the api's lines as they come
    log = stack.log.read_text(errors="replace")
    assert client.token not in log and resumed.token not in log
    assert "session=[redacted]" in log, "the request line is still logged, without its token"
