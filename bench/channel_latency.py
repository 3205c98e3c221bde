"""What one message costs through each channel, against the raw Rasa REST call, on the same run.

    .venv/bin/python -m bench.channel_latency [--messages 40]

Starts the real stack on SQLite with the local Twilio and Telegram fakes (as the integration
tests do), then sends the same opening message from new customers: straight to Rasa's REST
channel, over the web chat WebSocket, as signed Twilio SMS webhooks and as Telegram updates,
timing each until the reply reaches the client or the fake provider.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from twilio.request_validator import RequestValidator

from tests.stack import (
    TELEGRAM,
    TELEGRAM_SECRET,
    TWILIO,
    TWILIO_NUMBER,
    TWILIO_TOKEN,
    launch,
    rasa_channel,
    stack_environment,
    stop,
    wait_until,
)

SAID = "hi"


async def raw_rasa(http: httpx.AsyncClient, env: dict[str, str], n: int) -> float:
    url, headers = rasa_channel(env)
    start = time.perf_counter()
    response = await http.post(url, json={"sender": f"raw-{n}", "message": SAID}, headers=headers)
    assert response.status_code == 200 and response.json()
    return time.perf_counter() - start


async def web_chat(ws_url: str) -> float:
    async with websockets.connect(ws_url) as socket:
        session = json.loads(await socket.recv())["session"]
        await socket.recv()  # history
        start = time.perf_counter()
        await socket.send(json.dumps({"type": "message", "session": session, "text": SAID, "client_id": "b"}))
        while json.loads(await socket.recv())["type"] != "message":
            pass
        return time.perf_counter() - start


async def _until(check) -> None:
    while not check():
        await asyncio.sleep(0.002)


async def sms(http: httpx.AsyncClient, api_url: str, n: int) -> float:
    number, url = f"+6148{n:07d}", f"{api_url}/webhooks/twilio/sms"
    form = {"MessageSid": f"SMbench{n}{time.time_ns()}", "From": number, "To": TWILIO_NUMBER, "Body": SAID}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    start = time.perf_counter()
    await http.post(url, data=form, headers={"X-Twilio-Signature": signature})
    await _until(lambda: TWILIO.to(number))
    return time.perf_counter() - start


async def telegram(http: httpx.AsyncClient, api_url: str, n: int) -> float:
    chat_id = 9_000_000 + n
    update = {
        "update_id": 500_000 + n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Bench", "language_code": "en"},
            "text": SAID,
        },
    }
    start = time.perf_counter()
    await http.post(
        f"{api_url}/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    await _until(lambda: TELEGRAM.to(chat_id))
    return time.perf_counter() - start


def _summary(name: str, seconds: list[float], raw: list[float]) -> str:
    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    p50, q95 = statistics.median(seconds), p95(seconds)
    return (
        f"| {name} | {p50 * 1000:.0f} ms | {q95 * 1000:.0f} ms | "
        f"{p50 / statistics.median(raw):.2f}× | {q95 / p95(raw):.2f}× |"
    )


async def main(messages: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    env = stack_environment(
        f"sqlite+aiosqlite:///{folder / 'concord.db'}",
        f"sqlite:///{folder / 'tracker.db'}",
        CONCORD_WEBCHAT_RATE_LIMIT="1000/minute",
    )
    process = launch(env, folder / "stack.log")
    api_url = f"http://127.0.0.1:{env['CONCORD_API_PORT']}"
    try:
        wait_until(f"{api_url}/healthz", folder / "stack.log", process, timeout=300)
        async with httpx.AsyncClient(timeout=30) as http:
            for n in range(3):  # warm every path once
                await raw_rasa(http, env, -n - 1)
            timings: dict[str, list[float]] = {"raw": [], "web": [], "sms": [], "telegram": []}
            for n in range(messages):  # interleaved, so each path sees the same machine
                timings["raw"].append(await raw_rasa(http, env, n))
                timings["web"].append(await web_chat(api_url.replace("http", "ws") + "/ws/chat"))
                timings["sms"].append(await sms(http, api_url, n))
                timings["telegram"].append(await telegram(http, api_url, n))
    finally:
        stop(process)
    raw = timings["raw"]
    print(f"{messages} new conversations each saying {SAID!r}, one at a time (SQLite, fakes on 127.0.0.1)")
    print("| path | p50 | p95 | p50 / raw | p95 / raw |\n|---|---|---|---|---|")
    for name, label in [
        ("raw", "Raw Rasa REST"),
        ("web", "Web chat (WebSocket)"),
        ("sms", "SMS (signed webhook → reply at the Twilio API)"),
        ("telegram", "Telegram (webhook → reply at the Bot API)"),
    ]:
        print(_summary(label, timings[name], raw))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40)
    asyncio.run(main(parser.parse_args().messages))
