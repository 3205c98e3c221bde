"""The creditor's API on a real api process and database: keys and scopes, accounts placed in
batches that apply whole or not at all, payments, events out as signed webhooks, exports, and
a schema fuzz run against the published OpenAPI."""

import csv
import io
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.config import ROOT
from bot.creditor.webhooks import verify
from bot.db.engine import Database
from bot.db.models import Account, AuditEntry, ContactKind, ContactStatus, Customer, PlannedContact
from bot.db.types import utcnow
from tests.conftest import REPORTS
from tests.fakes.creditor_webhook import CreditorWebhook
from tests.stack import eventually, launch, stack_environment, stop, wait_until

WEBHOOK_SECRET = "creditor-webhook-secret-of-32-characters!"
CLI = [str(ROOT / ".venv/bin/python"), "-m", "api.cli"]


@dataclass
class CreditorApi:
    url: str
    env: dict[str, str]
    webhook: CreditorWebhook
    keys: dict[str, str]  # scope set → bearer token

    def client(self, key: str = "all") -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {self.keys[key]}"}, timeout=60
        )

    def database(self) -> Database:
        return Database(self.env["CONCORD_DATABASE_URL"])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def creditor_api(tmp_path_factory) -> Iterator[CreditorApi]:
    folder = tmp_path_factory.mktemp("creditor")
    webhook = CreditorWebhook()
    server, webhook_url = webhook.start()
    env = stack_environment(
        f"sqlite+aiosqlite:///{folder / 'concord.db'}",
        f"sqlite:///{folder / 'tracker.db'}",
        CONCORD_WEBHOOK_URL=webhook_url,
        CONCORD_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CONCORD_MISSED_SWEEP_SECONDS="0.5",
    )
    api = launch(env, folder / "api.log", "api")
    url = f"http://127.0.0.1:{env['CONCORD_API_PORT']}"
    try:
        wait_until(f"{url}/healthz", folder / "api.log", api, timeout=300, healthy=False)
        keys = {
            name: _cli(env, "create-api-key", f"test-{name}", "--scopes", scopes).splitlines()[-1]
            for name, scopes in {
                "all": "accounts,payments,events,reports",
                "accounts": "accounts",
                "revoked": "accounts",
            }.items()
        }
        _cli(env, "revoke-api-key", keys["revoked"].split("_")[1])
        yield CreditorApi(url, env, webhook, keys)
    finally:
        stop(api)
        server.shutdown()


def row(reference: str, **changes) -> dict:
    """One account row as a creditor's system would send it."""
    return {
        "reference": reference,
        "full_name": "Ana Pérez",
        "given_name": "Ana",
        "date_of_birth": "1990-02-03",
        "phone": "612 345 678",
        "language": "es",
        "timezone": "Europe/Madrid",
        "jurisdiction": "ES",
        "product": "Préstamo personal",
        "currency": "EUR",
        "balance_minor": 50_000,
        "overdue_minor": 10_000,
        "minimum_payment_minor": 5_000,
        "due_date": (date.today() - timedelta(days=10)).isoformat(),
    } | changes


def unique_phone(n: int) -> str:
    return f"+3461{n:07d}"


# Keys and scopes


def test_without_rasa_the_api_is_unhealthy_but_ready_to_take_messages(creditor_api):
    # A load balancer routes on /readyz: messages are stored while Rasa is away, not refused.
    assert httpx.get(f"{creditor_api.url}/healthz").json()["rasa"] == "down"
    assert httpx.get(f"{creditor_api.url}/healthz").status_code == 503
    ready = httpx.get(f"{creditor_api.url}/readyz")
    assert (ready.status_code, ready.json()) == (200, {"database": "ok"})


async def test_a_call_without_a_key_is_refused_and_audited(creditor_api):
    response = httpx.get(f"{creditor_api.url}/api/v1/events")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"

    async def refused() -> int:
        database = creditor_api.database()
        async with database.session() as session:
            count = await session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.actor == "api:unknown", AuditEntry.action == "api_call"
                )
            )
        await database.close()
        return count

    assert await refused() >= 1, "a refused call left no trace in the audit log"


