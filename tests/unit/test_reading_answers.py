"""Reading what customers type: amounts, dates, and phrases that carry a choice."""

from datetime import date

import pytest

from bot.config import ROOT
from bot.domain.money import Money
from bot.i18n import Catalog
from bot.understanding.amounts import mentions_money, names_other_currency, parse_amount, parse_count
from bot.understanding.dates import date_alone, date_ending, find_date, parse_future_date

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("typed", "currency", "locale", "expected"),
    [
        ("50", "AUD", "en_AU", 5_000),
        ("$1,250.50", "AUD", "en_AU", 125_050),
        ("fifty bucks", "USD", "en_US", 5_000),
        ("I can do 40 a week", "AUD", "en_AU", 4_000),
        ("Rp 500.000", "IDR", "id_ID", 50_000_000),
        ("RM 200", "MYR", "ms_MY", 20_000),
        ("3000", "JPY", "ja_JP", 3_000),
        ("one hundred and twenty", "AUD", "en_AU", 12_000),
        # The number written with the currency, not a count before it.
        ("毎月・3回払い（1回 約7,934円）", "JPY", "ja_JP", 7_934),
        ("6 pagos de $687.50", "USD", "es_US", 68_750),
    ],
)
def test_amounts_are_read_in_the_accounts_currency(words, typed, currency, locale, expected):
    assert parse_amount(typed, currency, locale, "en", words) == Money(expected, currency)


@pytest.mark.parametrize(
    ("typed", "language", "currency", "locale", "expected"),
    [
        ("500rb", "id", "IDR", "id_ID", 500_000_00),
        ("1,5 juta", "id", "IDR", "id_ID", 1_500_000_00),
        ("RM50 sebulan", "ms", "MYR", "ms_MY", 5_000),
        ("5千円", "ja", "JPY", "ja_JP", 5_000),
        ("１万円", "ja", "JPY", "ja_JP", 10_000),
        ("5000円で", "ja", "JPY", "ja_JP", 5_000),
        ("1万5千", "zh", "JPY", "zh_CN", 15_000),
        ("5만원", "ko", "KRW", "ko_KR", 50_000),
        ("2 triệu", "vi", "VND", "vi_VN", 2_000_000),
        ("2k po", "tl", "PHP", "fil_PH", 2_000_00),
        ("5 hazar", "hi", "INR", "hi_IN", 5_000_00),
        ("3 mil pesos", "es", "MXN", "es_MX", 3_000_00),
    ],
)
def test_amounts_are_read_the_way_each_language_writes_them(
    words, typed, language, currency, locale, expected
):
    assert parse_amount(typed, currency, locale, language, words) == Money(expected, currency)


@pytest.mark.parametrize("typed", ["hello", "0", "-5", "12.345", ""])
def test_text_that_is_not_a_usable_amount_gives_none(words, typed):
    assert parse_amount(typed, "USD", "en_US", "en", words) is None


def test_only_numbers_with_a_currency_or_a_scale_count_as_money_said_up_front(words):
    assert all(mentions_money(said, "en", words) for said in ["$50 a week", "50 bucks", "Rp 50.000", "2k"])
    assert mentions_money("500rb seminggu", "id", words) and mentions_money("5万", "ja", words)
    assert not mentions_money("pay in 4 parts", "en", words)
    assert not mentions_money("6 monthly payments", "en", words)
    assert not mentions_money("6 kali bayar", "id", words)
    assert not mentions_money("6 kỳ", "vi", words), "kỳ (instalments) is not k (thousands)"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("next friday", date(2026, 11, 27)),
        ("the 15th", date(2026, 12, 15)),
        ("on the 30th", date(2026, 11, 30)),
        ("in two weeks", date(2026, 12, 7)),
        ("30 November", date(2026, 11, 30)),
        ("end of the month", date(2026, 11, 30)),
        ("tomorrow", date(2026, 11, 24)),
        ("I can pay on friday", date(2026, 11, 27)),
    ],
)
def test_dates_customers_propose_are_read_from_their_today(words, typed, expected):
    assert parse_future_date(typed, "en", MONDAY, words) == expected


