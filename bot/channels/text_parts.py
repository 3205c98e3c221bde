"""What an SMS can carry: GSM-7 or UCS-2 segments, numbered options instead of buttons, and a
reply composed into texts that a phone shows well."""

import itertools
import math
import re
from collections.abc import Callable

import regex

from bot.channels.sentences import numbered, sentences
from bot.i18n import normalise

# The GSM 03.38 alphabet; the extension characters cost two septets each.
_GSM7 = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = "^{}\\[~]|€\f"
# As patterns, because composing a reply measures many candidate texts.
_OUTSIDE_GSM7 = re.compile(f"[^{re.escape(_GSM7 + _GSM7_EXTENSION)}]")
_EXTENDED = re.compile(f"[{re.escape(_GSM7_EXTENSION)}]")
# Most we let one message take, so it arrives whole and costs little (DESIGN: aim ≤ 2 segments).
MAX_SEGMENTS = 2
# Currency signs outside GSM-7 that name one currency each ("$", "£", "¥" and "€" are in it).
_ISO_CODES = {
    "₱": "PHP", "₹": "INR", "₩": "KRW", "₫": "VND", "฿": "THB", "₮": "MNT", "₦": "NGN", "₴": "UAH",
    "₪": "ILS", "₺": "TRY", "₽": "RUB", "₸": "KZT", "₭": "LAK", "៛": "KHR", "৳": "BDT", "₾": "GEL",
    "₼": "AZN", "₲": "PYG", "₵": "GHS", "₡": "CRC",
}  # fmt: skip
# A sign before the number ("₱1,234.50") or after it ("123.450 ₫", often after a no-break space).
_SIGN = f"[{''.join(_ISO_CODES)}]"
_AMOUNT_SIGN = re.compile(rf"({_SIGN})\s?(?=\d)|(?<=\d)\s?({_SIGN})")
# A first sentence this short (a greeting, a thank-you) never goes as a text of its own.
_SHORT_OPENING = 40
# What a cut costs: of the ways to send the fewest texts, the one that reads best is chosen.
_LINE, _SENTENCE, _OPTIONS, _CLAUSE, _WORD, _CHARACTER = 0, 1, 2, 4, 8, 16
# The end of a clause, where a sentence too long for one text is best cut: after a comma, colon,
# semicolon or bracket (and a space), before a bracket, after a CJK comma.
_CLAUSE_END = re.compile(r"[,;:)] +| +(?=\()|[、，：；）]")


def is_gsm7(text: str) -> bool:
    return _OUTSIDE_GSM7.search(text) is None


def length_in_units(text: str) -> int:
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return len(text) + len(_EXTENDED.findall(text))
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    units = length_in_units(text)
    return 1 if units <= single else math.ceil(units / multi)


