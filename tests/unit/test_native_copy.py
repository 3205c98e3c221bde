"""What a native reader expects of the balance answer, in every language: the name as that
language addresses a customer, the product in its words, amounts with the decimals in daily use,
and no clause about fees when there are none."""

import re
from datetime import UTC, date, datetime

import pytest

from bot.db.models import Account, Customer
from bot.domain.accounts import account_summary
from bot.domain.money import Money
from bot.i18n import Catalog, formatting_locale
from tests.conftest import LANGUAGES

# The name each language's sentences should show for Budi Santoso, and where it must not be split.
ADDRESSED = {
    "ja": "Santoso様",
    "ko": "Budi Santoso님",
    "zh": "Budi Santoso",
    "id": "Bapak/Ibu Budi",
    "ms": "Tuan/Puan Budi",
}


def _balance(
    catalog: Catalog, language: str, fees: int, currency: str = "IDR", minor: int = 125_000_000
) -> str:
    customer = Customer(full_name="Budi Santoso", given_name="Budi", family_name="Santoso", locale="id_ID")
    account = Account(
        reference="CN-200417",
        product="Personal loan",
        currency=currency,
        balance_minor=minor,
        overdue_minor=minor // 4,
        minimum_payment_minor=minor // 10,
        fees_minor=fees,
        due_date=date(2026, 12, 1),
    )
    customer.timezone = "Asia/Jakarta"
    locale = formatting_locale(language, customer.locale)
    values = account_summary(
        account, customer, datetime(2026, 12, 7, tzinfo=UTC), locale, catalog.address[language]
    )
    key = "utter_balance" if fees else "utter_balance_no_fees"
    return catalog.render(key, language, values).text


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_the_customer_is_addressed_as_their_language_addresses_people(catalog: Catalog, language):
    shown = _balance(catalog, language, fees=0)
    assert ADDRESSED.get(language, "Budi") in shown, shown
    if language not in ("ko", "zh"):
        assert "Santoso" not in shown or language == "ja", shown


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_the_product_has_its_name_in_the_customers_language(catalog: Catalog, language):
    named = catalog.terms[language]["product"]["Personal loan"]
    assert named in _balance(catalog, language, fees=0)
    assert "Personal loan" not in _balance(catalog, language, fees=0) or named == "personal loan"


@pytest.mark.parametrize("language", [*LANGUAGES, "hi-Latn"])
def test_no_fees_means_no_fees_clause_and_fees_are_shown_when_there_are_some(catalog: Catalog, language):
    locale = formatting_locale(language, "id_ID")
    fees = Money(1_500_000, "IDR").format(locale)
    assert fees in _balance(catalog, language, fees=1_500_000)
    without = _balance(catalog, language, fees=0)
    zero = Money(0, "IDR").format(locale)
    assert not re.search(rf"(?<![\d.,\xa0]){re.escape(zero)}", without), without


@pytest.mark.parametrize(
    ("currency", "minor", "locale", "shown"),
    [
        ("IDR", 125_000_000, "id_ID", "Rp1.250.000"),
        ("JPY", 23_800, "ja_JP", "￥23,800"),
        ("KRW", 486_500, "ko_KR", "₩486,500"),
        ("VND", 4_865_000, "vi_VN", "4.865.000\xa0₫"),
        ("PHP", 48_650, "en_PH", "₱486.50"),
        ("MYR", 64_320, "ms_MY", "RM643.20"),
        ("THB", 48_650, "th_TH", "฿486.50"),
        ("INR", 48_650, "hi_IN", "₹486.50"),
    ],
)
def test_each_currency_shows_the_decimals_in_daily_use(currency, minor, locale, shown):
    assert Money(minor, currency).format(locale) == shown


@pytest.mark.parametrize(
    ("language", "currency", "minor", "shown"),
    [
        ("ja", "JPY", 48_650, "48,650円"),
        ("ko", "KRW", 486_500, "486,500원"),
        ("zh", "CNY", 48_650, "486.50元"),
        ("vi", "VND", 4_865_000, "4.865.000đ"),
    ],
)
def test_the_local_currency_is_written_as_people_there_write_it(
    catalog: Catalog, language, currency, minor, shown
):
    pattern = catalog.amount_patterns[language][currency]
    assert Money(minor, currency).format(formatting_locale(language, "en_US"), pattern) == shown
