"""The bot/ services the actions share, built on first use (never at import time)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ROOT, get_settings
from bot.creditor.card_payments import payment_page_template
from bot.db.engine import Database
from bot.db.models import Account, Customer
from bot.domain import verification
from bot.domain.money import Money
from bot.domain.payment_links import PaymentLinks
from bot.domain.plans import today_for
from bot.domain.policy import CreditorPolicy, load_policy
from bot.domain.verification import VerificationPolicy
from bot.i18n import Catalog, format_day, formatting_locale


@lru_cache
def database() -> Database:
    return Database(get_settings().database_url)


@lru_cache
def catalog() -> Catalog:
    settings = get_settings()
    return Catalog(settings.locales_dir, settings.default_language)


@lru_cache
def creditor() -> CreditorPolicy:
    return load_policy(ROOT / "creditor.yml")


@lru_cache
def payment_links() -> PaymentLinks:
    """Links to our own page that opens Stripe Checkout when card payments are on, else to the
    creditor's payment page."""
    policy, settings = creditor(), get_settings()
    template = payment_page_template(settings, policy.payment_link_template)
    return PaymentLinks(settings.secret_key, template, policy.payment_link_ttl_minutes)


def verification_policy() -> VerificationPolicy:
    settings = get_settings()
    return VerificationPolicy(
        settings.verification_max_failures,
        settings.verification_lock_minutes,
        settings.verification_alert_failures,
    )


def before_latest_message(tracker: Tracker) -> list[dict[str, Any]]:
    """The events before the customer's latest message, newest first (what they answered)."""
    events = list(reversed(tracker.events))
    latest = next((n for n, event in enumerate(events) if event.get("event") == "user"), len(events))
    return events[latest + 1 :]


def language(tracker: Tracker) -> str:
    """The conversation's language: as the gateway sent it with this message, else the slot."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata.get("language") or tracker.get_slot("language") or get_settings().default_language


@dataclass
class Verified:
    """The verified customer of this conversation and their account."""

    account: Account
    customer: Customer
    now: datetime
    language: str

    @property
    def locale(self) -> str:
        return formatting_locale(self.language, self.customer.locale)

    @property
    def today(self) -> date:
        return today_for(self.customer.timezone, self.now)

    def money(self, minor: int) -> Money:
        return Money(minor, self.account.currency)

    def show(self, minor: int) -> str:
        pattern = (
            catalog().amount_patterns[catalog().resolve_language(self.language)].get(self.account.currency)
        )
        return self.money(minor).format(self.locale, pattern)

    def long_date(self, day: date) -> str:
        return format_day(day, "long", self.locale)

    def short_date(self, day: date) -> str:
        return format_day(day, "day_month", self.locale)

    def example_amount(self) -> str:
        """A plausible amount to show in a question, in the account's currency."""
        smallest = creditor().arrangements.smallest_instalment_for(self.account.currency)
        return self.show(smallest * 5 // 2)


async def verified(session: AsyncSession, tracker: Tracker) -> Verified | None:
    account = await verification.verified_account(session, tracker.sender_id)
    if account is None:
        return None
    customer = await session.get(Customer, account.customer_id)
    return Verified(account, customer, datetime.now(UTC), language(tracker))
