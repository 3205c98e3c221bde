"""The console's doors: sign-in, cookies, CSRF, origins, roles and languages, on the real api."""

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.integration.console_client import PASSWORD, Console, add_agent
from tests.integration.phone import Phone


async def test_without_signing_in_there_is_only_the_sign_in_page(stack):
    page = httpx.get(f"{stack.api_url}/console", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    assert httpx.get(f"{stack.api_url}/console/api/queue").status_code == 401
    with pytest.raises(InvalidStatus):
        await websockets.connect(stack.api_url.replace("http", "ws") + "/console/ws", origin=stack.api_url)


async def test_the_session_cookie_is_http_only_and_strict_and_a_wrong_password_is_refused(stack):
    await add_agent(stack, "cora", ["en"])
    console = Console(stack)
    try:
        assert (await console.sign_in("cora", PASSWORD + "!")).status_code == 401
        response = await console.sign_in("cora")
        cookie = response.headers["set-cookie"].casefold()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
        assert PASSWORD not in response.text
    finally:
        await console.close()


async def test_guessing_passwords_is_slowed_down(stack):
    console = Console(stack)
    try:
        codes = [(await console.sign_in("guessed", f"wrong-{n}")).status_code for n in range(11)]
    finally:
        await console.close()
    assert codes[:10] == [401] * 10 and codes[10] == 429


async def test_changes_need_the_csrf_token_and_our_own_origin(stack, console):
    dora = await console("dora", ["en"])
    forged = await dora.http.post("/console/api/handoffs/1/claim", json={})
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    elsewhere = await dora.http.post(
        "/console/api/handoffs/1/claim",
        json={},
        headers={"X-CSRF-Token": dora.csrf, "Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    cookie = "; ".join(f"{k}={v}" for k, v in dora.http.cookies.items())
    with pytest.raises(InvalidStatus):
        await websockets.connect(
            stack.api_url.replace("http", "ws") + "/console/ws",
            origin="https://evil.example",
            additional_headers={"Cookie": cookie},
        )


async def test_agents_are_offered_only_conversations_they_can_read_and_act_only_on_their_own(stack, console):
    phone = Phone(stack, "+61400000933")
    phone.text("I'd like to speak to a human")
    await phone.replies_until(lambda r: len(r) >= 1)
    kenji = await console("kenji", ["ja"])
    eve = await console("eve", ["en"])
    waiting = [i for i in (await eve.get("/console/api/queue")).json()["queue"] if i["channel"] == "sms"]
    [item] = [i for i in waiting if i["reason"] == "customer_request" and i["language"] == "en"][-1:]
    assert item["conversation_id"] not in {
        i["conversation_id"] for i in (await kenji.get("/console/api/queue")).json()["queue"]
    }
    assert (await kenji.post(f"/console/api/handoffs/{item['handoff_id']}/claim")).status_code == 403
    assert (await kenji.get(f"/console/api/conversations/{item['conversation_id']}")).status_code == 403

    reply = f"/console/api/conversations/{item['conversation_id']}/reply"
    assert (await eve.post(reply, {"text": "hello"})).status_code == 409, "claim first"
    assert (await eve.post(f"/console/api/handoffs/{item['handoff_id']}/claim")).status_code == 200
    assert (await eve.post(f"/console/api/handoffs/{item['handoff_id']}/claim")).status_code == 409
    assert (await eve.post(reply, {"text": ""})).status_code == 422

    assert (await eve.get("/console/api/supervisor")).status_code == 403
    sam = await console("sam", [], role="supervisor")
    overview = (await sam.get("/console/api/supervisor")).json()
    held = {a["username"]: a["holding"] for a in overview["agents"]}
    assert item["conversation_id"] in {c["conversation_id"] for c in overview["recent"]}
    assert held["eve"] >= 1
    assert any(
        c["conversation_id"] == item["conversation_id"] and c["claimed_by"] == "Eve"
        for c in overview["conversations"]
    )
    assert (
        await eve.post(f"/console/api/conversations/{item['conversation_id']}/close", {"outcome": "resolved"})
    ).status_code == 200


async def test_watching_over_the_live_socket_is_reading_and_needs_the_same_permission(stack, console):
    phone = Phone(stack, "+61400000934")
    phone.text("can I talk to a real person please")
    await phone.replies_until(lambda r: len(r) >= 1)
    ivy = await console("ivy", ["en"])
    queued = await ivy.frame_where(lambda f: f["type"] == "lists" and f["queue"])
    [item] = [i for i in queued["queue"] if i["channel"] == "sms" and i["language"] == "en"][-1:]
    conversation_id = item["conversation_id"]

    kenji = await console("kenji2", ["ja"])
    await kenji.watch(conversation_id)
    refused = await kenji.frame_where(lambda f: f["type"] in {"error", "messages"})
    assert refused["type"] == "error" and refused["watch"] == conversation_id, "no transcript for a ja reader"

    await ivy.watch(conversation_id)
    shown = await ivy.frame_where(lambda f: f["type"] == "messages")
    assert any(m["sender"] == "customer" for m in shown["messages"])
    assert (
        await ivy.post(f"/console/api/conversations/{conversation_id}/lift-care-pause")
    ).status_code == 409, "a care pause is lifted only by the person who has the conversation"


async def test_signing_out_closes_the_live_socket(stack, console):
    jude = await console("jude", ["en"])
    await jude.frame_where(lambda f: f["type"] == "lists")
    assert (await jude.post("/console/logout")).status_code == 200
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await jude.frame_where(lambda f: False, timeout=10)
    assert closed.value.rcvd.code == 1008
