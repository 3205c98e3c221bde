"""Card payments through Stripe (bot.creditor.card_payments): the chat's payment link opens
Stripe Checkout, Stripe's signed webhooks apply and reverse payments, and the small pages a
customer sees on the way, in their language."""

import html
import logging

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from api.state import AppState, app_state
from bot.creditor import card_payments
from bot.db.models import Account, Customer
from bot.db.types import utcnow
from bot.domain.payment_links import PaymentLinks

log = logging.getLogger(__name__)
router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/pay/thanks", include_in_schema=False)
async def thanks(language: str = "", state: AppState = Depends(app_state)) -> HTMLResponse:
    """Where Stripe sends the customer after paying (the webhook, not this visit, applies it)."""
    return _page(state, "card_payment_thanks", language)


@router.get("/pay/cancelled", include_in_schema=False)
async def cancelled(language: str = "", state: AppState = Depends(app_state)) -> HTMLResponse:
    return _page(state, "card_payment_cancelled", language)


@router.get("/pay/{token}", include_in_schema=False)
async def pay(token: str, request: Request, state: AppState = Depends(app_state)) -> Response:
    """The chat's payment link: a new Checkout Session for what it asks, and 303 to Stripe's page."""
    settings = state.settings
    if not card_payments.enabled(settings):
        raise HTTPException(status_code=404, detail="card payments are not configured")
    policy = state.creditor
    links = PaymentLinks(settings.secret_key, policy.payment_link_template, policy.payment_link_ttl_minutes)
    asked = links.read(token)
    if asked is None:  # expired or forged: we cannot know whose, so the browser's language
        return _page(state, "card_payment_link_expired", _browser_language(request, state), status_code=410)
    reference, amount = asked
    async with state.db.session() as session:
        account = await session.scalar(select(Account).where(Account.reference == reference))
        customer = await session.get(Customer, account.customer_id) if account is not None else None
    language = state.catalog.resolve_language(
        customer.language if customer else _browser_language(request, state)
    )
    charge = card_payments.amount_to_charge(account, amount)
    if charge is None:
        return _page(state, "card_payment_link_expired", language, status_code=410)
    product = state.catalog.terms[language].get("product", {}).get(account.product, account.product)
    try:
        checkout = await card_payments.open_checkout(settings, reference, charge, product, language, utcnow())
    except card_payments.NotChargeable as refused:
        log.warning("no card payment for this link: %s", refused)
        return _page(state, "card_payment_unavailable", language, status_code=503)
    except card_payments.CheckoutUnavailable:
        return _page(state, "card_payment_unavailable", language, status_code=503)
    return RedirectResponse(checkout.url, status_code=303, headers=NO_STORE)


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request, state: AppState = Depends(app_state)) -> dict[str, str]:
    """Stripe's events, verified (400 and nothing stored otherwise), applied in one transaction. Two
    deliveries of one event at the same instant: one stores it, the other fails on the payment's
    unique reference and Stripe's retry then finds it posted."""
    secret = state.settings.stripe_webhook_secret
    if not secret:
        raise HTTPException(status_code=404, detail="card payments are not configured")
    try:
        happened = card_payments.read_event(
            await request.body(), request.headers.get("Stripe-Signature"), secret
        )
    except card_payments.InvalidEvent as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    async with state.db.transaction() as session:
        outcome = await card_payments.settle(session, happened)
    return {"outcome": outcome}


def _page(state: AppState, key: str, language: str, status_code: int = 200) -> HTMLResponse:
    """A page of one sentence from locales/, under the creditor's name; no script, no styles."""
    rendered = state.catalog.render(key, state.catalog.resolve_language(language))
    name = html.escape(state.creditor.name)
    body = (
        f'<!doctype html><html lang="{rendered.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{name}</title></head><body><main><h1>{name}</h1>"
        f"<p>{html.escape(rendered.text, quote=False)}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status_code, headers=NO_STORE)


def _browser_language(request: Request, state: AppState) -> str:
    """The first language of the browser's Accept-Language we speak ("fil" is our Tagalog)."""
    wanted = []
    for n, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            wanted.append((-float(weight or 1), n, tag.strip()))
        except ValueError:
            continue
    for _, _, tag in sorted(wanted):
        for candidate in (tag, tag.split("-")[0].lower()):
            candidate = {"fil": "tl"}.get(candidate, candidate)
            if state.catalog.supports(candidate):
                return candidate
    return state.catalog.default_language
