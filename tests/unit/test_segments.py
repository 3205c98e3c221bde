"""Words of scripts written without spaces are split into characters for the classifier."""

from concord_nlu.segments import segments


def test_chinese_and_japanese_words_become_one_unit_per_character_with_their_offsets():
    assert segments("分期付款") == [("分", 0), ("期", 1), ("付", 2), ("款", 3)]
    assert [unit for unit, _ in segments("払いたい")] == ["払", "い", "た", "い"]


def test_a_thai_letter_keeps_its_vowel_and_tone_marks():
    assert [unit for unit, _ in segments("ได้ไหม")] == ["ไ", "ด้", "ไ", "ห", "ม"]


def test_lao_and_khmer_are_split_too_so_a_language_in_them_needs_only_data():
    assert [unit for unit, _ in segments("ຂອບໃຈ")] == ["ຂ", "ອ", "ບ", "ໃ", "ຈ"]  # Lao "thank you"
    assert [unit for unit, _ in segments("អរគុណ")] == ["អ", "រ", "គុ", "ណ"]  # Khmer "thank you"


def test_latin_digits_and_hangul_inside_or_alone_stay_whole():
    assert segments("5000円") == [("5000", 0), ("円", 4)]
    assert segments("ok吗") == [("ok", 0), ("吗", 2)]
    assert segments("할부") == [("할부", 0)]
    assert segments("instalments") == [("instalments", 0)]
