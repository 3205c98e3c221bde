"""What a verified customer may see of their account, formatted for their locale."""

from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Customer
from bot.domain.money import Money
from bot.i18n import format_day


def e164(number: str, region: str | None = None) -> str | None:
    """ "+61 412 345 678" or "0412345678" (with region AU) → "+61412345678"; None if not a number."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def customer_with_phone(session: AsyncSession, phone: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.phone_e164 == phone))


def days_past_due(account: Account, customer: Customer, now: datetime) -> int:
    """Whole days since the due date, counted in the customer's own timezone."""
    today = now.astimezone(ZoneInfo(customer.timezone)).date()
    return max(0, (today - account.due_date).days)


def addressed_as(customer: Customer, address: str) -> str:
    """The name a language addresses the customer by (its locale's `address`: given, family or
    full); the full name when that part is not known, which is polite in every language."""
    part = {"given": customer.given_name, "family": customer.family_name}.get(address)
    return part or customer.full_name


def account_summary(
    account: Account,
    customer: Customer,
    now: datetime,
    locale: str,
    address: str,
    amount_pattern: str | None = None,
) -> dict[str, str]:
    """The values the balance responses show, formatted for `locale` (see i18n.formatting_locale)
    and the language's `amount_patterns`, the customer named as its `address` says."""

    def money(minor: int) -> str:
        return Money(minor, account.currency).format(locale, amount_pattern)

    return {
        "name": addressed_as(customer, address),
        "product": account.product,
        "reference": account.reference,
        "balance": money(account.balance_minor),
        "overdue": money(account.overdue_minor),
        "minimum_payment": money(account.minimum_payment_minor),
        "fees": money(account.fees_minor),
        "due_date": format_day(account.due_date, "long", locale),
        "days_past_due": str(days_past_due(account, customer, now)),
    }
