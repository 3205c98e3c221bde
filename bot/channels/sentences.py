"""Where a reply's sentences end, in each of our languages, so an SMS is cut between them.

spaCy's rule-based `sentencizer` on a blank pipeline finds the ends: it knows "。", "！", "？"
and "।" as well as ".", and its tokenizer keeps "$486.50", "Rp1.250.000" and abbreviations such
as Spanish "aprox." whole. Measured against the regex this replaced on every response of every
locale (tests/unit/test_sms_journeys.py). A few rules of ours finish the job: see `sentence_ends`.
"""

import functools
import re

# A line that is one item of a list is never cut.
_NUMBERED = re.compile(r"\s*\d{1,2}[.)]\s")
# Thai marks the end of a clause with a space; one between two Thai words ends a sentence for us.
# Not before an abbreviation such as "ค.ศ." (the Gregorian era in a date). Letters and vowel signs,
# not the baht sign "฿" (U+0E3F) nor Thai digits.
_THAI = "[\u0e01-\u0e3a\u0e40-\u0e4e]"
_THAI_CLAUSE_END = re.compile(rf"(?<={_THAI}) +(?={_THAI}(?!{_THAI}?\.))")
# Full-width stops end a sentence with no space after them, inside what spaCy would read as one word.
# (Setting a tokenizer's infixes reloads its exceptions: seconds for id's, so only where needed.)
_FULL_WIDTH_ENDS = r"[。！？]"
# "No. 5", "119 ext. 8", "2026. 11. 2.": a full stop between a Latin word or a number and a number
# is an abbreviation's (a Korean sentence may well end before a number: "…했어요. 1986년…").
_ABBREVIATION = re.compile(r"(?<=[A-Za-z\d])\.\s+\d")
# Spanish opens a question or exclamation with "¿" / "¡": they belong to the sentence they open.
_OPENING = "¿¡"
# The pipelines whose blank tokenizer does not suit an SMS: zh's cuts Chinese into single
# characters, so "¥8,234.50" would end a sentence at its decimal point.
_MULTILANGUAGE = {"zh"}


def sentences(text: str, language: str | None) -> list[str]:
    """The text's sentences, in order, each keeping the whitespace after it, so that joined
    they are the text again. A line break always ends one; a numbered line is one whole."""
    pieces = []
    for line in re.findall(r"[^\n]*\n*", text)[:-1]:
        ends = [] if numbered(line) else sentence_ends(line, language)
        starts = [_after_whitespace(line, end) for end in ends]
        pieces += [line[a:b] for a, b in zip([0, *starts], [*starts, len(line)], strict=True)]
    return pieces


def numbered(line: str) -> bool:
    """One item of a list: "1. Yes, I agree", "2. 2026. 11. 2.: ₩205,750"."""
    return _NUMBERED.match(line) is not None


def sentence_ends(line: str, language: str | None) -> list[int]:
    """Offsets in one line where a sentence ends (before the space after it), but its last."""
    body = line.rstrip()
    ends = {_before_opening(body, sentence.end_char) for sentence in _pipeline(language)(body).sents}
    ends |= {match.start() for match in _THAI_CLAUSE_END.finditer(body)}
    return sorted(e for e in ends if 0 < e < len(body) and not _ABBREVIATION.match(body, e - 1))


@functools.lru_cache
def _pipeline(language: str | None):
    """A blank pipeline with the sentencizer, once per language; the multi-language one ("xx")
    where the language's own needs a word segmenter we do not install (ja, ko, th, vi)."""
    import spacy  # only SMS needs it, and importing it takes a while
    from spacy.util import compile_infix_regex

    try:
        nlp = spacy.blank("xx" if language is None or language in _MULTILANGUAGE else language)
    except ImportError:
        nlp = spacy.blank("xx")
    if nlp.lang == "xx":  # it reads Japanese and Chinese, which put no space after a full stop
        nlp.tokenizer.infix_finditer = compile_infix_regex([*nlp.Defaults.infixes, _FULL_WIDTH_ENDS]).finditer
    nlp.add_pipe("sentencizer")
    return nlp


def _before_opening(line: str, end: int) -> int:
    """spaCy ends "…cada uno. ¿" after the "¿" that opens the next sentence: end before it."""
    return len(line[:end].rstrip(_OPENING).rstrip())


def _after_whitespace(line: str, end: int) -> int:
    return len(line) - len(line[end:].lstrip())
