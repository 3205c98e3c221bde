from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.money import Money
from bot.i18n import format_day, format_weekday_and_time, formatting_locale


@pytest.mark.parametrize(
    ("money", "locale", "shown"),
    [
        (Money(123450, "AUD"), "en_AU", "$1,234.50"),
        (Money(125_000_000, "IDR"), "id_ID", "Rp1.250.000"),  # no cents in daily use
        (Money(125_000_050, "IDR"), "id_ID", "Rp1.250.000,50"),  # unless some are owed
        (Money(1_500_000, "VND"), "vi_VN", "1.500.000\xa0₫"),
        (Money(30_000, "KRW"), "ko_KR", "₩30,000"),
        (Money(249_900, "PHP"), "en_PH", "₱2,499.00"),
        (Money(9_999, "USD"), "en_US", "$99.99"),
        (Money(45_000, "JPY"), "ja_JP", "￥45,000"),
        (Money(12_000, "MYR"), "ms_MY", "RM120.00"),
    ],
)
def test_amounts_read_the_way_customers_in_that_locale_write_them(money, locale, shown):
    assert money.format(locale) == shown


def test_yen_has_no_minor_unit_so_minor_units_are_whole_yen():
    assert Money(500, "JPY").decimal == Decimal(500)


@pytest.mark.parametrize("amount", [12.5, Decimal("12.5"), True, "1250"])
def test_money_refuses_anything_but_whole_minor_units(amount):
    with pytest.raises(TypeError):
        Money(amount, "AUD")


def test_money_refuses_an_unknown_currency():
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, "XYZ")


def test_amounts_in_different_currencies_never_add_up():
    with pytest.raises(ValueError):
        Money(100, "AUD") + Money(100, "USD")


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=10**15))
def test_adding_amounts_is_exact_to_the_last_cent(a, b):
    assert (Money(a, "USD") + Money(b, "USD")).decimal == Money(a, "USD").decimal + Money(b, "USD").decimal


@pytest.mark.parametrize(
    ("language", "customer_locale", "expected"),
    [("en", "ms_MY", "en_MY"), ("en", "en_AU", "en_AU"), ("id", "id_ID", "id_ID"), ("tl", "en_PH", "fil_PH")],
)
def test_formats_follow_the_conversation_language_with_the_customers_regional_habits(
    language, customer_locale, expected
):
    assert formatting_locale(language, customer_locale) == expected


def test_a_malaysian_customer_chatting_in_english_reads_english_month_names():
    from datetime import date

    from babel.dates import format_date

    assert (
        format_date(date(2026, 10, 20), format="long", locale=formatting_locale("en", "ms_MY"))
        == "20 October 2026"
    )


@pytest.mark.parametrize(
    ("locale", "length", "shown"),
    [
        ("th_TH", "long", "1 ธันวาคม 2569"),  # Thai years count in the Buddhist Era
        ("th_TH", "medium", "1 ธ.ค. 2569"),
        ("en_AU", "long", "1 December 2026"),
        ("ja_JP", "long", "2026年12月1日"),
    ],
)
def test_dates_read_the_way_customers_in_that_locale_count_years(locale, length, shown):
    assert format_day(date(2026, 12, 1), length, locale) == shown


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("ms_MY", "Isnin, 7 Disember, 9:00\u202fPG"),  # not "Isn, 7 Dis"
        ("id_ID", "Senin, 07 Desember 09.00"),
        ("ja_JP", "12月7日月曜日 9:00"),
        ("vi_VN", "09:00 Thứ Hai, 7 tháng 12"),  # the time first, as Vietnamese write it
    ],
)
def test_when_a_person_will_be_there_is_written_out_in_the_locales_order(locale, shown):
    opening = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert format_weekday_and_time(opening, UTC, locale) == shown
