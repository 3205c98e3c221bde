"""Nothing internal answers a caller without the internal token: the action server (which holds
customers' balances and can agree plans) and the api's /nlg, on the real stack."""

import httpx

from bot.db.demo_data import DEMO_CUSTOMERS

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
