"""A person takes over: SMS customer → queue → agent in the console → back to the assistant.

Everything is real but Twilio's servers: Rasa with the trained model, the action server, the
api, the database, the console's HTTP API and live WebSocket.
"""

import asyncio
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from bot.config import ROOT, Settings
from bot.db.demo_data import DEMO_CUSTOMERS
from bot.db.models import Account, AuditEntry, Conversation, Customer, Direction, Message, Sender
from bot.domain.arrangements import request_hardship
from bot.domain.money import Money
from bot.domain.policy import load_policy
from bot.i18n import formatting_locale
from bot.people.handoff import waiting_notice
from tests.conftest import REPORTS
from tests.integration.chat_client import ChatClient
from tests.integration.phone import Phone
from tests.stack import TWILIO

NUR = DEMO_CUSTOMERS[4]  # Malaysia; used by no other test file
POLICY = load_policy(ROOT / "creditor.yml")


def _rasa(stack, conversation_id: str, what: str) -> str:
    return f"http://127.0.0.1:{stack.env['CONCORD_RASA_PORT']}/conversations/{conversation_id}/{what}"


TOKEN = {"token": Settings.model_fields["rasa_token"].default}


def _rasa_tracker(stack, conversation_id: str) -> dict:
    return httpx.get(_rasa(stack, conversation_id, "tracker"), params=TOKEN, timeout=10).json()


async def _conversation_of(stack, number: str) -> str:
    database = stack.database()
    try:
        async with database.session() as session:
            return await session.scalar(
                select(Conversation.id)
                .where(Conversation.channel == "sms", Conversation.channel_user_id == number)
                .order_by(Conversation.last_message_at.desc())
            )
    finally:
        await database.close()


async def _bot_messages_after(stack, conversation_id: str, after_id: int) -> list[Message]:
    database = stack.database()
    try:
        async with database.session() as session:
            return list(
                await session.scalars(
                    select(Message).where(
                        Message.conversation_id == conversation_id,
                        Message.direction == Direction.OUTBOUND,
                        Message.sender == Sender.BOT,
                        Message.id > after_id,
                    )
                )
            )
    finally:
        await database.close()


def _in_queue(conversation_id: str):
    return lambda f: f["type"] == "lists" and any(i["conversation_id"] == conversation_id for i in f["queue"])


