"""SMS rules: segment sizes by alphabet, composing texts a phone shows well, numbered options."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.sentences import sentences
from bot.channels.text_parts import (
    MAX_SEGMENTS,
    as_sms,
    chosen_option,
    in_gsm7,
    is_gsm7,
    segments,
    split_for_sms,
    with_numbered_options,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("é" * 160, 1),
        ("ก" * 70, 1),
        ("ก" * 71, 2),
        ("日" * 134, 2),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
    ],
)
def test_segments_follow_gsm7_and_ucs2_sizes(text, expected):
    assert segments(text) == expected


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2():
    assert is_gsm7("Your balance is $486.50")
    assert not is_gsm7("Your balance is $486.50 — thanks")


words = st.text(alphabet=st.sampled_from("abcdefghij$€.,!? ก日"), min_size=1, max_size=12)


@settings(deadline=None)  # the first example loads spaCy's pipeline
@given(st.lists(words, min_size=1, max_size=120))
def test_every_part_fits_and_nothing_is_lost(tokens):
    text = " ".join(tokens)
    parts = split_for_sms(text)
    assert all(segments(part) <= MAX_SEGMENTS for part in parts)
    assert "".join(" ".join(parts).split()) == "".join(text.split())


def test_long_replies_are_cut_between_sentences_not_inside_amounts():
    sentence = "Your balance is $486.50, of which $129.00 is overdue and was due on 2 November 2026."
    parts = split_for_sms(" ".join([sentence] * 5))
    assert len(parts) > 1 and all(part.endswith("2026.") for part in parts)


def test_buttons_become_numbered_options_and_a_number_picks_one():
    text = with_numbered_options("What would help most?", ["Smaller payments", "A pause"])
    assert text == "What would help most?\n1. Smaller payments\n2. A pause"
    buttons = [
        {"title": "Smaller payments", "payload": '/inform{"hardship_option": "reduced"}'},
        {"title": "A pause", "payload": '/inform{"hardship_option": "pause"}'},
    ]
    assert chosen_option(" 2 ", buttons) == buttons[1]["payload"]
    assert chosen_option("2.", buttons) == buttons[1]["payload"]
    assert chosen_option("3", buttons) is None
    assert chosen_option("I'd like 2 please", buttons) is None


def test_an_options_own_words_typed_pick_it_but_not_their_negation():
    agree = [{"title": "Đồng ý", "payload": "/affirm"}, {"title": "Thay đổi", "payload": "/deny"}]
    assert chosen_option("đồng ý", agree) == "/affirm"
    assert chosen_option("Đồng ý ạ", agree) == "/affirm"
    assert chosen_option("không đồng ý", agree) is None, "a word before the title may negate it"
    tagalog = [
        {"title": "Opo, sang-ayon ako", "payload": "/affirm"},
        {"title": "May babaguhin ako", "payload": "/deny"},
    ]
    assert chosen_option("may babaguhin po ako", tagalog) == "/deny"
    assert chosen_option("may babaguhin po ako sa plan", tagalog) is None, (
        "more than one word more is a sentence"
    )
    close = [{"title": "Yes", "payload": "/affirm"}, {"title": "Yes please", "payload": "/more"}]
    assert chosen_option("yes please", close) == "/more", "the option said exactly"
    calls = [{"title": "Call me", "payload": "/call"}, {"title": "Call back", "payload": "/back"}]
    assert chosen_option("call me back", calls) is None, "a reply that fits two options picks neither"


TAGALOG_BALANCE = (
    "Salamat po, Maria. Ito po ang inyong mobile plan account CN-300562: ang balance ay ₱8,499.00, at "
    "₱2,999.00 dito ang lampas na sa due date (kasama na ang fees na ₱0.00). Ang due date nito ay "
    "Oktubre 12, 2026, at ang minimum payment ay ₱1,000.00."
)


def test_a_currency_sign_that_alone_forces_ucs2_is_written_as_its_iso_code():
    assert in_gsm7("Balance ₱1,234.50, ₹12,50,000.00 and 123.450\u00a0₫.") == (
        "Balance PHP 1,234.50, INR 12,50,000.00 and 123.450 VND."
    )
    assert split_for_sms(TAGALOG_BALANCE, "tl") == [TAGALOG_BALANCE.replace("₱", "PHP ")]


def test_a_currency_sign_stays_where_the_text_is_ucs2_anyway_or_gsm7_already():
    assert in_gsm7("El pago mínimo es de ₱1,000.00.") == "El pago mínimo es de ₱1,000.00."
    assert in_gsm7("Pay $486.50, £3.00, ¥500 or €9.99.") == "Pay $486.50, £3.00, ¥500 or €9.99."


def test_each_text_is_written_in_gsm7_where_its_own_amounts_alone_keep_it_out():
    gsm7 = "Ang balance ay ₱8,499.00 at ang minimum ay ₱1,000.00. " * 4
    parts = split_for_sms(gsm7 + "El pago mínimo es de ₱1,000.00, y el saldo está al día.", "tl")
    assert [is_gsm7(part) for part in parts] == [True, False]
    assert "PHP 8,499.00" in parts[0] and "₱1,000.00" in parts[1]


@pytest.mark.parametrize(
    ("language", "opening", "sentence", "rest"),
    [
        (
            "es",
            "Gracias, Carlos.",
            "Su plan de celular (cuenta CN-700328) tiene un saldo de $4,125.00; de eso, $389.00 está "
            "vencido (incluye $29.00 de cargos).",
            "La fecha de pago era el 12 de octubre de 2026 y el pago mínimo es de $194.50.",
        ),
        (
            "en",
            "Thank you, Mia.",
            "Here's your mobile plan account CN-100234, with a balance of $1,234.50, of which $486.50 is "
            "overdue, fees included, and the minimum payment of $45.00 was due on 12 October 2026, which "
            "you can pay now, spread out over a few weeks or a few months, or move to a later date that "
            "suits you better.",
            "If anything changes, just message here.",
        ),
    ],
)
def test_a_short_greeting_is_never_a_text_of_its_own(language, opening, sentence, rest):
    assert segments(sentence) <= MAX_SEGMENTS < segments(f"{opening} {sentence}")  # they need a cut
    parts = split_for_sms(f"{opening} {sentence} {rest}", language)
    assert len(parts) == 2 and parts[0].startswith(f"{opening} ") and parts[1].endswith(rest)


def test_a_sentence_that_fits_in_a_text_is_never_cut():
    said = [
        "Your balance is $1,234.50, of which $486.50 is overdue.",
        "Please see No. 5 on your bill, or call 119 ext. 8 at any time.",
        "We received Rp1.250.000 on 2 November 2026.",
        "Son 3 pagos de aprox. $100.00 cada uno.",
        "Thank you for letting me know.",
    ] * 3
    parts = split_for_sms(" ".join(said), "en")
    assert len(parts) > 1
    assert all(any(sentence in part for part in parts) for sentence in said)


def test_a_sentence_longer_than_a_text_is_cut_after_a_clause_not_inside_an_amount():
    sentence = ", ".join(f"the payment of $1,{n:03}.50 on {n} November 2026" for n in range(1, 12)) + "."
    parts = split_for_sms(sentence, "en")
    assert len(parts) == 2 and parts[0].endswith("2026,") and parts[1].startswith("the payment of $1,")


def test_numbered_options_are_never_cut_inside_a_line():
    question = "पैसों की दिक्कत हो तो हमारी सहायता टीम मदद कर सकती है। आपको कौन-सा प्लान ठीक लगेगा?"
    titles = [f"{n} किश्तें, हर महीने लगभग ₹{78_450 // n:,}.00" for n in (3, 6, 12)] + ["पैसों की दिक्कत बताएँ"]
    parts = split_for_sms(with_numbered_options(question, titles), "hi")
    lines = [line for part in parts for line in part.split("\n")]
    assert len(parts) > 1 and all(f"{n}. {title}" in lines for n, title in enumerate(titles, start=1))
    assert not any(re.fullmatch(r"\d+\.", line.strip()) for line in lines)


def test_options_that_need_a_text_of_their_own_go_together():
    text = "I'm sorry, the smallest payments I can offer are a bit more than that. " * 3
    titles = [f"{n} monthly payments of about ${amount}" for n, amount in ((3, "411.50"), (6, "205.75"))]
    titles += ["12 monthly payments of about $102.88", "Talk about hardship"]
    parts = split_for_sms(with_numbered_options(text.strip(), titles), "en")
    assert parts[1] == "\n".join(f"{n}. {title}" for n, title in enumerate(titles, start=1))


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("hi", "धन्यवाद, Priya जी। कुल बैलेंस ₹1,234.50 है। क्या मदद करूँ?", ["धन्यवाद, Priya जी। ", "कुल बैलेंस ₹1,234.50 है। ", "क्या मदद करूँ?"]),
        ("ja", "田中様、ありがとうございます。残高は￥123,450です。よろしいですか？", ["田中様、ありがとうございます。", "残高は￥123,450です。", "よろしいですか？"]),
        ("zh", "谢谢您，王伟。余额为 ¥8,234.50。您同意吗？", ["谢谢您，王伟。", "余额为 ¥8,234.50。", "您同意吗？"]),
        ("ko", "감사합니다. 잔액은 ₩1,234,500입니다.", ["감사합니다. ", "잔액은 ₩1,234,500입니다."]),
        ("th", "ขอบคุณค่ะ ครบกำหนดวันที่ 12 ตุลาคม ค.ศ. 2026 ค่ะ", ["ขอบคุณค่ะ ", "ครบกำหนดวันที่ 12 ตุลาคม ค.ศ. 2026 ค่ะ"]),
        ("es", "Gracias por esperar. ¿Le conviene? Son pagos de aprox. $100.00.", ["Gracias por esperar. ", "¿Le conviene? ", "Son pagos de aprox. $100.00."]),
        ("en", "It's $486.50. See No. 5 on your bill.\n1. Yes\n2. No", ["It's $486.50. ", "See No. 5 on your bill.\n", "1. Yes\n", "2. No"]),
        ("id", "Total Rp1.250.000. Hubungi 119 ext. 8 sekarang.", ["Total Rp1.250.000. ", "Hubungi 119 ext. 8 sekarang."]),
    ],
)  # fmt: skip
def test_sentences_end_where_each_language_ends_them(language, text, expected):
    assert sentences(text, language) == expected


def test_the_options_stay_with_the_last_text():
    buttons = [
        {"title": "Yes, please", "payload": "/affirm"},
        {"title": "No, that's all", "payload": "/deny"},
    ]
    parts = as_sms("Thank you for letting me know. " * 12, buttons, "en")
    assert len(parts) > 1 and [b for _, b in parts] == [[]] * (len(parts) - 1) + [buttons]
    assert parts[-1][0].endswith("1. Yes, please\n2. No, that's all")
