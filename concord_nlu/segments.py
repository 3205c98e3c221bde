"""Splitting words of scripts written without spaces into the units the classifier counts.

Chinese and Japanese are written without spaces between words, and Thai, Lao, Khmer and
Burmese without spaces between words of a phrase: a whole sentence would be one "word". Each
Han or kana character and each letter of the others with its vowel and tone marks becomes a
unit of its own, so word pairs over them are character bigrams ("分期", "付款"). Other scripts
are left as they are. Naming the next region's unspaced scripts here keeps a new language
(Lao, Khmer, Burmese) a matter of data files.
"""

import regex

# One unit per character (a letter keeps its combining vowel and tone marks).
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_UNIT = regex.compile(r"\X")


def segments(word: str) -> list[tuple[str, int]]:
    """The units of one whitespace-separated word, each with its offset in the word."""
    if not _UNSPACED.search(word):
        return [(word, 0)]
    units: list[tuple[str, int]] = []
    run_start = None  # start of a run of other characters ("ok", "500") inside the word
    offset = 0
    for cluster in _UNIT.findall(word):
        if _UNSPACED.match(cluster):
            if run_start is not None:
                units.append((word[run_start:offset], run_start))
                run_start = None
            units.append((cluster, offset))
        elif run_start is None:
            run_start = offset
        offset += len(cluster)
    if run_start is not None:
        units.append((word[run_start:], run_start))
    return units