async def test_an_sms_customer_asks_for_a_person_and_gets_one_then_the_assistant_again(
    stack, catalog, console
):
    ana = await console("ana", ["en"])
    phone = Phone(stack, "+61400000922")
    phone.text("hi")
    await phone.replies_until(lambda r: len(r) >= 1)
    phone.text("can I talk to a real person please")
    notice = waiting_notice(POLICY.staffed_hours, datetime.now(UTC), "en", None)
    expected = catalog.render(notice.key, "en", notice.values).text
    # A long notice (after staffed hours) arrives as several texts, and an offer to carry on follows.
    await phone.replies_until(lambda r: expected in " ".join(r))
    conversation_id = await _conversation_of(stack, phone.number)

    queued = await ana.frame_where(_in_queue(conversation_id))
    [item] = [i for i in queued["queue"] if i["conversation_id"] == conversation_id]
    assert (item["reason"], item["language"], item["channel"]) == ("customer_request", "en", "sms")
    assert _rasa_tracker(stack, conversation_id)["paused"] is True

    claimed = await ana.post(f"/console/api/handoffs/{item['handoff_id']}/claim")
    assert claimed.status_code == 200
    joined = catalog.render("handoff_agent_joined", "en", {"agent": "Ana"}).text
    await phone.replies_until(lambda r: r[-1] == joined)

    # A new Rasa session clears its pause; session start checks the handoff and pauses again.
    started = httpx.post(
        _rasa(stack, conversation_id, "execute"),
        params=TOKEN,
        json={"name": "action_session_start"},
        timeout=30,
    )
    assert started.status_code == 200
    assert _rasa_tracker(stack, conversation_id)["paused"] is True

    await ana.watch(conversation_id)
    assert (
        await ana.post(
            f"/console/api/conversations/{conversation_id}/reply", {"text": "Hi, I'm Ana. How can I help?"}
        )
    ).status_code == 200
    await phone.replies_until(lambda r: r[-1] == "Hi, I'm Ana. How can I help?")

    # The customer answers; the agent sees it live, and the paused assistant says nothing.
    last_bot = max((m.id for m in await _bot_messages_after(stack, conversation_id, 0)), default=0)
    sent_at = time.monotonic()
    phone.text("I get paid on the 15th, can I pay then?")
    seen = await ana.frame_where(
        lambda f: (
            f["type"] == "messages"
            and any(m["text"] == "I get paid on the 15th, can I pay then?" for m in f["messages"])
        )
    )
    REPORTS.append(
        f"Customer SMS to the agent's console (webhook to live frame): {1000 * (time.monotonic() - sent_at):.0f} ms"
    )
    [shown] = [m for m in seen["messages"] if m["sender"] == "customer"]
    assert shown["language"] == "en" and shown["sentiment"] in {"negative", "neutral", "positive"}
    await asyncio.sleep(2)
    assert await _bot_messages_after(stack, conversation_id, last_bot) == []

    view = (await ana.get(f"/console/api/conversations/{conversation_id}")).json()
    assert [m["sender"] for m in view["messages"]][-3:] == ["system", "agent", "customer"]
    assert any(c["key"] == "canned_greeting" and "Ana" in c["text"] for c in view["canned"])

    assert (await ana.post(f"/console/api/conversations/{conversation_id}/hand-back")).status_code == 200
    await phone.replies_until(lambda r: r[-1].startswith(catalog.render("handoff_returned", "en").text))
    assert _rasa_tracker(stack, conversation_id)["paused"] is False

    phone.text("how much do I owe")
    await phone.replies_until(lambda r: r[-1] == catalog.render("utter_ask_account_reference", "en").text)


async def test_a_crisis_message_gets_the_crisis_line_and_nothing_about_money_until_a_person_clears_it(
    stack, catalog, console
):
    siti = await console("siti", ["en", "ms"])
    phone = Phone(stack, NUR.phone)
    phone.text("I can't do this anymore, I just want it all to stop for good")
    lines = POLICY.support_lines["MY"]
    # Outside staffed hours the customer is also told when a person will reply, in their own time.
    notice = waiting_notice(
        POLICY.staffed_hours, datetime.now(UTC), formatting_locale("en", NUR.locale), NUR.timezone
    )
    after_hours = catalog.render(notice.key, "en", notice.values).text if notice.values else ""
    crisis = await phone.replies_until(
        lambda r: any(lines.emergency in text for text in r) and after_hours in " ".join(r)
    )
    assert lines.crisis in crisis[0], "the crisis line comes first, whatever the length of the texts"
    conversation_id = await _conversation_of(stack, phone.number)

    queued = await siti.frame_where(_in_queue(conversation_id))
    # Ahead of everything but earlier crises (other tests' customers may still be waiting).
    position = [item["conversation_id"] for item in queued["queue"]].index(conversation_id)
    assert {item["reason"] for item in queued["queue"][:position]} <= {"crisis"}, "a crisis comes first"
    mine = queued["queue"][position]
    assert mine["reason"] == "crisis" and "suicide_risk" in mine["flags"]

    # Asking about the balance now gets no collection content at all, only word that a person
    # has it and will answer (never silence; the crisis line is not repeated within minutes).
    phone.text("how much do I owe")
    texts = await phone.replies_until(lambda r: len(r) > len(crisis))
    await asyncio.sleep(2)
    later = TWILIO.to(phone.number)[len(crisis) :]
    assert later[0] == catalog.render("gateway_care_noted", "en").text
    assert not any("RM" in text or lines.crisis in text for text in later), later
    assert texts[: len(crisis)] == crisis
    assert await _bot_messages_after(stack, conversation_id, 0) == []

    handoff_id = mine["handoff_id"]
    assert (await siti.post(f"/console/api/handoffs/{handoff_id}/claim")).status_code == 200
    view = (await siti.get(f"/console/api/conversations/{conversation_id}")).json()
    assert view["flags"][0] == "suicide_risk"
    assert {a["collection_paused"] for a in view["customer"]["accounts"]} == {"crisis"}

    refused = await siti.post(f"/console/api/conversations/{conversation_id}/hand-back")
    assert refused.status_code == 409, "contact stays suppressed until a person lifts it"
    assert view["customer"]["care_pause"] == "crisis"
    assert (await siti.post(f"/console/api/conversations/{conversation_id}/lift-care-pause")).json() == {
        "lifted": True
    }
    database = stack.database()
    try:
        async with database.session() as session:
            paused = await session.scalar(
                select(Account.collection_paused_reason).where(Account.reference == NUR.reference)
            )
    finally:
        await database.close()
    assert paused is None
    assert (
        await siti.post(f"/console/api/conversations/{conversation_id}/close", {"outcome": "referred"})
    ).status_code == 200