def split_for_sms(text: str, language: str | None = None, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """The texts to send for one reply, each of at most `max_segments`: as few as can be, then
    cut where it reads best (see `_cuts`); an amount is written with its ISO code where only its
    currency sign would keep a text out of GSM-7."""

    def fits(part: str) -> bool:
        return segments(in_gsm7(part.strip())) <= max_segments

    if segments(in_gsm7(text)) <= max_segments:
        return [in_gsm7(text)]
    return [in_gsm7(part.strip()) for part in _cheapest(text, _cuts(text, language, fits), fits)]


def in_gsm7(text: str) -> str:
    """ "₱1,234.50" as "PHP 1,234.50" when currency signs are all that keep the text out of GSM-7
    (UCS-2 fits 70 characters in a segment, GSM-7 160); otherwise the text as it is."""
    coded = _AMOUNT_SIGN.sub(_iso_code, text)
    return coded if is_gsm7(coded) else text


def with_numbered_options(text: str, titles: list[str]) -> str:
    """Buttons become "1. …" lines; the customer replies with the number."""
    if not titles:
        return text
    return text + "\n" + "\n".join(f"{n}. {title}" for n, title in enumerate(titles, start=1))


def as_sms(
    text: str, buttons: list[dict[str, str]], language: str | None
) -> list[tuple[str, list[dict[str, str]]]]:
    """A reply as the SMS parts to store and send; the options stay with the last part."""
    parts = split_for_sms(with_numbered_options(text, [b["title"] for b in buttons]), language)
    return [(part, buttons if n == len(parts) - 1 else []) for n, part in enumerate(parts)]


def as_numbered_text(text: str, buttons: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    """WhatsApp without an approved quick-reply template: one message, numbered options."""
    return [(with_numbered_options(text, [b["title"] for b in buttons]), buttons)]


def chosen_option(reply: str, buttons: list[dict[str, str]]) -> str | None:
    """The payload of the option a typed reply picks: "2" (or "2." / " 2 ") the second, or the
    option's own words ("Đồng ý", "may babaguhin po ako" for "May babaguhin ako": one word more
    is still that option). None when it picks none, or more than one."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", reply)
    if match:
        number = int(match.group(1))
        return buttons[number - 1]["payload"] if 1 <= number <= len(buttons) else None
    said = normalise(reply).split()
    exact = [b["payload"] for b in buttons if normalise(b["title"]).split() == said]
    picked = set(exact) or {b["payload"] for b in buttons if _says_title(said, normalise(b["title"]).split())}
    return picked.pop() if len(picked) == 1 else None


def _says_title(said: list[str], title: list[str]) -> bool:
    """The title's words, in order, with at most one word more (a "po", a "please"), never
    before them: "không đồng ý" is "I don't agree"."""
    if not title or not 0 <= len(said) - len(title) <= 1 or said[0] != title[0]:
        return False
    words = iter(said)
    return all(word in words for word in title)


def _cuts(text: str, language: str | None, fits: Callable[[str], bool]) -> dict[int, int]:
    """Where a text may end, and what ending there costs: between sentences and lines
    (bot.channels.sentences), inside a sentence only when it alone is too long for a text, never
    inside a numbered line that fits, and never right after a short opening ("Thank you, Mia."):
    that is read as part of the sentence it starts."""
    pieces = sentences(text, language)
    opening = len(pieces[0]) if len(pieces) > 1 and len(pieces[0].strip()) <= _SHORT_OPENING else 0
    if opening:
        pieces = [pieces[0] + pieces[1], *pieces[2:]]
    cuts, start = {}, 0
    for piece, following in zip(pieces, [*pieces[1:], ""], strict=True):
        if not fits(piece):
            inside = _inside(piece, fits, after=opening if start == 0 else 0)
            cuts |= {start + offset: cost for offset, cost in inside.items()}
        start += len(piece)
        cuts[start] = _between(piece, following)
    return {offset: cost for offset, cost in cuts.items() if offset < len(text)}


def _between(piece: str, following: str) -> int:
    if not piece.endswith("\n"):
        return _SENTENCE
    return _OPTIONS if numbered(piece) and numbered(following) else _LINE


def _inside(sentence: str, fits: Callable[[str], bool], after: int) -> dict[int, int]:
    """Cuts inside a sentence too long for a text (none in its first `after` characters): after a
    clause, between words, and between the characters of a stretch with neither that is too long
    for a text (Japanese, a link)."""
    cuts = {match.end(): _WORD for match in re.finditer(r" +", sentence)}
    cuts |= {match.end(): _CLAUSE for match in _CLAUSE_END.finditer(sentence)}
    cuts = {offset: cost for offset, cost in cuts.items() if after < offset < len(sentence)}
    for start, end in itertools.pairwise([0, *sorted(cuts), len(sentence)]):
        if not fits(sentence[start:end]):
            chunks = _packed(regex.findall(r"\X", sentence[start:end]), fits)
            cuts |= {start + offset: _CHARACTER for offset in itertools.accumulate(map(len, chunks[:-1]))}
    return cuts


def _packed(chunks: list[str], fits: Callable[[str], bool]) -> list[str]:
    """Consecutive chunks joined into as few parts as fit: each part takes all that fits."""
    parts: list[str] = []
    for chunk in chunks:
        if parts and fits(parts[-1] + chunk):
            parts[-1] += chunk
        else:
            parts.append(chunk)
    return parts


def _cheapest(text: str, cuts: dict[int, int], fits: Callable[[str], bool]) -> list[str]:
    """The parts that are fewest, then cut where it costs least, then have the shortest longest
    part (so two texts are about as long as each other): shortest paths over the cuts."""
    ends = [0, *sorted(cuts), len(text)]
    best = [((0, 0, 0), 0)]  # for each end: (texts, cost, longest text) of the best way there, its start
    for j in range(1, len(ends)):
        cost = cuts.get(ends[j], 0)
        ways = []
        for i in range(j - 1, -1, -1):
            part = text[ends[i] : ends[j]]
            if not fits(part):
                break  # a longer part fits no better
            (texts, total, longest), _ = best[i]
            ways.append(((texts + 1, total + cost, max(longest, len(part.strip()))), i))
        best.append(min(ways))
    parts, j = [], len(ends) - 1
    while j:
        i = best[j][1]
        parts.append(text[ends[i] : ends[j]])
        j = i
    return parts[::-1]


def _iso_code(match: re.Match[str]) -> str:
    sign, after = match.group(1), match.group(2)
    return f"{_ISO_CODES[sign]} " if sign else f" {_ISO_CODES[after]}"
