"""Fictional customers for the demo and the tests: several languages, currencies and states."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, AccountStatus, Customer, Payment
from bot.db.protection import protection


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    born: date
    phone: str
    language: str
    locale: str
    timezone: str
    jurisdiction: str
    reference: str
    product: str
    currency: str
    balance: int
    overdue: int
    minimum: int
    fees: int
    days_past_due: int
    given_name: str | None = None
    family_name: str | None = None  # none in a Malay name: "binti Ahmad" names the father


DEMO_CUSTOMERS = [
    DemoCustomer(
        "Mia Thompson",
        date(1988, 4, 12),
        "+61412345678",
        "en",
        "en_AU",
        "Australia/Sydney",
        "AU",
        "CN-100234",
        "Mobile plan",
        "AUD",
        48_650,
        12_900,
        4_500,
        1_000,
        21,
        given_name="Mia",
        family_name="Thompson",
    ),
    DemoCustomer(
        "Budi Santoso",
        date(1979, 8, 30),
        "+6281234567890",
        "id",
        "id_ID",
        "Asia/Jakarta",
        "ID",
        "CN-200417",
        "Personal loan",
        "IDR",
        1_250_000_00,
        375_000_00,
        125_000_00,
        0,
        45,
        given_name="Budi",
        family_name="Santoso",
    ),
    DemoCustomer(
        "Maria Santos",
        date(1992, 1, 5),
        "+639171234567",
        "tl",
        "en_PH",
        "Asia/Manila",
        "PH",
        "CN-300562",
        "Home internet",
        "PHP",
        8_499_00,
        2_999_00,
        1_000_00,
        0,
        9,
        given_name="Maria",
        family_name="Santos",
    ),
    DemoCustomer(
        "James Carter",
        date(1975, 11, 23),
        "+14155550123",
        "en",
        "en_US",
        "America/Chicago",
        "US",
        "CN-400781",
        "Credit card",
        "USD",
        184_250,
        35_000,
        5_000,
        2_900,
        63,
        given_name="James",
        family_name="Carter",
    ),
    DemoCustomer(
        "Nur Aisyah binti Ahmad",
        date(1990, 6, 17),
        "+60123456789",
        "ms",
        "ms_MY",
        "Asia/Kuala_Lumpur",
        "MY",
        "CN-500836",
        "Electricity",
        "MYR",
        64_320,
        21_440,
        10_000,
        0,
        34,
        given_name="Nur Aisyah",
    ),
    DemoCustomer(
        "Yuki Tanaka",
        date(1984, 9, 2),
        "+819012345678",
        "ja",
        "ja_JP",
        "Asia/Tokyo",
        "JP",
        "CN-600195",
        "Mobile plan",
        "JPY",
        23_800,
        11_900,
        5_000,
        550,
        88,
        given_name="Yuki",
        family_name="Tanaka",
    ),
    DemoCustomer(
        "Carlos Rivera",
        date(1996, 3, 28),
        "+13055550187",
        "es",
        "es_US",
        "America/New_York",
        "US",
        "CN-700328",
        "Auto loan",
        "USD",
        412_500,
        38_900,
        19_450,
        0,
        1,
        given_name="Carlos",
        family_name="Rivera",
    ),
]


async def seed_if_empty(session: AsyncSession, now: datetime | None = None) -> bool:
    """Add the demo customers unless the database already has customers. True if it seeded."""
    if await session.scalar(select(func.count()).select_from(Customer)):
        return False
    now = now or datetime.now(UTC)
    for demo in DEMO_CUSTOMERS:
        customer = Customer(
            full_name=demo.name,
            given_name=demo.given_name,
            family_name=demo.family_name,
            date_of_birth_digest=protection().birth_digest(demo.born),
            phone_e164=demo.phone,
            language=demo.language,
            locale=demo.locale,
            timezone=demo.timezone,
            jurisdiction=demo.jurisdiction,
        )
        account = Account(
            customer=customer,
            reference=demo.reference,
            product=demo.product,
            currency=demo.currency,
            balance_minor=demo.balance,
            overdue_minor=demo.overdue,
            minimum_payment_minor=demo.minimum,
            fees_minor=demo.fees,
            due_date=(now - timedelta(days=demo.days_past_due)).date(),
            status=AccountStatus.PAST_DUE,
        )
        account.payments.append(
            Payment(
                amount_minor=demo.minimum,
                currency=demo.currency,
                paid_at=now - timedelta(days=demo.days_past_due + 30),
                method="card",
            )
        )
        session.add_all([customer, account])
    return True
