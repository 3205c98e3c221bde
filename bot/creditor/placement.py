"""Accounts the creditor places with Concord: validated row by row, applied whole or not at all.

One row is one account with its customer. Rows may come as JSON, CSV or JSON lines; each is
read into `AccountRow`, every error is reported with its row and field, and nothing is stored
unless every row is good. A customer is recognised by phone number: a second account for the
same number joins the customer already known (whose details stay as they were).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import OUTREACH_CHANNELS
from bot.db.audit import record
from bot.db.models import Account, AccountStatus, Customer
from bot.db.protection import protection
from bot.domain.accounts import e164

# What customers type to identify themselves (bot.domain.identity reads this shape).
REFERENCE = re.compile(r"^[A-Z]{2}-\d{6}$")
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)  # every country with a phone numbering plan
_CURRENCIES = frozenset(list_currencies())
# Looked up in the list, never as a file: a long or odd name must be refused, not probed.
_ZONES = frozenset(available_timezones())


class _FieldError(ValueError):
    """A check across fields that still names the one field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AccountRow(BaseModel):
    """One account and its customer, as the creditor sends it (every field named in errors)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reference: str = Field(
        description="what the customer types to identify themselves: two letters, a hyphen, six digits (CN-482913)"
    )
    full_name: str = Field(min_length=1, max_length=200)
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    date_of_birth: date
    phone: str | None = Field(default=None, description="any format the jurisdiction reads; stored as E.164")
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(description="a language Concord speaks, e.g. en, es, id, hi-Latn")
    timezone: str = Field(description="IANA name, e.g. Australia/Sydney")
    jurisdiction: str = Field(description="ISO 3166-1 alpha-2 country, e.g. AU")
    region: str | None = Field(default=None, description="ISO 3166-2 subdivision suffix, e.g. NSW")
    product: str = Field(min_length=1, max_length=120)
    currency: str = Field(description="ISO 4217 code, e.g. AUD")
    balance_minor: int = Field(ge=0, description="what is owed, in minor units (cents)")
    overdue_minor: int = Field(default=0, ge=0)
    minimum_payment_minor: int = Field(default=0, ge=0)
    fees_minor: int = Field(default=0, ge=0)
    due_date: date
    # What the customer asked of messages we start (bot.outreach honours both).
    contact_channel: str | None = Field(
        default=None, description="the one channel for messages we start: sms, whatsapp or telegram"
    )
    contact_hours: str | None = Field(
        default=None, description='hours they may be messaged, local time, e.g. "17:00-19:30"'
    )

    @field_validator("contact_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and value not in OUTREACH_CHANNELS:
            raise ValueError(f"one of {', '.join(OUTREACH_CHANNELS)}")
        return value

    @field_validator("contact_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            opens, closes = (time.fromisoformat(part.strip()) for part in value.split("-"))
        except ValueError:
            raise ValueError('opening and closing times, e.g. "17:00-19:30"') from None
        if not opens < closes:
            raise ValueError("closes before it opens")
        return f"{opens:%H:%M}-{closes:%H:%M}"

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        value = value.upper()
        if not REFERENCE.match(value):
            raise ValueError("must be two letters, a hyphen and six digits, e.g. CN-482913")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError("not an IANA time zone name (e.g. Australia/Sydney)")
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        if value.upper() not in _COUNTRIES:
            raise ValueError("not an ISO 3166-1 alpha-2 country code")
        return value.upper()

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[A-Za-z0-9]{1,3}", value):
            raise ValueError("an ISO 3166-2 subdivision suffix, e.g. NSW or CA")
        return value.upper() if value else None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value.upper() not in _CURRENCIES:
            raise ValueError("not an ISO 4217 currency code")
        return value.upper()

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date) -> date:
        if not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("not a plausible date of birth")
        return value

    @field_validator(
        "given_name", "family_name", "email", "phone", "contact_channel", "contact_hours", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _consistent(self) -> "AccountRow":
        if self.phone is not None:
            number = e164(self.phone, self.jurisdiction)
            if number is None:
                raise _FieldError("phone", f"not a valid phone number for {self.jurisdiction}")
            self.phone = number
        if self.overdue_minor > self.balance_minor:
            raise _FieldError("overdue_minor", "cannot be more than balance_minor")
        return self


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the first row (the first line after a CSV header)
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class BatchRejected(Exception):
    """Some rows were bad: every error, and nothing was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def read_rows(raw: Iterable[dict[str, Any]], languages: set[str]) -> list[AccountRow]:
    """Every row read, or BatchRejected with every error of every row."""
    rows: list[AccountRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, data in enumerate(raw, start=1):
        try:
            row = AccountRow.model_validate(data)
        except ValidationError as invalid:
            errors.extend(_row_errors(number, invalid))
            continue
        if row.language not in languages:
            errors.append(RowError(number, "language", f"Concord speaks {', '.join(sorted(languages))}"))
            continue
        if row.reference in seen:
            errors.append(RowError(number, "reference", f"repeats row {seen[row.reference]}"))
            continue
        seen[row.reference] = number
        rows.append(row)
    if errors:
        raise BatchRejected(errors)
    if not rows:
        raise BatchRejected([RowError(0, None, "no rows")])
    return rows


async def place(session: AsyncSession, rows: list[AccountRow], actor: str) -> list[Account]:
    """Store every row's account (and customer), or raise BatchRejected and store nothing."""
    references = [row.reference for row in rows]
    taken: set[str] = set()
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        taken.update(await session.scalars(select(Account.reference).where(Account.reference.in_(chunk))))
    if taken:
        raise BatchRejected(
            [
                RowError(n, "reference", "already placed; update it with PATCH /api/v1/accounts/{reference}")
                for n, row in enumerate(rows, start=1)
                if row.reference in taken
            ]
        )
    customers = await _customers_by_phone(session, {row.phone for row in rows if row.phone})
    keys = protection()
    accounts = []
    for row in rows:
        customer = customers.get(row.phone) if row.phone else None
        if customer is None:
            customer = Customer(
                full_name=row.full_name,
                given_name=row.given_name,
                family_name=row.family_name,
                date_of_birth_digest=keys.birth_digest(row.date_of_birth),
                phone_e164=row.phone,
                email=row.email,
                language=row.language,
                locale=_locale(row.language, row.jurisdiction),
                timezone=row.timezone,
                jurisdiction=row.jurisdiction,
                region=row.region,
                contact_channel=row.contact_channel,
                contact_hours=row.contact_hours,
            )
            session.add(customer)
            if row.phone:
                customers[row.phone] = customer
        account = Account(
            customer=customer,
            reference=row.reference,
            product=row.product,
            currency=row.currency,
            balance_minor=row.balance_minor,
            overdue_minor=row.overdue_minor,
            minimum_payment_minor=row.minimum_payment_minor,
            fees_minor=row.fees_minor,
            due_date=row.due_date,
            status=status_for(row.balance_minor, row.overdue_minor),
        )
        session.add(account)
        accounts.append(account)
    await session.flush()
    record(session, actor, "accounts_placed", details={"count": len(accounts)})
    return accounts


def status_for(balance_minor: int, overdue_minor: int) -> AccountStatus:
    if balance_minor == 0:
        return AccountStatus.CLOSED
    return AccountStatus.PAST_DUE if overdue_minor else AccountStatus.CURRENT


async def _customers_by_phone(session: AsyncSession, phones: set[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    ordered = sorted(phones)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for customer in await session.scalars(select(Customer).where(Customer.phone_e164.in_(chunk))):
            found[customer.phone_e164] = customer
    return found


def _locale(language: str, country: str) -> str:
    """The Babel locale for the language as spoken in the country, else the language alone."""
    base = language.split("-")[0]
    try:
        return str(Locale.parse(f"{base}_{country}"))
    except (UnknownLocaleError, ValueError):
        return base


def _row_errors(number: int, invalid: ValidationError) -> list[RowError]:
    errors = []
    for error in invalid.errors():
        cause = error.get("ctx", {}).get("error")
        field = (
            cause.field if isinstance(cause, _FieldError) else ".".join(str(p) for p in error["loc"]) or None
        )
        message = str(cause) if cause is not None else error["msg"]
        errors.append(RowError(number, field, message))
    return errors