@pytest.mark.parametrize(
    ("typed", "language", "expected"),
    [
        ("Jumat depan", "id", date(2026, 11, 27)),
        ("tgl 15", "id", date(2026, 12, 15)),
        ("akhir bulan", "id", date(2026, 11, 30)),
        ("15 Disember", "ms", date(2026, 12, 15)),
        ("sa Biyernes po", "tl", date(2026, 11, 27)),
        ("el próximo viernes", "es", date(2026, 11, 27)),
        ("el 15", "es", date(2026, 12, 15)),
        ("thứ sáu tuần sau", "vi", date(2026, 12, 4)),
        ("thứ 6", "vi", date(2026, 11, 27)),
        ("วันที่ 15", "th", date(2026, 12, 15)),
        ("วันศุกร์หน้า", "th", date(2026, 11, 27)),
        ("下周五", "zh", date(2026, 12, 4)),  # the Friday of next week, not of this one
        ("这周五", "zh", date(2026, 11, 27)),
        ("15号", "zh", date(2026, 12, 15)),
        ("来週の金曜日", "ja", date(2026, 12, 4)),
        ("12月5日", "ja", date(2026, 12, 5)),
        ("１５日", "ja", date(2026, 12, 15)),
        ("월말", "ko", date(2026, 11, 30)),
        ("12월 15일", "ko", date(2026, 12, 15)),
        ("15 तारीख", "hi", date(2026, 12, 15)),
    ],
)
def test_dates_are_read_the_way_each_language_writes_them(words, typed, language, expected):
    assert parse_future_date(typed, language, MONDAY, words) == expected


@pytest.mark.parametrize(
    ("typed", "language", "expected"),
    [
        ("毎月2万円を来週の金曜日から払いたい", "ja", date(2026, 12, 4)),
        ("2万円ずつ、12月15日から", "ja", date(2026, 12, 15)),
        ("2万円を12月15日から", "ja", date(2026, 12, 15)),
        ("매달 20만원씩 다음 주 금요일부터 낼게요", "ko", date(2026, 12, 4)),
        ("15일부터 매달 10만원", "ko", date(2026, 12, 15)),
        ("हर महीने 2000 रुपये, अगले शुक्रवार से", "hi", date(2026, 11, 27)),
        ("मैं हर महीने 2000 दे सकता हूँ 15 तारीख से", "hi", date(2026, 12, 15)),
        ("हर महीने 2000 रुपये से", "hi", None),
    ],
)
def test_a_first_day_said_before_its_from_is_read(words, typed, language, expected):
    """Hindi, Japanese and Korean put "from" after the date."""
    before = words.before("plan_start_after_date", typed, language)
    assert (before and date_ending(before, language, MONDAY, words)) == expected


@pytest.mark.parametrize("typed", ["yesterday", "payday", "hello", "last week"])
def test_past_or_unknown_dates_are_not_guessed(words, typed):
    assert parse_future_date(typed, "en", MONDAY, words) is None


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("can I pay on the 15th instead?", "en"),
        ("what if we start it on the 15th?", "en"),
        ("¿y si empezamos el 15?", "es"),
        ("क्या हम 15 तारीख से शुरू कर सकते हैं?", "hi"),
        ("bisa mulai tanggal 15?", "id"),
        ("15日から始められますか？", "ja"),
        ("15일부터 시작하면 안 될까요?", "ko"),
        ("boleh mula pada 15 hb?", "ms"),
        ("เริ่มวันที่ 15 ได้ไหม", "th"),
        ("pwede po bang sa 15 na lang magsimula?", "tl"),
        ("tôi có thể trả vào ngày 15 được không?", "vi"),
        ("可以从15号开始吗？", "zh"),
    ],
)
def test_a_day_inside_a_sentence_is_found_in_every_language(words, typed, language):
    assert find_date(typed, language, MONDAY, words) == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("I can do 20 bucks every two weeks", "en"),  # how often, and an amount: no day
        ("i can pay 2 a week", "en"),
        ("we can do that", "en"),  # "we" is not Wednesday
        ("my mum passed her exam", "en"),
        ("puedo pagar 20 dólares cada semana", "es"),
        ("毎月2万円払えます", "ja"),  # 2万円 is money, not February
        ("한달에 200달러씩 낼게요", "ko"),
        ("2번이요", "ko"),
        ("kada 2 linggo na lang po", "tl"),
        ("tôi trả 200 nghìn mỗi tuần", "vi"),
        ("จ่ายเดือนละ 2000 บาท", "th"),
    ],
)
def test_numbers_that_are_not_days_are_not_read_as_dates(words, typed, language):
    assert find_date(typed, language, MONDAY, words) is None


@pytest.fixture(scope="module")
def words() -> Catalog:
    return Catalog(ROOT / "locales", "en")


@pytest.mark.parametrize(
    ("group", "typed", "meaning"),
    [
        ("frequency", "every two weeks please", "fortnightly"),
        ("frequency", "I get paid weekly", "weekly"),
        ("frequency", "once a month", "monthly"),
        ("hardship_option", "a pause would help", "pause"),
        ("hardship_option", "smaller payments", "reduced"),
        ("payment_choice", "just the overdue amount", "overdue"),
        ("not_sure", "idk", "not_sure"),
        ("choice", "the second one", "2"),
    ],
)
def test_phrases_carry_their_meaning(words, group, typed, meaning):
    assert words.recognise(group, typed, "en") == meaning


