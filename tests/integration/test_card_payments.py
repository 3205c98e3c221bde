"""Card payments through Stripe on the real api and database, with only Stripe faked: the chat's
payment link opens a Checkout Session on a local stand-in for Stripe's API, and Stripe's signed
webhooks apply and reverse payments.

The api runs alone (`api.cli run api`, migrated and seeded as `make run` does): nothing here
needs Rasa, and the links are made as the action server makes them (actions.services.payment_links).
"""

import html
import itertools
import time
from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch

import httpx
import pytest
from sqlalchemy import select

from bot.config import ROOT, Settings
from bot.creditor.card_payments import NotChargeable, our_amount, payment_page_template, stripe_amount
from bot.db.models import (
    Account,
    AccountStatus,
    AuditEntry,
    CreditorEvent,
    Customer,
    EventKind,
    Payment,
)
from bot.db.protection import protection
from bot.domain.money import Money
from bot.domain.payment_links import PaymentLinks
from bot.domain.policy import load_policy
from tests.fakes.stripe_api import FakeStripe, event, paid, refunded_charge, signed
from tests.stack import SECRET, Stack, launch, stack_environment, stop, wait_until

SECRET_KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_" + "fake0endpoint0signing0secret0"
STRIPE = FakeStripe()
_, STRIPE_URL = STRIPE.start()
POLICY = load_policy(ROOT / "creditor.yml")
_REFERENCES = itertools.count(int(time.time()) % 90_000)


@pytest.fixture(scope="module")
def cards(tmp_path_factory) -> Stack:
    """The api with Stripe switched on and pointed at the fake, on a database of its own."""
    folder = tmp_path_factory.mktemp("cards")
    env = stack_environment(
        f"sqlite+aiosqlite:///{folder / 'concord.db'}",
        f"sqlite:///{folder / 'tracker.db'}",
        CONCORD_STRIPE_SECRET_KEY=SECRET_KEY,
        CONCORD_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CONCORD_STRIPE_API_URL=STRIPE_URL,
    )
    log = folder / "api.log"
    api = launch(env, log, "api")
    stack = Stack(f"http://127.0.0.1:{env['CONCORD_API_PORT']}", env["CONCORD_DATABASE_URL"], env, log, [api])
    try:
        # Rasa is not started, so /healthz answers 503: any answer means the api is serving.
        wait_until(f"{stack.api_url}/healthz", log, api, timeout=120, healthy=False)
        yield stack
    finally:
        stop(api)


def links_of(stack: Stack) -> PaymentLinks:
    """The chat's payment links as the action server makes them with this stack's settings."""
    settings = Settings(
        public_url=stack.api_url, secret_key=SECRET, stripe_secret_key=SECRET_KEY, stripe_api_url=STRIPE_URL
    )
    template = payment_page_template(settings, POLICY.payment_link_template)
    return PaymentLinks(settings.secret_key, template, POLICY.payment_link_ttl_minutes)


async def add_account(
    stack: Stack,
    currency: str = "AUD",
    balance: int = 32_000,
    language: str = "en",
    locale: str = "en_AU",
    product: str = "Mobile plan",
) -> Account:
    """A new customer with one past-due account, so no test sees another's payments."""
    database = stack.database()
    try:
        async with database.transaction() as session:
            customer = Customer(
                full_name="Alex Rivera",
                given_name="Alex",
                date_of_birth_digest=protection().birth_digest(date(1990, 3, 14)),
                language=language,
                locale=locale,
                timezone="Australia/Sydney",
                jurisdiction="AU",
            )
            session.add(customer)
            await session.flush()
            account = Account(
                customer_id=customer.id,
                reference=f"CN-8{next(_REFERENCES):05d}",
                product=product,
                currency=currency,
                balance_minor=balance,
                overdue_minor=balance // 4,
                minimum_payment_minor=balance // 10,
                fees_minor=0,
                due_date=(datetime.now(UTC) - timedelta(days=12)).date(),
                status=AccountStatus.PAST_DUE,
            )
            session.add(account)
        return account
    finally:
        await database.close()


