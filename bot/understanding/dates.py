"""Reading a date the customer proposes ("next Friday", "the 15th", "Jumat depan", "15日")."""

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta

import dateparser

from bot.i18n import Catalog

# A day of the month on its own: "15", "15th", "15日", "15号", "15일" (words around it, such as
# "the", "tanggal", "ngày" or "el", are each locale's `date_filler`).
_DAY_ONLY = re.compile(r"^(\d{1,2})\s*(?:st|nd|rd|th|日|号|號|일)?$")
# Month and day written the Chinese, Japanese and Korean way: "12月15日", "12월 15일".
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日号號일]?$")


# Further than any plan, promise or move may reach.
_FURTHEST = timedelta(days=2 * 366)


def parse_future_date(text: str, language: str, today: date, catalog: Catalog) -> date | None:
    """The date meant, counted from the customer's today; None if it is not a date to come, or
    is further off than any arrangement reaches ("2999" is an amount, not a year)."""
    found = _future_date(text, language, today, catalog)
    if found is not None and found > today + _FURTHEST:
        return None
    if found is None or not catalog.recognise("next_week", text, language):
        return found
    # 来週の金曜日, 下周五, 다음 주 금요일: a day of the week after this one, never this week's.
    next_monday = today + timedelta(days=7 - today.weekday())
    return found + timedelta(days=7) if found < next_monday else found


def _future_date(text: str, language: str, today: date, catalog: Catalog) -> date | None:
    if catalog.recognise("end_of_month", text, language):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    cleaned = catalog.without("date_filler", text, language).strip(" ?.!,")
    if not cleaned:
        return None
    if weekday := catalog.keyword("weekday", cleaned, language):  # "thứ 6": Friday, by number
        return today + timedelta(days=(int(weekday) - today.isoweekday() - 1) % 7 + 1)
    if day_only := _DAY_ONLY.match(cleaned):
        return _next_day_of_month(int(day_only.group(1)), today)
    if month_day := _MONTH_DAY.match(cleaned):
        return _next_month_day(int(month_day.group(1)), int(month_day.group(2)), today)
    for candidate in dict.fromkeys([cleaned, unicodedata.normalize("NFKC", text)]):
        parsed = dateparser.parse(
            candidate,
            languages=list(dict.fromkeys([*catalog.date_languages.get(language, [language]), "en"])),
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12, 0),
                "PREFER_DAY_OF_MONTH": "first",
            },
        )
        if parsed is not None:
            return parsed.date() if today <= parsed.date() else None
    return None


# The most words a date takes ("the 1st of next month", "thứ sáu tuần sau").
_DATE_WORDS = 5
# How a date is written inside Chinese, Japanese, Korean or Thai words: a day of the month (with
# its month and year), a weekday (of next week), tomorrow and the day after.
_UNSPACED_DATE = re.compile(
    r"(?:下个?月|下個月|来月|今月|这个?月|다음\s*달|이번\s*달)?(?:\d{4}\s*[年년]\s*)?(?:\d{1,2}\s*[月월/]\s*)?\d{1,2}\s*[日号號일]"
    r"|(?:来週|今週|再来週|下个?|这个?|這個?|本)?の?(?:[月火水木金土日]曜日?|(?:周|週|星期|礼拜|禮拜)[一二三四五六日天])"
    r"|(?:다음\s*주|이번\s*주)?\s*[월화수목금토일]요일"
    r"|วัน(?:จันทร์|อังคาร|พุธ|พฤหัส(?:บดี)?|ศุกร์|เสาร์|อาทิตย์)(?:หน้า|นี้)?|วันที่\s*\d{1,2}"
    r"|明後日|明日|あさって|あした|明天|后天|後天|내일|모레|พรุ่งนี้|มะรืน(?:นี้)?"
)
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def find_date(text: str, language: str, today: date, catalog: Catalog) -> date | None:
    """A date to come said anywhere in a sentence ("can I pay on the 15th instead?", "¿y si
    empezamos el 15?", "可以从15号开始吗"). In writing without spaces (Chinese, Japanese, Thai;
    Korean words), the first piece written the way dates are; otherwise the whole text if it is
    one, else its longest run of words that is, the leftmost first. A bare number counts only
    beside a word that makes it a day ("el 15", "ngày 15", "15 hb": the locale's `day_of_month`),
    never alone: "20 bucks" is not the 20th. How often ("every two weeks") and payday are taken
    out first: "給料日まで" (until payday) is asked about, never guessed."""
    said = catalog.without("payday", text, language)
    if _UNSPACED.search(said):
        for piece in _UNSPACED_DATE.finditer(said):
            if found := parse_future_date(piece.group(), language, today, catalog):
                return found
    how_often = catalog.recognise("frequency", text, language) is not None
    if not how_often and (whole := parse_future_date(text, language, today, catalog)):
        return whole
    words = catalog.without("frequency", said, language).split()
    for size in range(min(_DATE_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            span = " ".join(words[start : start + size])
            if not _not_a_date_alone(span, language, catalog) and (
                found := parse_future_date(span, language, today, catalog)
            ):
                return found
    return None


def date_alone(text: str, language: str, today: date, catalog: Catalog) -> date | None:
    """The date a reply says when it says nothing else ("next Friday", "on the 15th", "Jumat
    depan"): a reply to a question that did not ask for a date is read against what was asked."""
    span = catalog.without("date_filler", text, language).strip(" ?.!,")
    if not span or _not_a_date_alone(span, language, catalog):
        return None
    return parse_future_date(text, language, today, catalog) or parse_future_date(
        span, language, today, catalog
    )


def _not_a_date_alone(span: str, language: str, catalog: Catalog) -> bool:
    """A bare number without a day word, or a word of one or two letters ("we" is no Wednesday)."""
    if len(span) <= 2 and span.isalpha():
        return True
    bare = re.fullmatch(r"\d{1,2}", catalog.without("date_filler", span, language).strip(" ?.!,"))
    return bare is not None and not catalog.recognise("day_of_month", span, language)


# More than any date a customer writes ("अगले महीने की 15 तारीख", "다음 달 15일"): a bound on the
# endings tried.
_LONGEST_DATE = 24


def date_ending(text: str, language: str, today: date, catalog: Catalog) -> date | None:
    """The date the text ends with ("2万円を来週の金曜日" → next Friday), for languages whose
    "from" follows the date: the longest ending that reads as a date to come, starting at a word
    or, in writing without spaces, at any character of the last word."""
    text = re.split(r"[,;、，；]", text)[-1].strip()[-_LONGEST_DATE:]
    last_word = len(text) - len(text.split()[-1]) if text.split() else len(text)
    starts = [
        start
        for start, char in enumerate(text)
        if (start == 0 or text[start - 1].isspace() or start > last_word)  # a word, or inside the last
        and not char.isspace()
        and not (start > 0 and text[start - 1].isdigit())  # not inside a number
    ]
    return next((d for s in starts if (d := parse_future_date(text[s:], language, today, catalog))), None)


def _next_day_of_month(day: int, today: date) -> date | None:
    """ "the 15th": this month's if it is still to come, else next month's."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(3):  # "the 31st" may skip a short month
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_month_day(month: int, day: int, today: date) -> date | None:
    """ "12月15日": this year's if it is still to come, else next year's."""
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None
