"""Card payments through Stripe Checkout: the one module that speaks Stripe.

With `CONCORD_STRIPE_SECRET_KEY` set, the chat's payment link opens our own `/pay/<token>`
(`payment_page_template`), which makes a Checkout Session for what the link asks
(`open_checkout`) and sends the customer to Stripe's page. A session is made only when the link
is opened: sessions expire, and most links sent are never opened. Stripe tells us what happened
with signed webhook events: `read_event` verifies one and says what it means (`Paid`,
`Refunded`, or nothing for us), and `settle` applies or reverses the payment with
bot.domain.payments, where posting one payment twice stores it once (Stripe retries).

Amounts. Ours are ISO 4217 minor units as Babel counts them; Stripe's are per currency
(docs.stripe.com/currencies): the same minor units for most, whole units for its zero-decimal
currencies (JPY, KRW and VND among ours, as in ISO), a last digit of 0 for its three-decimal
ones, and two decimals that are always 00 for ISK. IDR is not one of Stripe's zero-decimal or
special cases: it is charged in sen, two decimals, as ISO and Babel count it. UGX is listed by
Stripe both as zero-decimal and as a two-decimal special case, so it is refused rather than
guessed at (`NotChargeable`), as is any amount Stripe could not take exactly.

Nothing a customer typed and no card data pass through here; logs name Stripe's ids only.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from babel.numbers import get_currency_precision
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.audit import record
from bot.db.models import Account, AccountStatus, Payment
from bot.domain.money import Money
from bot.domain.payments import PaymentRefused, apply_payment, reverse_payment

log = logging.getLogger(__name__)

METHOD = "stripe"  # Payment.method of what came through Stripe
# docs.stripe.com/currencies#zero-decimal and #three-decimal.
ZERO_DECIMAL = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF"]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
# docs.stripe.com/currencies#special-cases: whole units written with two decimals, always 00.
WHOLE_UNITS_IN_CENTS = frozenset({"ISK"})
# Listed both as zero-decimal and as a two-decimal special case: not charged until settled.
AMBIGUOUS = frozenset({"UGX"})
# Checkout's page language for each of ours (Checkout has no Hindi in Latin script: the browser's).
CHECKOUT_LOCALES = {
    "en": "en",
    "es": "es",
    "hi": "hi-IN",
    "id": "id",
    "ja": "ja",
    "ko": "ko",
    "ms": "ms",
    "th": "th",
    "tl": "fil",
    "vi": "vi",
    "zh": "zh",
}
# How long Stripe keeps an opened checkout page payable (Stripe allows 30 minutes to 24 hours);
# opening the link again while it is valid makes a new one.
CHECKOUT_LIFETIME = timedelta(hours=1)
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class NotChargeable(ValueError):
    """Stripe cannot take this amount in this currency exactly; nothing was sent to Stripe."""


class CheckoutUnavailable(RuntimeError):
    """Stripe refused the session or could not be reached; the customer is asked to try later."""


class InvalidEvent(ValueError):
    """Not a webhook Stripe signed with our endpoint's secret (or not an event at all)."""


def enabled(settings: Settings) -> bool:
    return bool(settings.stripe_secret_key)


def payment_page_template(settings: Settings, creditor_template: str) -> str:
    """Where the chat's payment links go: our page that opens Stripe Checkout while Stripe is on,
    else the creditor's own page (creditor.yml `payment_link_template`)."""
    if not enabled(settings):
        return creditor_template
    return f"{settings.api_base_url()}/pay/{{token}}"


def stripe_decimals(currency: str) -> int:
    if currency in AMBIGUOUS:
        raise NotChargeable(f"{currency}: Stripe documents it both as zero-decimal and as two-decimal")
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2  # Stripe's default, and how it writes ISK


