"""What a verified customer may see of their account, formatted for their locale."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.db.models import Account, Customer
from bot.money import Money


def days_past_due(account: Account, customer: Customer, now: datetime) -> int:
    """Whole days since the due date, counted in the customer's own timezone."""
    today = now.astimezone(ZoneInfo(customer.timezone)).date()
    return max(0, (today - account.due_date).days)


def account_summary(account: Account, customer: Customer, now: datetime, locale: str) -> dict[str, str]:
    """The values the balance responses show, formatted for `locale` (see i18n.formatting_locale)."""

    def money(minor: int) -> str:
        return Money(minor, account.currency).format(locale)

    return {
        "first_name": customer.full_name.split()[0],
        "product": account.product,
        "reference": account.reference,
        "balance": money(account.balance_minor),
        "overdue": money(account.overdue_minor),
        "minimum_payment": money(account.minimum_payment_minor),
        "fees": money(account.fees_minor),
        "due_date": format_date(account.due_date, format="long", locale=locale),
        "days_past_due": str(days_past_due(account, customer, now)),
    }