async def reload(stack: Stack, account: Account) -> tuple[Account, list[Payment], list[CreditorEvent]]:
    """The account as stored now, its payments and the events the creditor will hear about it."""
    database = stack.database()
    try:
        async with database.session() as session:
            now = await session.get(Account, account.id)
            payments = list(await session.scalars(select(Payment).where(Payment.account_id == account.id)))
            events = list(
                await session.scalars(
                    select(CreditorEvent)
                    .where(CreditorEvent.account_id == account.id)
                    .order_by(CreditorEvent.id)
                )
            )
            return now, payments, events
    finally:
        await database.close()


def open_link(link: str, language: str | None = None) -> httpx.Response:
    """What the customer's browser gets on tapping the link (redirects not followed)."""
    headers = {"Accept-Language": language} if language else {}
    return httpx.get(link, headers=headers, timeout=30, follow_redirects=False)


def shown(response: httpx.Response) -> str:
    """The page's words as the customer reads them."""
    return html.unescape(response.text)


def checkout_for(stack: Stack, account: Account, minor: int) -> dict:
    """The customer opens a link for `minor` and lands on Stripe: the session Stripe made."""
    response = open_link(links_of(stack).link(account.reference, Money(minor, account.currency)))
    assert response.status_code == 303, f"the customer saw {response.status_code}: {response.text[:300]}"
    return STRIPE.session(response.headers["location"].rsplit("/", 1)[-1])


def deliver(stack: Stack, body: dict, secret: str = WEBHOOK_SECRET) -> httpx.Response:
    """Stripe delivering one event to the endpoint the creditor registered."""
    payload, headers = signed(body, secret)
    return httpx.post(f"{stack.api_url}/stripe/webhook", content=payload, headers=headers, timeout=30)


def test_with_stripe_off_the_chat_still_links_to_the_creditors_own_page():
    template = payment_page_template(Settings(stripe_secret_key=""), POLICY.payment_link_template)
    assert template == POLICY.payment_link_template, (
        "the customer was sent somewhere other than the creditor's page"
    )


@pytest.mark.parametrize(
    ("amount", "charged"),
    [
        (Money(8_000, "AUD"), ("aud", 8_000)),  # $80.00: cents, as at Stripe
        (Money(23_800, "JPY"), ("jpy", 23_800)),  # zero-decimal in ISO and at Stripe
        (Money(486_500, "KRW"), ("krw", 486_500)),
        (Money(4_865_000, "VND"), ("vnd", 4_865_000)),
        (Money(125_000_000, "IDR"), ("idr", 125_000_000)),  # Rp1.250.000: sen, two decimals at Stripe too
        (Money(5, "ISK"), ("isk", 500)),  # whole krónur, written with two decimals that are 00
        (Money(5_120, "KWD"), ("kwd", 5_120)),  # three decimals, the last a 0
    ],
)
def test_amounts_reach_stripe_in_stripes_units_and_come_back_unchanged(amount, charged):
    assert stripe_amount(amount) == charged, f"Stripe would have charged {stripe_amount(amount)} for {amount}"
    assert our_amount(charged[1], charged[0]) == amount


@pytest.mark.parametrize("amount", [Money(5_125, "KWD"), Money(5_000, "UGX")])
def test_an_amount_stripe_cannot_take_exactly_is_refused_rather_than_rounded(amount):
    with pytest.raises(NotChargeable):
        stripe_amount(amount)


async def test_opening_the_payment_link_takes_the_customer_to_stripe_checkout_for_that_amount(cards):
    account = await add_account(cards)
    link = links_of(cards).link(account.reference, Money(8_000, "AUD"))
    assert link.startswith(f"{cards.api_url}/pay/"), f"the chat sent {link}"
    opened_before = STRIPE.count()

    response = open_link(link)

    assert response.status_code == 303, f"the customer saw {response.status_code}: {response.text[:300]}"
    assert STRIPE.count() == opened_before + 1, "opening the link once should open one checkout"
    sent = STRIPE.last()
    session = STRIPE.session(response.headers["location"].rsplit("/", 1)[-1])
    assert response.headers["location"] == session["url"]
    assert sent.authorization == f"Bearer {SECRET_KEY}"
    assert sent.params["mode"] == "payment"
    assert sent.params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {"currency": "aud", "unit_amount": "8000", "product_data": {"name": "phone plan"}},
        }
    ], "Stripe was asked for another amount, currency or product than the link named"
    assert sent.params["metadata"] == {"account": account.reference}
    assert sent.params["client_reference_id"] == account.reference
    assert sent.params["success_url"] == f"{cards.api_url}/pay/thanks?language=en"
    assert sent.params["cancel_url"] == f"{cards.api_url}/pay/cancelled?language=en"