def test_a_key_without_the_scope_is_refused(creditor_api):
    with creditor_api.client("accounts") as api:
        response = api.get("/events")
    assert response.status_code == 403
    assert "events" in response.json()["detail"]


def test_a_revoked_key_no_longer_works(creditor_api):
    with creditor_api.client("revoked") as api:
        assert api.get("/accounts/CN-000000").status_code == 401


# Accounts


def test_a_placed_account_can_be_read_back_with_its_phone_in_e164(creditor_api):
    with creditor_api.client() as api:
        placed = api.post("/accounts", json={"accounts": [row("XA-000001", phone=unique_phone(1))]})
        assert placed.status_code == 201, placed.text
        assert placed.json()["accounts"] == [{"reference": "XA-000001", "status": "past_due"}]
        account = api.get("/accounts/XA-000001").json()
    assert (account["balance_minor"], account["overdue_minor"], account["currency"]) == (
        50_000,
        10_000,
        "EUR",
    )


def test_a_batch_with_bad_rows_names_every_problem_and_stores_nothing(creditor_api):
    rows = [
        row("XA-000010", phone=unique_phone(10)),
        row("XA-000011", phone="12"),
        row("XA-000012", phone=unique_phone(12), currency="EURO", timezone="Europe/Atlantis"),
        row("XA-12", phone=unique_phone(13)),
        row("XA-000014", phone=unique_phone(14), balance_minor=100, overdue_minor=200),
        row("XA-000015", phone=unique_phone(15), language="xx"),
        row("XA-000010", phone=unique_phone(16)),
    ]
    with creditor_api.client() as api:
        response = api.post("/accounts", json={"accounts": rows})
        assert response.status_code == 422
        problems = {(e["row"], e["field"]) for e in response.json()["detail"]["errors"]}
        assert problems == {
            (2, "phone"),
            (3, "currency"),
            (3, "timezone"),
            (4, "reference"),
            (5, "overdue_minor"),
            (6, "language"),
            (7, "reference"),
        }
        assert api.get("/accounts/XA-000010").status_code == 404, (
            "the good row was stored from a rejected batch"
        )


async def test_what_the_customer_asked_of_our_messages_is_kept_for_outreach(creditor_api):
    wishes = {"contact_channel": "whatsapp", "contact_hours": "17:00-19:30"}
    with creditor_api.client() as api:
        bad = api.post(
            "/accounts",
            json={
                "accounts": [
                    row("XA-000025", phone=unique_phone(25), contact_channel="fax", contact_hours="9-5pm")
                ]
            },
        )
        assert {e["field"] for e in bad.json()["detail"]["errors"]} == {"contact_channel", "contact_hours"}
        placed = api.post(
            "/accounts", json={"accounts": [row("XA-000026", phone=unique_phone(26), **wishes)]}
        )
        assert placed.status_code == 201, placed.text
    database = creditor_api.database()
    async with database.session() as session:
        customer = await session.scalar(
            select(Customer)
            .join(Account, Account.customer_id == Customer.id)
            .where(Account.reference == "XA-000026")
        )
        stored = {"contact_channel": customer.contact_channel, "contact_hours": customer.contact_hours}
    await database.close()
    assert stored == wishes, "the customer's wishes were not kept, so reminders would ignore them"


def test_placing_a_reference_twice_is_refused(creditor_api):
    with creditor_api.client() as api:
        assert (
            api.post("/accounts", json={"accounts": [row("XA-000020", phone=unique_phone(20))]}).status_code
            == 201
        )
        again = api.post("/accounts", json={"accounts": [row("XA-000020", phone=unique_phone(21))]})
    assert again.status_code == 422
    assert again.json()["detail"]["errors"][0]["field"] == "reference"


