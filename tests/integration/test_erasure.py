"""Forgetting people, on the real stack: a customer erased on request, and conversations past
the retention period, in Concord's database and in Rasa's tracker store alike."""

import subprocess
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from bot.config import ROOT, Settings
from bot.db.models import Account, AuditEntry, Consent, Conversation, Customer, Message
from bot.db.types import utcnow
from tests.integration.customers import add_customer, ask_balance, query

TOKEN = {"token": Settings.model_fields["rasa_token"].default}


def _cli(stack, *args: str) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "api.cli", *args],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def _rasa_events(stack, conversation_id: str) -> list[dict]:
    url = f"http://127.0.0.1:{stack.env['CONCORD_RASA_PORT']}/conversations/{conversation_id}/tracker"
    return httpx.get(url, params=TOKEN, timeout=10).json()["events"]


async def _talked(stack, account) -> str:
    conversation_id, told = await ask_balance(stack, account)
    assert any("$320.00" in text for text in told), told
    return conversation_id


async def test_a_customer_erased_on_request_is_gone_here_and_in_rasa_but_their_opt_out_stays(stack):
    customer, account = await add_customer(stack)
    conversation_id = await _talked(stack, account)
    database = stack.database()
    try:
        async with database.transaction() as session:
            session.add(
                Consent(
                    channel="sms",
                    address=customer.phone_e164,
                    customer_id=customer.id,
                    opted_out=True,
                    reason="stop",
                )
            )
    finally:
        await database.close()
    assert any(e.get("text") == "14/03/1990" for e in _rasa_events(stack, conversation_id))

    said = _cli(stack, "erase-customer", account.reference)

    assert "1 conversations" in said
    assert await query(stack, select(Customer).where(Customer.id == customer.id)) == []
    assert await query(stack, select(Account).where(Account.id == account.id)) == []
    assert await query(stack, select(Conversation).where(Conversation.id == conversation_id)) == []
    assert await query(stack, select(Message).where(Message.conversation_id == conversation_id)) == []
    assert not any(e.get("event") == "user" for e in _rasa_events(stack, conversation_id)), "Rasa forgot too"
    [kept] = await query(stack, select(Consent).where(Consent.address == customer.phone_e164))
    assert (kept.opted_out, kept.customer_id) == (True, None), "the address still gets no contact"
    [erased] = await query(
        stack,
        select(AuditEntry).where(
            AuditEntry.action == "customer_erased", AuditEntry.customer_id == customer.id
        ),
    )
    assert erased.actor == "cli"

    _, after = await ask_balance(stack, account)
    assert not any("$320.00" in text for text in after), "nothing left to show anyone"


async def test_conversations_past_the_retention_are_erased_and_recent_ones_kept(stack):
    _, account = await add_customer(stack)
    old = await _talked(stack, account)
    recent = await _talked(stack, account)
    database = stack.database()
    try:
        async with database.transaction() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == old)
                .values(last_message_at=utcnow() - timedelta(days=1000))
            )
    finally:
        await database.close()

    said = _cli(stack, "purge", "--days", "900")

    assert said.startswith("erased 1 conversations")
    assert await query(stack, select(Conversation.id).where(Conversation.id.in_([old, recent]))) == [recent]
    assert not any(e.get("event") == "user" for e in _rasa_events(stack, old))
    assert any(e.get("event") == "user" for e in _rasa_events(stack, recent))
    assert await query(stack, select(Account.id).where(Account.id == account.id)) == [account.id]
