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

_DOLLARS = {"USD", "AUD", "SGD", "HKD", "NZD", "CAD", "MXN"}
# What a currency sign, code or casual word can mean ("$" is many dollars; "¥" is yen or yuan).
_CURRENCY_WORDS = {
    **{code.lower(): {code} for code in ("aud", "usd", "php", "idr", "myr", "jpy", "sgd", "eur", "gbp")},
    **{code.lower(): {code} for code in ("inr", "krw", "vnd", "thb", "cny", "mxn")},
    "$": _DOLLARS,
    "dollar": _DOLLARS,
    "dollars": _DOLLARS,
    "dólares": _DOLLARS,
    "dolares": _DOLLARS,
    "dlls": _DOLLARS,
    "dll": _DOLLARS,
    "dls": _DOLLARS,
    "buck": _DOLLARS,
    "bucks": _DOLLARS,
    "€": {"EUR"},
    "euro": {"EUR"},
    "euros": {"EUR"},
    "£": {"GBP"},
    "pound": {"GBP"},
    "pounds": {"GBP"},
    "quid": {"GBP"},
    "¥": {"JPY", "CNY"},
    "₱": {"PHP"},
    "peso": {"PHP", "MXN"},
    "pesos": {"PHP", "MXN"},
    "piso": {"PHP"},
    "₹": {"INR"},
    "rupee": {"INR"},
    "rupees": {"INR"},
    "rupaye": {"INR"},
    "rs": {"INR"},
    "रुपय": {"INR"},
    "रुपए": {"INR"},
    "₩": {"KRW"},
    "won": {"KRW"},
    "원": {"KRW"},
    "₫": {"VND"},
    "dong": {"VND"},
    "đồng": {"VND"},
    "đ": {"VND"},
    "vnđ": {"VND"},
    "฿": {"THB"},
    "baht": {"THB"},
    "บาท": {"THB"},
    "円": {"JPY"},
    "yen": {"JPY"},
    "元": {"CNY"},
    "块": {"CNY"},
    "yuan": {"CNY"},
    "rmb": {"CNY"},
    "rp": {"IDR"},
    "rupiah": {"IDR"},
    "rm": {"MYR"},
    "ringgit": {"MYR"},
    # The names people write in Chinese, Japanese, Korean and Thai; longer ones are matched first,
    # so "澳元" (Australian dollars) is not "元" (yuan). Not the Korean slang "불", which is also
    # the start of "불가능" (impossible).
    "澳元": {"AUD"},
    "澳币": {"AUD"},
    "美元": {"USD"},
    "美金": {"USD"},
    "日元": {"JPY"},
    "韩元": {"KRW"},
    "港元": {"HKD"},
    "港币": {"HKD"},
    "新币": {"SGD"},
    "马币": {"MYR"},
    "令吉": {"MYR"},
    "泰铢": {"THB"},
    "比索": {"PHP"},
    "卢比": {"INR"},
    "越南盾": {"VND"},
    "印尼盾": {"IDR"},
    "人民币": {"CNY"},
    "ドル": _DOLLARS,
    "ウォン": {"KRW"},
    "バーツ": {"THB"},
    "ペソ": {"PHP"},
    "ルピア": {"IDR"},
    "リンギット": {"MYR"},
    "ルピー": {"INR"},
    "달러": _DOLLARS,
    "위안": {"CNY"},
    "ดอลลาร์": _DOLLARS,
    "ริงกิต": {"MYR"},
    "เยน": {"JPY"},
    "หยวน": {"CNY"},
    "เปโซ": {"PHP"},
    "รูปี": {"INR"},
}
_UNSPACED_MARKS = re.compile(r"^(?:[^\w]|[\u0E00-\u0E7F\u0900-\u097F\u3000-\u9FFF\uAC00-\uD7AF])")
_CURRENCY = "|".join(
    re.escape(word) if _UNSPACED_MARKS.match(word) else rf"\b{re.escape(word)}\b"
    for word in sorted(_CURRENCY_WORDS, key=len, reverse=True)
)
# Currency signs, codes and casual words carry no number; the account's currency is what counts.
_NOISE = re.compile(
    rf"(?i){_CURRENCY}|\b(?:a week|a fortnight|a month|per week|per fortnight|per month|weekly|fortnightly|"
    r"monthly|each|every|about|around|maybe|only|just|like|i can do|i can pay|can do|i could do|roughly)\b"
)
_MONEY_MARKER = re.compile(rf"(?i){_CURRENCY}")
_NUMBER = re.compile(r"-?\d[\d.,\s']*")


def parse_amount(text: str, currency: str, locale: str, language: str, catalog: Catalog) -> Money | None:
    """The amount in `text`, in the account's currency: the number written with a currency
    ("3回払い（1回 約7,934円）" is 7,934円, "6 pagos de $687.50" is $687.50), else the first
    number; None when there is none."""
    text = unicodedata.normalize("NFKC", text)  # "５０００円" is "5000円"
    cleaned = _NOISE.sub(" ", text).strip()
    match = _beside_a_currency(text) or _NUMBER.search(cleaned)
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


def _beside_a_currency(text: str) -> re.Match | None:
    """The first number written right before or after a currency sign, code or word."""
    markers = [m.span() for m in _MONEY_MARKER.finditer(text)]
    for number in _NUMBER.finditer(text):
        start, end = number.start(), number.start() + len(number.group().rstrip())
        if any(0 <= start - m_end <= 1 or 0 <= m_start - end <= 1 for m_start, m_end in markers):
            return number
    return None


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


def names_other_currency(text: str, currency: str) -> bool:
    """An amount said in a currency that cannot be the account's ("500 baht" to an account in
    ringgit, "50 bucks" to one in rupiah); "$50" to one in Australian dollars may be it."""
    markers = _MONEY_MARKER.findall(unicodedata.normalize("NFKC", text))
    return any(currency not in _CURRENCY_WORDS[marker.casefold()] for marker in markers)