def test_a_request_repeated_with_its_idempotency_key_gets_the_first_answer_and_places_once(creditor_api):
    body = {"accounts": [row("XA-000030", phone=unique_phone(30))]}
    with creditor_api.client() as api:
        first = api.post("/accounts", json=body, headers={"Idempotency-Key": "place-30"})
        again = api.post("/accounts", json=body, headers={"Idempotency-Key": "place-30"})
        other = api.post(
            "/accounts",
            json={"accounts": [row("XA-000031", phone=unique_phone(31))]},
            headers={"Idempotency-Key": "place-30"},
        )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert other.status_code == 422, "a key reused for another request was accepted"


async def test_a_second_account_for_the_same_phone_joins_its_customer(creditor_api):
    with creditor_api.client() as api:
        response = api.post(
            "/accounts",
            json={
                "accounts": [
                    row("XA-000040", phone=unique_phone(40)),
                    row("XA-000041", phone=unique_phone(40), product="Tarjeta"),
                ]
            },
        )
    assert response.status_code == 201

    async def owners() -> set[int]:
        database = creditor_api.database()
        async with database.session() as session:
            found = set(
                await session.scalars(
                    select(Account.customer_id).where(Account.reference.in_(["XA-000040", "XA-000041"]))
                )
            )
        await database.close()
        return found

    assert len(await owners()) == 1


def test_a_csv_of_ten_thousand_accounts_is_placed_whole(creditor_api):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row("XB-000000")))
    writer.writeheader()
    for n in range(10_000):
        writer.writerow(row(f"XB-{n:06d}", phone=f"+3462{n:07d}"))
    with creditor_api.client() as api:
        started = time.monotonic()
        response = api.post("/accounts/upload", content=out.getvalue(), headers={"Content-Type": "text/csv"})
        took = time.monotonic() - started
        assert response.status_code == 201, response.text[:2000]
        assert response.json()["placed"] == 10_000
        assert api.get("/accounts/XB-009999").json()["reference"] == "XB-009999"
    REPORTS.append(f"Creditor API: 10,000-row CSV placed in {took:.1f} s")


def test_a_csv_with_one_bad_line_is_refused_naming_its_row(creditor_api):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row("XC-000000")))
    writer.writeheader()
    for n in range(50):
        broken = {"due_date": "31/02/2026"} if n == 41 else {}
        writer.writerow(row(f"XC-{n:06d}", phone=f"+3463{n:07d}", **broken))
    with creditor_api.client() as api:
        response = api.post("/accounts/upload", content=out.getvalue(), headers={"Content-Type": "text/csv"})
        assert response.status_code == 422
        assert [(e["row"], e["field"]) for e in response.json()["detail"]["errors"]] == [(42, "due_date")]
        assert api.get("/accounts/XC-000000").status_code == 404


