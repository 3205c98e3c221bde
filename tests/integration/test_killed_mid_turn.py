"""The api killed with `kill -9` while it answers a customer: once an api runs again, the
message is answered exactly once, the customer's page picks up where it was, and order holds."""

import asyncio
import os
import signal
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Direction, Message, MessageStatus, Sender
from tests.fakes.slow_link import SlowLink
from tests.integration.chat_client import ChatClient, bot_texts
from tests.integration.customers import messages_of, query
from tests.stack import free_port, launch, stop, wait_until

MARKER = "halfway through"


def _api_process(port: str) -> int:
    """The api's own process (uvicorn, under its supervisor), found by its port."""
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"api.main:app" in command and port.encode() in command and b"python" in command[0]:
            return int(entry.name)
    raise AssertionError(f"no api process on port {port}")


async def _stored_once(stack, text: str) -> Message:
    for _ in range(100):
        found = await query(stack, select(Message).where(Message.text == text))
        if found:
            [message] = found
            return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} was never stored")


async def test_an_api_killed_mid_turn_loses_nothing_and_doubles_nothing(stack, catalog, tmp_path):
    rasa_port = int(stack.env["CONCORD_RASA_PORT"])
    link = SlowLink(rasa_port, MARKER.encode(), delay=60).start()  # the turn is still running when killed
    doomed_env = stack.env | {
        "CONCORD_API_PORT": str(free_port()),
        "CONCORD_RASA_URL": f"http://127.0.0.1:{link.port}",
    }
    doomed = launch(doomed_env, tmp_path / "doomed.log", "api")
    said = f"hi, {MARKER}"
    try:
        doomed_url = f"http://127.0.0.1:{doomed_env['CONCORD_API_PORT']}"
        wait_until(f"{doomed_url}/healthz", tmp_path / "doomed.log", doomed, timeout=90)
        chat = await ChatClient.connect(doomed_url.replace("http://", "ws://") + "/ws/chat")
        await chat.send_raw(chat.frame(type="message", text=said, client_id="one"))
        inbound = await _stored_once(stack, said)
        assert inbound.status == MessageStatus.RECEIVED  # being answered: Rasa has it, slowly
        os.kill(_api_process(doomed_env["CONCORD_API_PORT"]), signal.SIGKILL)
        doomed.wait(timeout=30)  # its supervisor sees the api die and stops
    finally:
        stop(doomed)
        link.stop()

    # The api comes back (here a second one on the same database; it treats a message that has
    # been `received` for longer than any turn takes as left by a dead process).
    env = stack.env | {"CONCORD_API_PORT": str(free_port()), "CONCORD_TURN_STALLED_SECONDS": "3"}
    revived = launch(env, tmp_path / "revived.log", "api")
    try:
        url = f"http://127.0.0.1:{env['CONCORD_API_PORT']}"
        wait_until(f"{url}/healthz", tmp_path / "revived.log", revived, timeout=90)
        # The page reconnects with its token and sends again what was never acknowledged, as the
        # widget does (same client id).
        back = await ChatClient.connect(url.replace("http://", "ws://") + "/ws/chat", token=chat.token)
        try:
            assert back.conversation_id == chat.conversation_id and not back.errors
            again = await back.say(said, client_id="one")
            [ack] = [f for f in again if f["type"] == "ack"]
            assert ack["duplicate"] and ack["message_id"] == inbound.id
            greeting = catalog.render("utter_greet", "en").text
            seen = [m["text"] for m in back.history] + bot_texts(again)
            while greeting not in seen:
                frame = await back.next_frame(timeout=30)
                seen += [frame["text"]] if frame["type"] == "message" else []
            later = bot_texts(await back.say("what can you do?"))
        finally:
            await back.close()
    finally:
        stop(revived)

    stored = await messages_of(stack, chat.conversation_id)
    customer = [m for m in stored if m.direction == Direction.INBOUND]
    assert [m.text for m in customer] == [said, "what can you do?"], "stored once each, in order"
    assert all(m.status == MessageStatus.ANSWERED for m in customer)
    answers = [m for m in stored if m.reply_to_id == inbound.id and m.sender == Sender.BOT]
    assert [m.text for m in answers] == [greeting], "answered exactly once"
    assert later and max(m.id for m in answers) < min(m.id for m in stored if m.reply_to_id == customer[1].id)
