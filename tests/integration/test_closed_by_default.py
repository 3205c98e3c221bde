"""Nothing internal answers a caller without the internal token: the action server (which holds
customers' balances and can agree plans) and the api's /nlg, on the real stack."""

import httpx

from bot.db.demo_data import DEMO_CUSTOMERS
from tests.stack import rasa_channel

MIA = DEMO_CUSTOMERS[0]


def _action_call(conversation_id: str) -> dict:
    return {
        "next_action": "action_check_balance",
        "sender_id": conversation_id,
        "tracker": {"sender_id": conversation_id, "slots": {}, "latest_message": {}, "events": []},
        "domain": {},
    }


async def test_the_action_server_answers_only_with_the_internal_token(stack):
    actions = f"http://127.0.0.1:{stack.env['CONCORD_ACTIONS_PORT']}"
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"{actions}/health")).status_code == 200
        anyone = await client.post(f"{actions}/webhook", json=_action_call("someone-elses-chat"))
        forged = await client.post(
            f"{actions}/webhook",
            json=_action_call("someone-elses-chat"),
            headers={"Authorization": "Bearer change-me"},
        )
        listed = await client.get(f"{actions}/actions")
    assert (anyone.status_code, forged.status_code, listed.status_code) == (401, 401, 401)
    assert MIA.reference not in anyone.text + forged.text


async def test_responses_are_rendered_only_for_the_internal_caller(stack):
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.post(
            f"{stack.api_url}/nlg", json={"response": "utter_balance", "arguments": {}, "tracker": {}}
        )
    assert refused.status_code == 401


async def test_rasa_takes_messages_only_from_the_gateway(stack):
    url, headers = rasa_channel(stack.env)
    said = {"sender": "someone-elses-chat", "message": "/ask_minimum_payment"}
    rasa = f"http://127.0.0.1:{stack.env['CONCORD_RASA_PORT']}"
    async with httpx.AsyncClient(timeout=30) as client:
        anyone = await client.post(url, json=said)
        forged = await client.post(url, json=said, headers={"Authorization": "Bearer change-me"})
        open_channel = await client.post(f"{rasa}/webhooks/rest/webhook", json=said)
        gateway = await client.post(url, json={"sender": "gateway-check", "message": "hi"}, headers=headers)
    assert (anyone.status_code, forged.status_code) == (401, 401)
    assert open_channel.status_code == 404, "Rasa's own REST channel, which asks nothing, is not enabled"
    assert gateway.status_code == 200 and gateway.json()


async def test_api_docs_are_off_and_every_page_sends_security_headers(stack):
    async with httpx.AsyncClient(timeout=10) as client:
        docs = [
            (await client.get(f"{stack.api_url}{path}")).status_code for path in ("/docs", "/openapi.json")
        ]
        pages = [await client.get(f"{stack.api_url}{path}") for path in ("/", "/console/login", "/widget.js")]
    assert docs == [404, 404]
    for page in pages:
        assert page.status_code == 200
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