def stripe_amount(amount: Money) -> tuple[str, int]:
    """(currency as Stripe writes it, amount in Stripe's units) for a card payment of `amount`."""
    ours, theirs = get_currency_precision(amount.currency), stripe_decimals(amount.currency)
    if theirs >= ours:
        units = amount.minor * 10 ** (theirs - ours)
    elif amount.minor % 10 ** (ours - theirs):
        raise NotChargeable(f"{amount.currency}: Stripe takes {theirs} decimals, the amount has more")
    else:
        units = amount.minor // 10 ** (ours - theirs)
    if amount.currency in THREE_DECIMAL and units % 10:
        raise NotChargeable(f"{amount.currency}: Stripe takes three-decimal amounts ending in 0 only")
    if amount.currency in WHOLE_UNITS_IN_CENTS and units % 100:
        raise NotChargeable(f"{amount.currency}: Stripe takes whole units only")
    return amount.currency.lower(), units


def our_amount(units: int, currency: str) -> Money:
    """What Stripe reports (`amount_total`, `currency`) as our Money; NotChargeable if it is not
    a whole number of our minor units."""
    code = currency.upper()
    try:
        Money(0, code)  # an ISO 4217 code we know
    except ValueError as error:
        raise NotChargeable(str(error)) from None
    ours, theirs = get_currency_precision(code), stripe_decimals(code)
    if theirs <= ours:
        return Money(units * 10 ** (ours - theirs), code)
    if units % 10 ** (theirs - ours):
        raise NotChargeable(f"{code}: {units} is not a whole number of minor units")
    return Money(units // 10 ** (theirs - ours), code)


def amount_to_charge(account: Account | None, asked: Money) -> Money | None:
    """What opening a link may charge now: what it asked, at most the balance today (the customer
    may have paid some since the link was sent); None when the account can take no payment."""
    if account is None or asked.currency != account.currency:
        return None
    if account.status in (AccountStatus.RECALLED, AccountStatus.CLOSED) or account.balance_minor <= 0:
        return None
    return Money(min(asked.minor, account.balance_minor), asked.currency)


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str


async def open_checkout(
    settings: Settings,
    account_reference: str,
    amount: Money,
    product_name: str,
    language: str,
    now: datetime,
) -> Checkout:
    """A Checkout Session for one payment of `amount` on the account; raises NotChargeable
    (before calling Stripe) or CheckoutUnavailable."""
    currency, units = stripe_amount(amount)
    base = settings.api_base_url()
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": units,
                    "product_data": {"name": product_name},
                },
            }
        ],
        "metadata": {"account": account_reference},
        # On the payment too, so the charge and any refund name the account in Stripe's dashboard.
        "payment_intent_data": {"metadata": {"account": account_reference}},
        "client_reference_id": account_reference,
        "success_url": f"{base}/pay/thanks?language={language}",
        "cancel_url": f"{base}/pay/cancelled?language={language}",
        "locale": CHECKOUT_LOCALES.get(language, "auto"),
        "expires_at": int((now + CHECKOUT_LIFETIME).timestamp()),
    }
    http = stripe.HTTPXClient(timeout=20)
    client = stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": settings.stripe_api_url},
        http_client=http,
        max_network_retries=1,  # with an idempotency key the library adds, so a retry opens one session
    )
    try:
        session = await client.v1.checkout.sessions.create_async(params)
    except stripe.StripeError as error:
        # Stripe's message may repeat what was sent; its type, code and request id are enough.
        log.warning(
            "Stripe did not open a checkout: %s (code %s, HTTP %s, request %s)",
            type(error).__name__,
            error.code,
            error.http_status,
            error.request_id,
        )
        raise CheckoutUnavailable(type(error).__name__) from None
    finally:
        await http.close_async()
    return Checkout(session.id, session.url)


@dataclass(frozen=True)
class Paid:
    """A checkout was paid: apply it to the account it names."""

    account_reference: str
    amount: Money
    paid_at: datetime
    external_reference: str  # the PaymentIntent, else the Checkout Session
    session_id: str


@dataclass(frozen=True)
class Refunded:
    """Money went back to the customer from the charge behind a payment."""

    payment_intent: str
    charge_id: str
    full: bool
    at: datetime


