"""Two weeks of outreach on a simulated clock (the month-long run is `python -m api.cli
outreach-simulate`), audited line by line against the rules by code written apart from the policy."""

import io
import json
from collections import defaultdict
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from bot.channels import build_channels, close_channels, senders
from bot.config import ROOT
from bot.db.models import Account, Consent, ContactStatus, Customer, PlannedContact
from bot.domain.policy import load_policy
from bot.outreach.simulation import simulate
from tests.conftest import REPORTS
from tests.contact_rules_audit import CREDITOR, broken_rule
from tests.db.test_outreach import SETTINGS

ACCOUNTS, DAYS = 150, 14


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_simulated_fortnight_keeps_every_rule_and_every_stop(db, catalog):
    channels = build_channels(SETTINGS)
    out = io.StringIO()
    try:
        summary = await simulate(
            db, load_policy(ROOT / "creditor.yml"), catalog, channels, senders(channels),
            date(2027, 1, 4), DAYS, ACCOUNTS, seed=7, out=out,
        )  # fmt: skip
    finally:
        await close_channels(channels)
    REPORTS.append("Outreach simulation (tests/db/test_outreach_simulation.py):\n" + summary.table())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == sum(summary.sent.values()) > 100
    assert {line["jurisdiction"] for line in lines} == {"AU", "US", "ID", "PH", "MY", "GB", "ES"}
    assert any(len(line["timezones"]) > 1 for line in lines if line["jurisdiction"] == "US")
    assert {line["channel"] for line in lines} == {"sms", "whatsapp", "telegram"}

    async with db.session() as session:
        wishes = {
            reference: hours
            for reference, hours in await session.execute(
                select(Account.reference, Customer.contact_hours).join(
                    Customer, Customer.id == Account.customer_id
                )
            )
        }
    earlier: dict[str, list[datetime]] = defaultdict(list)
    for line in lines:
        moment = datetime.fromisoformat(line["sent_at_utc"])
        hours = wishes[line["account_reference"]]
        wished = tuple(time.fromisoformat(part) for part in hours.split("-")) if hours else None
        broken = broken_rule(
            moment,
            line["jurisdiction"],
            line["region"],
            line["timezones"],
            earlier[line["account_reference"]],
            CREDITOR["caps"],
            CREDITOR.get("hours"),
            wished,
        )
        assert broken is None, (line, broken)
        earlier[line["account_reference"]].append(moment)

    # Nothing after a pause, a dispute or an opt-out that happened along the way.
    async with db.session() as session:
        rows = await session.execute(
            select(PlannedContact, Account, Customer)
            .join(Account, Account.id == PlannedContact.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(PlannedContact.status == ContactStatus.SENT)
        )
        opted_out = {
            (consent.channel, consent.address): consent.updated_at
            for consent in await session.scalars(select(Consent).where(Consent.opted_out.is_(True)))
        }
        checked = 0
        for planned, account, customer in rows:
            for paused_at in (account.collection_paused_at, customer.care_paused_at):
                if paused_at is not None:
                    checked += 1
                    assert planned.sent_at < paused_at, (planned.kind, account.collection_paused_reason)
            if (stopped := opted_out.get((planned.channel, customer.phone_e164))) is not None:
                checked += 1
                assert planned.sent_at < stopped
    assert checked > 0  # some customers heard from us before they paused or stopped
