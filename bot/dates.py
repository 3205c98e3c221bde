"""Reading a date the customer proposes ("next Friday", "the 15th", "in two weeks")."""

import calendar
import re
from datetime import date, datetime

import dateparser

_ORDINAL_DAY = re.compile(r"^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+of\s+the\s+month)?$", re.IGNORECASE)
_END_OF_MONTH = re.compile(r"(?i)^(?:the\s+)?end\s+of\s+(?:the|this)\s+month$")
_FILLER = re.compile(
    r"(?i)\b(?:on|by|until|till|til|from|i can pay|i'll pay|pay|can i|how about|maybe|please|pls)\b"
)


def parse_future_date(text: str, language: str, today: date) -> date | None:
    """The date meant, counted from the customer's today; None if it is not a date to come."""
    cleaned = _FILLER.sub(" ", text).strip(" ?.!,")
    if not cleaned:
        return None
    if _END_OF_MONTH.match(cleaned):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    day_only = _ORDINAL_DAY.match(cleaned)
    if day_only:
        return _next_day_of_month(int(day_only.group(1)), today)
    parsed = dateparser.parse(
        cleaned,
        languages=[language, "en"] if language != "en" else ["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12, 0),
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    if parsed is None or parsed.date() < today:
        return None
    return parsed.date()


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
