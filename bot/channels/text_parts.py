"""What an SMS can carry: GSM-7 or UCS-2 segments, numbered options instead of buttons."""

import math
import re

# The GSM 03.38 alphabet; the extension characters cost two septets each.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")
# Most we let one message take, so it arrives whole and costs little (DESIGN: aim ≤ 2 segments).
MAX_SEGMENTS = 2


def is_gsm7(text: str) -> bool:
    return all(c in _GSM7 or c in _GSM7_EXTENSION for c in text)


def length_in_units(text: str) -> int:
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return sum(2 if c in _GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    units = length_in_units(text)
    return 1 if units <= single else math.ceil(units / multi)


def split_for_sms(text: str, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Parts of at most `max_segments` each, cut between paragraphs, sentences, then words."""
    if segments(text) <= max_segments:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text):
        candidate = f"{current}{piece}" if current else piece.lstrip()
        if current and segments(candidate.rstrip()) > max_segments:
            parts.append(current.rstrip())
            current = piece.lstrip()
        else:
            current = candidate
    if current.strip():
        parts.append(current.rstrip())
    return [p for part in parts for p in _hard_split(part, max_segments)]


def with_numbered_options(text: str, titles: list[str]) -> str:
    """Buttons become "1. …" lines; the customer replies with the number."""
    if not titles:
        return text
    return text + "\n" + "\n".join(f"{n}. {title}" for n, title in enumerate(titles, start=1))


def as_sms(text: str, buttons: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    """A reply as the SMS parts to store and send; the options stay with the last part."""
    parts = split_for_sms(with_numbered_options(text, [b["title"] for b in buttons]))
    return [(part, buttons if n == len(parts) - 1 else []) for n, part in enumerate(parts)]


def as_numbered_text(text: str, buttons: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    """WhatsApp without an approved quick-reply template: one message, numbered options."""
    return [(with_numbered_options(text, [b["title"] for b in buttons]), buttons)]


def chosen_option(reply: str, payloads: list[str]) -> str | None:
    """ "2" (or "2." / " 2 ") picks the second option's payload; anything else picks nothing."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", reply)
    if not match or not 1 <= int(match.group(1)) <= len(payloads):
        return None
    return payloads[int(match.group(1)) - 1]


def _pieces(text: str) -> list[str]:
    """Sentences and lines, each keeping the space after it; "$486.50" is not a sentence end."""
    tokens = re.split(r"((?<=[.!?])\s+|\n+)", text)
    return [tokens[i] + (tokens[i + 1] if i + 1 < len(tokens) else "") for i in range(0, len(tokens), 2)]


def _hard_split(part: str, max_segments: int) -> list[str]:
    """A single sentence longer than the limit is cut between words (or, failing that, anywhere)."""
    if segments(part) <= max_segments:
        return [part]
    words, out, current = part.split(" "), [], ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and segments(candidate) > max_segments:
            out.append(current)
            current = word
        else:
            current = candidate
    out.append(current)
    return [chunk for piece in out for chunk in _cut(piece, max_segments)]


def _cut(piece: str, max_segments: int) -> list[str]:
    chunks = []
    while segments(piece) > max_segments:
        size = len(piece)
        while segments(piece[:size]) > max_segments:
            size -= 1
        chunks.append(piece[:size])
        piece = piece[size:]
    return [*chunks, piece] if piece else chunks