@dataclass(frozen=True)
class NotForUs:
    """A genuine event that asks nothing of us (another type, not paid yet, not our checkout)."""

    reason: str


Happened = Paid | Refunded | NotForUs


def read_event(payload: bytes, signature: str | None, webhook_secret: str) -> Happened:
    """A webhook's body and `Stripe-Signature` header, verified with the endpoint's secret
    (stripe.Webhook.construct_event: the signature and a timestamp within 5 minutes), read as
    what it asks of us."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, webhook_secret)
    except stripe.SignatureVerificationError:
        raise InvalidEvent("the Stripe-Signature header does not match this endpoint's secret") from None
    except ValueError:
        raise InvalidEvent("the body is not a Stripe event") from None
    at = datetime.fromtimestamp(event.created, UTC)
    found = event.data.object.to_dict()
    if event.type in PAID_EVENTS:
        return _paid(found, at)
    if event.type == "charge.refunded":
        intent = _id(found.get("payment_intent"))
        if not intent:
            return NotForUs("a refund of a charge without a payment intent")
        return Refunded(intent, found["id"], bool(found.get("refunded")), at)
    return NotForUs(f"{event.type} is not handled")


def _paid(checkout: dict[str, Any], at: datetime) -> Happened:
    reference = (checkout.get("metadata") or {}).get("account")
    if checkout.get("mode") not in (None, "payment") or not reference:
        return NotForUs("not a checkout opened by a payment link")
    if checkout.get("payment_status") != "paid" or checkout.get("amount_total") is None:
        return NotForUs(f"payment status {checkout.get('payment_status')}")
    try:
        amount = our_amount(int(checkout["amount_total"]), str(checkout["currency"]))
    except NotChargeable as error:
        return NotForUs(str(error))
    external = _id(checkout.get("payment_intent")) or checkout["id"]
    return Paid(reference, amount, at, external, checkout["id"])


def _id(value: Any) -> str | None:
    """An id, whether Stripe sent it bare or expanded into its object."""
    return value.get("id") if isinstance(value, dict) else value


async def settle(session: AsyncSession, happened: Happened) -> str:
    """Apply or reverse what the event says, in the caller's transaction; what was done, in a
    word for Stripe's delivery log (no personal data)."""
    if isinstance(happened, Paid):
        return await _apply(session, happened)
    if isinstance(happened, Refunded):
        return await _reverse(session, happened)
    return "ignored"


async def _apply(session: AsyncSession, paid: Paid) -> str:
    account = await session.scalar(select(Account).where(Account.reference == paid.account_reference))
    if account is None:
        return _for_a_person(session, None, "card_payment_not_applied", paid.session_id, "no such account")
    try:
        applied = await apply_payment(
            session,
            account,
            paid.amount,
            paid_at=paid.paid_at,
            method=METHOD,
            external_reference=paid.external_reference,
        )
    except PaymentRefused as refused:
        # The customer has paid Stripe; a person refunds or places it. Retrying would change nothing.
        return _for_a_person(session, account, "card_payment_not_applied", paid.session_id, str(refused))
    return "duplicate" if applied.duplicate else "applied"


async def _reverse(session: AsyncSession, refund: Refunded) -> str:
    payment = await session.scalar(select(Payment).where(Payment.external_reference == refund.payment_intent))
    if payment is None:
        return "ignored"  # not a payment that came through our checkout
    account = await session.get(Account, payment.account_id)
    if not refund.full:
        return _for_a_person(
            session, account, "card_refund_not_handled", refund.charge_id, "partly refunded: not reversed"
        )
    if payment.reversed_at is not None:
        return "duplicate"
    await reverse_payment(session, payment, refund.at)
    return "reversed"


def _for_a_person(
    session: AsyncSession, account: Account | None, action: str, stripe_id: str, why: str
) -> str:
    log.warning("Stripe %s: %s (%s); left for a person", stripe_id, why, action)
    record(
        session,
        "stripe",
        action,
        customer_id=account.customer_id if account is not None else None,
        details={"stripe": stripe_id, "reason": why},
    )
    return "left_for_a_person"