def test_a_phrase_inside_another_word_does_not_count(words):
    assert words.recognise("frequency", "weekend", "en") is None


def test_canonical_values_read_in_the_customers_words(words):
    rendered = words.render("utter_ask_plan_amount", "en", {"period": "fortnightly", "example": "$50.00"})
    assert "each fortnight?" in rendered.text


def test_a_list_of_options_becomes_one_button_each(words):
    options = [
        {
            "payload": '/inform{"plan_choice": "1"}',
            "values": {"count": 10, "frequency": "weekly", "amount": "$48.65"},
        },
        {
            "payload": '/inform{"plan_choice": "2"}',
            "values": {"count": 5, "frequency": "fortnightly", "amount": "$97.30"},
        },
    ]
    rendered = words.render("utter_plan_options_choices", "en", {"options": options})
    assert [b.title for b in rendered.buttons] == [
        "10 weekly payments of about $48.65",
        "5 fortnightly payments of about $97.30",
    ]
    assert rendered.buttons[1].payload == '/inform{"plan_choice": "2"}'


def test_a_language_is_recognised_by_its_names(words):
    assert words.language_mentioned("can we do this in English please") == "en"
    assert words.language_mentioned("hello there") is None


@pytest.mark.parametrize(
    ("typed", "count"), [("6 payments", 6), ("in four instalments", 4), ("over 12 parts", 12)]
)
def test_a_number_of_payments_is_read_in_digits_or_words(typed, count):
    assert parse_count(typed) == count


@pytest.mark.parametrize(
    ("typed", "language"),
    [("6 kali", "id"), ("６回", "ja"), ("分6期", "zh"), ("6 किश्तों में", "hi"), ("6 kỳ", "vi")],
)
def test_a_number_of_payments_is_read_in_any_language(typed, language):
    assert parse_count(typed, language) == 6


def test_text_with_no_single_number_has_no_count():
    assert parse_count("a few payments") is None
    assert parse_count("6 or 8 payments") is None


@pytest.mark.parametrize("said", ["BERHENTI", "tigil", "no más", "停止", "หยุด", "중지", "dừng", "配信停止"])
def test_stop_is_heard_in_every_language_even_in_a_conversation_that_started_in_english(words, said):
    assert words.keyword("sms_keywords", said, "en", anywhere=True) == "stop"


@pytest.mark.parametrize("said", ["ya", "oo", "sí", "はい", "네", "ok"])
def test_an_ordinary_reply_is_never_a_carrier_keyword(words, said):
    assert words.keyword("sms_keywords", said, "en", anywhere=True) is None


@pytest.mark.parametrize(
    ("said", "currency", "other"),
    [
        ("500 baht", "MYR", True),
        ("ผ่อนเดือนละ 500 บาท", "MYR", True),
        ("50 bucks", "IDR", True),
        ("5000円", "CNY", True),
        ("$50", "AUD", False),  # may be the account's dollars
        ("¥5000", "CNY", False),
        ("RM50 sebulan", "MYR", False),
        ("500 a month", "THB", False),
    ],
)
def test_an_amount_in_another_currency_is_never_taken_as_the_accounts(said, currency, other):
    assert names_other_currency(said, currency) is other


@pytest.mark.parametrize(
    ("said", "currency"),
    [
        ("每两周还50澳元", "AUD"),
        ("한달에 200달러씩", "USD"),
        ("100 ริงกิต", "MYR"),
        ("지금은 불가능해요 10만원", "KRW"),
    ],
)
def test_the_accounts_own_currency_named_in_the_customers_language_is_the_accounts(said, currency):
    assert not names_other_currency(said, currency)  # 澳元 is Australian dollars, not yuan (元)


@pytest.mark.parametrize(
    ("typed", "language", "alone"),
    [
        ("next Friday", "en", True),
        ("on the 28th", "en", True),
        ("Jumat depan", "id", True),
        ("el viernes", "es", True),
        ("来週の金曜日", "ja", True),
        ("15", "en", False),  # an option's number, or an amount
        ("20 bucks", "en", False),
        ("yes", "en", False),
        ("what is this about", "en", False),
    ],
)
def test_a_reply_that_is_only_a_date_is_told_apart(words, typed, language, alone):
    assert (date_alone(typed, language, MONDAY, words) is not None) is alone