async def test_a_yen_link_opens_checkout_in_whole_yen_and_in_japanese(cards):
    account = await add_account(cards, currency="JPY", balance=48_650, language="ja", locale="ja_JP")

    session = checkout_for(cards, account, 12_000)

    assert (session["amount_total"], session["currency"]) == (12_000, "jpy"), (
        "Stripe would charge another amount"
    )
    sent = STRIPE.last()
    assert sent.params["locale"] == "ja"
    assert sent.params["line_items"][0]["price_data"]["product_data"]["name"] == "携帯電話プラン"


async def test_a_link_for_more_than_is_now_owed_charges_only_the_balance(cards):
    account = await add_account(cards, balance=5_000)  # the customer paid most of it since the link was sent

    session = checkout_for(cards, account, 8_000)

    assert session["amount_total"] == 5_000, f"the customer would have been charged {session['amount_total']}"


async def test_a_paid_checkout_brings_the_balance_down_and_tells_the_creditor(cards):
    account = await add_account(cards, balance=32_000)
    session = paid(checkout_for(cards, account, 8_000))

    response = deliver(cards, event("checkout.session.completed", session))

    assert response.status_code == 200, f"Stripe saw {response.status_code}: {response.text}"
    assert response.json() == {"outcome": "applied"}
    now, payments, events = await reload(cards, account)
    assert now.balance_minor == 24_000, "the account does not show the customer's payment"
    [payment] = payments
    assert (payment.amount_minor, payment.currency, payment.method) == (8_000, "AUD", "stripe")
    assert payment.external_reference == session["payment_intent"]
    applied = [e for e in events if e.kind == EventKind.PAYMENT_APPLIED]
    assert [e.data["payment"] for e in applied] == [session["payment_intent"]], "the creditor is not told"
    assert applied[0].occurred_at.tzinfo is not None


async def test_stripe_sending_the_same_payment_again_stores_it_once(cards):
    account = await add_account(cards, balance=32_000)
    completed = event("checkout.session.completed", paid(checkout_for(cards, account, 8_000)))
    assert deliver(cards, completed).json() == {"outcome": "applied"}

    again = deliver(cards, completed)  # Stripe's retry: the same event, signed afresh

    assert again.status_code == 200, "Stripe would keep retrying a payment already applied"
    assert again.json() == {"outcome": "duplicate"}
    now, payments, _ = await reload(cards, account)
    assert len(payments) == 1, "the customer's one payment was counted twice"
    assert now.balance_minor == 24_000


async def test_a_webhook_with_a_wrong_or_missing_signature_is_refused_and_nothing_is_stored(cards):
    account = await add_account(cards, balance=32_000)
    completed = event("checkout.session.completed", paid(checkout_for(cards, account, 8_000)))
    payload, headers = signed(completed, WEBHOOK_SECRET)
    url = f"{cards.api_url}/stripe/webhook"

    wrong_secret = deliver(cards, completed, secret="whsec_someone_else")
    unsigned = httpx.post(url, content=payload, headers={"Content-Type": "application/json"})
    tampered = httpx.post(
        url, content=payload.replace(b'"amount_total": 8000', b'"amount_total": 800000'), headers=headers
    )

    assert [wrong_secret.status_code, unsigned.status_code, tampered.status_code] == [400, 400, 400]
    now, payments, events = await reload(cards, account)
    assert payments == [] and now.balance_minor == 32_000, "a forged event moved the customer's balance"
    assert [e for e in events if e.kind == EventKind.PAYMENT_APPLIED] == []


async def test_an_expired_link_shows_a_page_in_the_customers_language_and_opens_no_checkout(cards, catalog):
    account = await add_account(cards, language="es", locale="es_US")
    with patch("time.time", return_value=time.time() - (POLICY.payment_link_ttl_minutes + 5) * 60):
        link = links_of(cards).link(account.reference, Money(8_000, "AUD"))
    opened_before = STRIPE.count()

    response = open_link(link, language="es-US,es;q=0.9,en;q=0.5")

    assert response.status_code == 410
    assert catalog.render("card_payment_link_expired", "es").text in shown(response), shown(response)
    assert '<html lang="es">' in response.text
    assert STRIPE.count() == opened_before, "an expired link opened a checkout the customer could pay"