async def test_an_agent_decides_a_hardship_request_and_every_step_is_audited(stack, catalog, console):
    omar = await console("omar", ["en"])
    customer = await ChatClient.connect(stack.ws_url, language="en", origin=stack.api_url)
    database = stack.database()
    try:
        async with database.transaction() as session:  # what the hardship form stores (actions/hardship.py)
            account = await session.scalar(select(Account).where(Account.reference == NUR.reference))
            request = await request_hardship(
                session,
                account,
                await session.get(Customer, account.customer_id),
                customer.conversation_id,
                "reduced",
                Money(2_000, account.currency),
                datetime.now(UTC),
            )
            reference = request.reference
    finally:
        await database.close()

    queued = await omar.frame_where(_in_queue(customer.conversation_id))
    [item] = [i for i in queued["queue"] if i["conversation_id"] == customer.conversation_id]
    assert item["reason"] == "hardship"
    assert (await omar.post(f"/console/api/handoffs/{item['handoff_id']}/claim")).status_code == 200
    view = (await omar.get(f"/console/api/conversations/{customer.conversation_id}")).json()
    [pending] = [a for a in view["customer"]["arrangements"] if a["pending_approval"]]
    assert (pending["reference"], pending["option"]) == (reference, "reduced")

    decided = await omar.post(
        f"/console/api/arrangements/{pending['id']}/decision",
        {"decision": "adjust", "affordable_minor": 2_500},
    )
    assert decided.json() == {"status": "active"}
    approved = catalog.render("hardship_approved", "en", {"reference": reference}).text
    texts = []
    while approved not in texts:
        frame = await customer.next_frame()
        texts += [frame["text"]] if frame["type"] == "message" else []
    assert (
        await omar.post(
            f"/console/api/conversations/{customer.conversation_id}/notes", {"text": "Agreed $25 a week"}
        )
    ).status_code == 200
    view = (await omar.get(f"/console/api/conversations/{customer.conversation_id}")).json()
    assert [n["text"] for n in view["notes"]] == ["Agreed $25 a week"]
    assert (
        await omar.post(
            f"/console/api/conversations/{customer.conversation_id}/close", {"outcome": "arrangement_agreed"}
        )
    ).status_code == 200

    database = stack.database()
    try:
        async with database.session() as session:
            actions = list(
                await session.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.actor == "omar", AuditEntry.conversation_id == customer.conversation_id)
                    .order_by(AuditEntry.id)
                )
            )
    finally:
        await database.close()
    assert actions == [
        "handoff_claimed",
        "conversation_read",
        "hardship_adjust",
        "note_added",
        "conversation_read",
        "handoff_closed",
    ]
    await customer.close()
