from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.identity import normalise_reference, parse_date_of_birth

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "typed",
    ["CN-100234", "cn-100234", "cn 100234", "CN100234", "my ref is CN-100234 thanks", "CN–100234"],
)
def test_account_references_are_recognised_however_they_are_typed(typed):
    assert normalise_reference(typed) == "CN-100234"


@pytest.mark.parametrize("typed", ["100234", "hello", "CN-1234", "my account", ""])
def test_text_without_a_reference_gives_none(typed):
    assert normalise_reference(typed) is None


@pytest.mark.parametrize(
    "typed",
    ["14 March 1986", "March 14, 1986", "1986-03-14", "14/03/1986", "14.3.86", "14th of March 1986"],
)
def test_common_ways_of_writing_a_birth_date_are_understood(typed):
    assert parse_date_of_birth(typed, "en", TODAY) == [date(1986, 3, 14)]


def test_an_ambiguous_numeric_date_keeps_both_readings_day_first():
    assert parse_date_of_birth("03/04/1985", "en", TODAY) == [date(1985, 4, 3), date(1985, 3, 4)]


def test_birth_dates_in_the_customers_language_are_understood():
    assert parse_date_of_birth("30 Agustus 1979", "id", TODAY) == [date(1979, 8, 30)]


@pytest.mark.parametrize(
    ("typed", "born"),
    [
        ("12/04/2531", date(1988, 4, 12)),
        ("29/02/2531", date(1988, 2, 29)),
        ("12 เมษายน 2531", date(1988, 4, 12)),
        ("14 มี.ค. 2529", date(1986, 3, 14)),  # not January: ม.ค. is inside มี.ค.
        ("14 มีค 29", date(1986, 3, 14)),
        ("วันที่ 14 มีนาคม พ.ศ. 2529", date(1986, 3, 14)),
        ("14 มีนาคม 1986", date(1986, 3, 14)),
    ],
)
def test_a_thai_customer_may_give_the_year_in_the_buddhist_era(typed, born):
    assert parse_date_of_birth(typed, "th", TODAY)[0] == born
    assert parse_date_of_birth("12/04/2531", "en", TODAY) == []  # elsewhere no one was born in 2531


@pytest.mark.parametrize("typed", ["yesterday", "hello", "31/02/1990", "next week", "2020-01-01"])
def test_things_that_cannot_be_a_birth_date_are_not_taken_as_one(typed):
    assert parse_date_of_birth(typed, "en", TODAY) == []


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY - timedelta(days=366 * 17)))
def test_any_birth_date_written_out_in_full_parses_back_to_itself(born):
    assert parse_date_of_birth(born.strftime("%d %B %Y"), "en", TODAY) == [born]


@pytest.mark.parametrize(
    ("typed", "language", "born"),
    [
        ("昭和59年9月2日", "ja", date(1984, 9, 2)),  # a Japanese era
        ("平成元年1月8日", "ja", date(1989, 1, 8)),  # its first year
        ("１９８４/９/２", "ja", date(1984, 9, 2)),  # full-width digits from a phone's keyboard
        ("75년 11월 23일", "ko", date(1975, 11, 23)),  # a two-digit year
        ("88年4月12号", "zh", date(1988, 4, 12)),
    ],
)
def test_birth_dates_written_the_chinese_japanese_and_korean_way_have_one_reading(typed, language, born):
    assert parse_date_of_birth(typed, language, TODAY) == [born]


def test_a_reference_typed_in_full_width_characters_is_read():
    assert normalise_reference("ＣＮ６００１９５です") == "CN-600195"
