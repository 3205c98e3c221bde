"""Reading an amount the customer typed ("50", "$1,250.50", "fifty bucks") as Money."""

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal
from number_parser import parse, parse_number

from bot.money import Money

_CURRENCY = (
    r"[$€£¥₱₹₩₫฿円元원]|\b(?:rp|rm|aud|usd|php|idr|myr|jpy|sgd|eur|gbp|inr|krw|vnd|thb|cny|rmb|mxn|"
    r"dollars?|bucks?|pesos?|rupiah|ringgit|yen|rupees?|won|dong|baht|yuan|euros?|pounds?|quid)\b"
)
# Currency signs, codes and casual words carry no number; the account's currency is what counts.
_NOISE = re.compile(
    rf"(?i){_CURRENCY}|\b(?:a week|a fortnight|a month|per week|per fortnight|per month|weekly|fortnightly|"
    r"monthly|each|every|about|around|maybe|only|just|like|i can do|i can pay|can do|i could do|roughly)\b"
)
_MONEY_MARKER = re.compile(rf"(?i){_CURRENCY}")
_NUMBER = re.compile(r"-?\d[\d.,\s']*")


def parse_amount(text: str, currency: str, locale: str, language: str = "en") -> Money | None:
    """The first amount in `text`, in the account's currency; None when there is none."""
    cleaned = _NOISE.sub(" ", text).strip()
    match = _NUMBER.search(cleaned)
    if match:
        value = _decimal(match.group().strip(), locale)
    else:
        words = parse_number(cleaned, language=language) if cleaned else None
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
        digits = re.findall(r"\d+", parse(text, language=language) or "")
    except ValueError:
        return None
    return int(digits[0]) if len(digits) == 1 else None


def mentions_money(text: str) -> bool:
    """A number with a currency sign, code or word: "$50", "50 bucks", "Rp 50.000"."""
    return bool(_MONEY_MARKER.search(text)) and any(c.isdigit() for c in text)


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