def test_json_lines_are_placed_and_an_unreadable_line_is_named(creditor_api):
    lines = [json.dumps(row(f"XD-{n:06d}", phone=f"+3464{n:07d}")) for n in range(3)]
    with creditor_api.client() as api:
        bad = api.post(
            "/accounts/upload",
            content="\n".join([*lines, "{not json"]),
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert bad.status_code == 422 and bad.json()["detail"]["errors"][0]["row"] == 4
        good = api.post(
            "/accounts/upload", content="\n".join(lines), headers={"Content-Type": "application/x-ndjson"}
        )
        assert good.status_code == 201 and good.json()["placed"] == 3


def test_an_upload_in_another_format_is_refused(creditor_api):
    with creditor_api.client() as api:
        response = api.post(
            "/accounts/upload", content=b"<xml/>", headers={"Content-Type": "application/xml"}
        )
    assert response.status_code == 415


def test_an_update_changes_only_what_it_names(creditor_api):
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000050", phone=unique_phone(50))]})
        updated = api.patch("/accounts/XA-000050", json={"overdue_minor": 0, "due_date": "2027-01-15"})
        assert updated.status_code == 200, updated.text
        assert (updated.json()["overdue_minor"], updated.json()["balance_minor"]) == (0, 50_000)
        assert updated.json()["status"] == "current"
        assert api.patch("/accounts/XA-000050", json={"overdue_minor": 60_000}).status_code == 422
        assert api.patch("/accounts/XA-000050", json={"colour": "blue"}).status_code == 422
        assert api.patch("/accounts/XA-000050", json={}).status_code == 422
        assert api.patch("/accounts/XA-999999", json={"fees_minor": 1}).status_code == 404


async def test_a_recall_stops_every_planned_contact(creditor_api):
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000060", phone=unique_phone(60))]})

    async def plan_contact() -> int:
        database = creditor_api.database()
        async with database.transaction() as session:
            account = await session.scalar(select(Account).where(Account.reference == "XA-000060"))
            contact = PlannedContact(
                account_id=account.id,
                kind=ContactKind.FIRST_CONTACT,
                occasion="first_contact:XA-000060",
                due_at=utcnow() + timedelta(hours=1),
                expires_at=utcnow() + timedelta(days=3),
                status=ContactStatus.PLANNED,
            )
            session.add(contact)
            await session.flush()
            found = contact.id
        await database.close()
        return found

    async def status_of(contact_id: int) -> ContactStatus:
        database = creditor_api.database()
        async with database.session() as session:
            found = (await session.get(PlannedContact, contact_id)).status
        await database.close()
        return found

    contact_id = await plan_contact()
    with creditor_api.client() as api:
        recalled = api.post("/accounts/XA-000060/recall")
        assert recalled.status_code == 200 and recalled.json()["status"] == "recalled"
        assert api.patch("/accounts/XA-000060", json={"fees_minor": 100}).status_code == 409
    assert await status_of(contact_id) == ContactStatus.SKIPPED, (
        "a recalled account was still to be contacted"
    )


# Payments and events


async def test_a_payment_lowers_the_balance_once_and_reaches_the_creditor_signed(creditor_api):
    payment = {
        "account": "XA-000070",
        "amount_minor": 10_000,
        "currency": "EUR",
        "paid_at": "2026-12-07T10:00:00+01:00",
        "reference": "bank-70",
    }
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000070", phone=unique_phone(70))]})
        posted = api.post("/payments", json=payment)
        repeated = api.post("/payments", json=payment)
        account = api.get("/accounts/XA-000070").json()
    assert (posted.status_code, repeated.status_code) == (201, 200)
    assert repeated.json()["duplicate"] is True
    assert (account["balance_minor"], account["overdue_minor"], len(account["payments"])) == (40_000, 0, 1)
    [event] = await eventually(
        lambda: [
            e for e in creditor_api.webhook.events("payment.applied") if e["data"]["payment"] == "bank-70"
        ],
        bool,
    )
    assert event["data"]["balance_minor"] == 40_000
    delivery = next(d for d in creditor_api.webhook.received if d.event["id"] == event["id"])
    assert verify(WEBHOOK_SECRET, delivery.body, delivery.signature, int(time.time()))
    assert not verify("another-secret", delivery.body, delivery.signature, int(time.time()))


def test_bad_payments_are_refused_naming_the_problem(creditor_api):
    good = {
        "account": "XA-000080",
        "amount_minor": 1_000,
        "currency": "EUR",
        "paid_at": "2026-12-07T10:00:00Z",
        "reference": "bank-80",
    }
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000080", phone=unique_phone(80))]})
        assert api.post("/payments", json=good | {"account": "XA-404404"}).status_code == 422
        assert api.post("/payments", json=good | {"currency": "USD"}).status_code == 409
        naive = api.post("/payments", json=good | {"paid_at": "2026-12-07T10:00:00"})
        assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "paid_at"
        assert api.post("/payments", json=good | {"amount_minor": 12.5}).status_code == 422
        assert api.post("/payments", json=good | {"amount_minor": 0}).status_code == 422
        assert api.get("/accounts/XA-000080").json()["balance_minor"] == 50_000


def test_a_reversal_puts_the_balance_back_once(creditor_api):
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000090", phone=unique_phone(90))]})
        api.post(
            "/payments",
            json={
                "account": "XA-000090",
                "amount_minor": 5_000,
                "currency": "EUR",
                "paid_at": "2026-12-07T10:00:00Z",
                "reference": "bank-90",
            },
        )
        assert api.post("/payments/bank-90/reversal").status_code == 200
        assert api.post("/payments/bank-90/reversal").status_code == 409
        assert api.post("/payments/bank-404/reversal").status_code == 404
        assert api.get("/accounts/XA-000090").json()["balance_minor"] == 50_000


async def test_an_event_the_creditor_turned_away_is_retried_until_delivered(creditor_api):
    creditor_api.webhook.fail_next(500, 503)
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000100", phone=unique_phone(100))]})
        api.post(
            "/payments",
            json={
                "account": "XA-000100",
                "amount_minor": 2_000,
                "currency": "EUR",
                "paid_at": "2026-12-07T10:00:00Z",
                "reference": "bank-100",
            },
        )
    await eventually(
        lambda: [
            e for e in creditor_api.webhook.events("payment.applied") if e["data"]["payment"] == "bank-100"
        ],
        bool,
    )


async def test_events_can_be_read_as_a_feed_and_replayed(creditor_api):
    with creditor_api.client() as api:
        feed = api.get("/events", params={"after": 0, "limit": 1000}).json()
        assert feed["events"], "no events in the feed"
        first = feed["events"][0]
        assert api.get("/events", params={"after": feed["next_after"]}).json()["events"] == []
        before = len([d for d in creditor_api.webhook.received if d.event["id"] == first["id"]])
        assert api.post(f"/events/{first['id']}/replay").status_code == 202
        assert api.post("/events/999999999/replay").status_code == 404
    await eventually(
        lambda: len([d for d in creditor_api.webhook.received if d.event["id"] == first["id"]]),
        lambda n: n > before,
    )


# Exports


def test_exports_are_csv_with_a_header_row(creditor_api):
    with creditor_api.client() as api:
        api.post("/accounts", json={"accounts": [row("XA-000110", phone=unique_phone(110))]})
        api.post(
            "/payments",
            json={
                "account": "XA-000110",
                "amount_minor": 10_000,
                "currency": "EUR",
                "paid_at": "2026-12-07T10:00:00Z",
                "reference": "bank-110",
            },
        )
        for name, column in (
            ("arrangements", "arrangement"),
            ("outcomes", "collected_minor"),
            ("contacts", "rule"),
        ):
            response = api.get(f"/exports/{name}.csv")
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
            assert column in next(csv.reader(io.StringIO(response.text)))
        outcomes = list(csv.DictReader(io.StringIO(api.get("/exports/outcomes.csv").text)))
        assert next(o for o in outcomes if o["account"] == "XA-000110")["collected_minor"] == "10000"
        assert api.get("/exports/outcomes.csv", params={"since": "yesterday"}).status_code == 422
        assert api.get("/exports/ledger.csv").status_code == 422
    with creditor_api.client("accounts") as api:
        assert api.get("/exports/outcomes.csv").status_code == 403


# The published schema


def test_the_openapi_is_published_and_a_schema_fuzz_run_finds_no_server_error(creditor_api, tmp_path):
    document = httpx.get(f"{creditor_api.url}/api/v1/openapi.json").json()
    assert {"/api/v1/accounts", "/api/v1/payments", "/api/v1/events"} <= set(document["paths"])
    run = subprocess.run(
        [
            str(ROOT / ".venv/bin/schemathesis"),
            "run",
            f"{creditor_api.url}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error",
            "--header",
            f"Authorization: Bearer {creditor_api.keys['all']}",
            "--max-examples",
            "40",
            "--seed",
            "7",
            "--generation-deterministic",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"schemathesis found problems:\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}"
    cases = next((line.strip() for line in run.stdout.splitlines() if " generated, " in line), "?")
    REPORTS.append(f"Creditor API schema fuzz (schemathesis): {cases}, no server error")
