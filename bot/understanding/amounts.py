"""Reading an amount the customer typed ("50", "$1,250.50", "fifty bucks") as Money."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import regex
from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal
from number_parser import parse, parse_number
from number_parser.parser import SUPPORTED_LANGUAGES as NUMBER_WORD_LANGUAGES

from bot.domain.money import Money
from bot.i18n import Catalog

_CURRENCY = (
    r"[$€£¥₱₹₩₫฿円元원块]|บาท|रुपय|रुपए|\b(?:rp|rm|aud|usd|php|idr|myr|jpy|sgd|eur|gbp|inr|krw|vnd|thb|cny|"
    r"rmb|mxn|dollars?|d[oó]lares|dlls?|dls|bucks?|pesos?|piso|rupiah|ringgit|yen|rupees?|rupaye|rs|won|dong|đồng|đ|vnđ|baht|yuan|"
    r"euros?|pounds?|quid)\b"
)
# Currency signs, codes and casual words carry no number; the account's currency is what counts.
_NOISE = re.compile(
    rf"(?i){_CURRENCY}|\b(?:a week|a fortnight|a month|per week|per fortnight|per month|weekly|fortnightly|"
    r"monthly|each|every|about|around|maybe|only|just|like|i can do|i can pay|can do|i could do|roughly)\b"
)
_MONEY_MARKER = re.compile(rf"(?i){_CURRENCY}")
_NUMBER = re.compile(r"-?\d[\d.,\s']*")


def parse_amount(text: str, currency: str, locale: str, language: str, catalog: Catalog) -> Money | None:
    """The first amount in `text`, in the account's currency; None when there is none."""
    text = unicodedata.normalize("NFKC", text)  # "５０００円" is "5000円"
    cleaned = _NOISE.sub(" ", text).strip()
    match = _NUMBER.search(cleaned)
    scaled = _scaled(text, language, catalog)
    if scaled is not None:
        value = scaled
    elif match:
        value = _decimal(match.group().strip(), locale)
    else:
        words = parse_number(cleaned, language=_number_words(language)) if cleaned else None
        value = Decimal(words) if words is not None else None
    if value is None or value <= 0:
        return None
    minor = value.scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        return None  # more decimals than the currency has
    return Money(int(minor), currency)


def parse_count(text: str, language: str = "en") -> int | None:
    """The whole number in "6 payments" or "in four instalments"; None if there is not one."""
    try:
        digits = re.findall(
            r"\d+", parse(unicodedata.normalize("NFKC", text), language=_number_words(language)) or ""
        )
    except ValueError:
        return None
    return int(digits[0]) if len(digits) == 1 else None


def mentions_money(text: str, language: str, catalog: Catalog) -> bool:
    """A number with a currency sign, code or word, or a scale: "$50", "Rp 50.000", "500rb", "5万"."""
    text = unicodedata.normalize("NFKC", text)
    has_marker = bool(_MONEY_MARKER.search(text)) and any(c.isdigit() for c in text)
    return has_marker or _scaled(text, language, catalog) is not None


def _number_words(language: str) -> str:
    """number-parser reads number words in a few languages; digits read the same in English."""
    return language if language in NUMBER_WORD_LANGUAGES else "en"


def _scaled(text: str, language: str, catalog: Catalog) -> Decimal | None:
    """A number with the locale's words for thousands and more: "500rb", "2 juta", "1万5千", "5만"."""
    scales = catalog.meanings("multipliers", language)
    if not scales:
        return None
    # A Latin scale word ends the word ("2k", not "6 kỳ" or "5 kali"); 千 and 만 run on ("5万円").
    words = "|".join(
        regex.escape(w) if not w.isascii() else rf"{regex.escape(w)}(?![\p{{L}}\p{{M}}])"
        for w in sorted(scales, key=len, reverse=True)
    )
    parts = regex.findall(
        rf"(\d+(?:[.,]\d{{1,2}})?)\s*({words})", unicodedata.normalize("NFC", text.casefold())
    )
    if not parts:
        return None
    return sum((Decimal(number.replace(",", ".")) * int(scales[word]) for number, word in parts), Decimal(0))


def _decimal(number: str, locale: str) -> Decimal | None:
    number = re.sub(r"[\s']", "", number).rstrip(".,")
    if number.startswith("-"):
        return None
    try:
        return parse_decimal(number, locale=locale, strict=True)
    except NumberFormatError as error:
        # "1,250.50" typed in a locale whose decimal mark is a comma: take Babel's suggestion.
        suggestions = getattr(error, "suggestions", None)
        if suggestions:
            return _decimal(suggestions[0], locale)
        try:
            return Decimal(number.replace(",", ""))
        except InvalidOperation:
            return None
