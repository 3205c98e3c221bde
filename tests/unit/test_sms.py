"""SMS rules: segment sizes by alphabet, splitting at sensible places, numbered options."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.text_parts import (
    MAX_SEGMENTS,
    chosen_option,
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
    payloads = ['/inform{"hardship_option": "reduced"}', '/inform{"hardship_option": "pause"}']
    assert chosen_option(" 2 ", payloads) == payloads[1]
    assert chosen_option("2.", payloads) == payloads[1]
    assert chosen_option("3", payloads) is None
    assert chosen_option("I'd like 2 please", payloads) is None