async def test_a_forged_link_shows_the_expired_page_and_opens_no_checkout(cards, catalog):
    opened_before = STRIPE.count()

    response = open_link(f"{cards.api_url}/pay/eyJhY2NvdW50IjoiQ04tMTAwMjM0In0.forged.signature")

    assert response.status_code == 410
    assert catalog.render("card_payment_link_expired", "en").text in shown(response), shown(response)
    assert STRIPE.count() == opened_before


async def test_a_full_refund_in_stripe_reverses_the_payment(cards):
    account = await add_account(cards, balance=32_000)
    session = paid(checkout_for(cards, account, 8_000))
    assert deliver(cards, event("checkout.session.completed", session)).json() == {"outcome": "applied"}

    response = deliver(cards, event("charge.refunded", refunded_charge(session)))

    assert response.json() == {"outcome": "reversed"}
    now, [payment], events = await reload(cards, account)
    assert payment.reversed_at is not None, "the refunded payment still counts"
    assert now.balance_minor == 32_000, "the customer's balance does not show the refund"
    assert [e.kind for e in events if e.kind == EventKind.PAYMENT_REVERSED] == [EventKind.PAYMENT_REVERSED]


async def test_a_partial_refund_is_left_for_a_person_and_the_payment_stands(cards):
    account = await add_account(cards, balance=32_000)
    session = paid(checkout_for(cards, account, 8_000))
    deliver(cards, event("checkout.session.completed", session))

    response = deliver(cards, event("charge.refunded", refunded_charge(session, amount_refunded=3_000)))

    assert response.json() == {"outcome": "left_for_a_person"}
    now, [payment], _ = await reload(cards, account)
    assert payment.reversed_at is None and now.balance_minor == 24_000
    database = cards.database()
    try:
        async with database.session() as session_:
            notes = list(
                await session_.scalars(
                    select(AuditEntry).where(AuditEntry.action == "card_refund_not_handled")
                )
            )
    finally:
        await database.close()
    assert notes, "nothing tells a person that a partial refund needs them"


async def test_an_event_of_another_kind_is_accepted_and_changes_nothing(cards):
    response = deliver(cards, event("customer.created", {"id": "cus_123", "object": "customer"}))

    assert response.status_code == 200, "Stripe would retry an event we do not use, for days"
    assert response.json() == {"outcome": "ignored"}


async def test_when_stripe_refuses_the_customer_is_told_kindly_and_sent_nowhere(cards, catalog):
    account = await add_account(cards, language="id", locale="id_ID")
    STRIPE.fail_next(
        400,
        {
            "type": "invalid_request_error",
            "code": "amount_too_large",
            "message": "Amount must be no more than 999,999.99",
        },
    )

    response = open_link(links_of(cards).link(account.reference, Money(8_000, "AUD")))

    assert response.status_code == 503
    assert "location" not in response.headers
    assert catalog.render("card_payment_unavailable", "id").text in shown(response), shown(response)


async def test_stripe_brings_the_customer_back_to_a_page_in_their_language(cards, catalog):
    thanks = httpx.get(f"{cards.api_url}/pay/thanks?language=ko")
    cancelled = httpx.get(f"{cards.api_url}/pay/cancelled?language=tl")

    assert catalog.render("card_payment_thanks", "ko").text in shown(thanks), shown(thanks)
    assert catalog.render("card_payment_cancelled", "tl").text in shown(cancelled), shown(cancelled)


async def test_the_payment_link_never_appears_in_the_api_log(cards):
    account = await add_account(cards)
    link = links_of(cards).link(account.reference, Money(8_000, "AUD"))
    token = link.rsplit("/", 1)[-1]

    assert open_link(link).status_code == 303
    time.sleep(1)  # the access log line is written after the answer

    log = cards.log.read_text(errors="replace")
    assert "/pay/[redacted]" in log, "the request was not logged at all; the check below proves nothing"
    assert token not in log, "the link (which names the account and amount) was written to the log"
