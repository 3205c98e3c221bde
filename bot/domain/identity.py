"""Reading what a customer types to identify themselves: an account reference, a date of birth."""

import re
import unicodedata
from datetime import date

import dateparser
from babel import Locale

# Account references look like "CN-482913"; people also type "cn 482913" or "CN482913".
_REFERENCE = re.compile(r"(?<![A-Za-z])([A-Za-z]{2})[\s\-–]?(\d{6})(?!\d)")
# The most words a date of birth takes ("28 de marzo de 1996").
_DATE_WORDS = 6
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})[./\-\s](\d{1,2})[./\-\s](\d{1,4})\s*$")


def normalise_reference(text: str) -> str | None:
    """`"cn 482913"` → `"CN-482913"` (and a phone's full-width "ＣＮ６００１９５"); None when the text
    holds no reference."""
    match = _REFERENCE.search(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}"


def parse_date_of_birth(text: str, language: str, today: date) -> list[date]:
    """Every date the customer may have meant, most likely first; empty if none. Said with
    other words ("ya te dije, 28 de marzo de 1996", "CN-400781, dob 11/23/75"), the first run of
    words that is a whole date (day, month and year) is the one.

    "03/04/1985" is 3 April to most of the world and 4 March in the US. We can't ask which
    without sounding like an interrogation, so both readings are kept and checked.
    """
    if whole := _date_of_birth(text, language, today):
        return whole
    words = without_reference(text).replace(",", " ").split()
    for size in range(min(_DATE_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            if found := _date_of_birth(" ".join(words[start : start + size]), language, today):
                return found
    return []


def without_reference(text: str) -> str:
    return _REFERENCE.sub(" ", unicodedata.normalize("NFKC", text))


def _date_of_birth(text: str, language: str, today: date) -> list[date]:
    # Thai customers count years in the Buddhist Era: 12/04/2531 is 12 April 1988.
    buddhist = language.split("-")[0] == "th"
    text = _as_numbers(unicodedata.normalize("NFKC", text), buddhist, today)
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        candidates = _numeric_readings(*(int(g) for g in numeric.groups()), today=today, buddhist=buddhist)
    else:
        parsed = dateparser.parse(
            text,
            languages=[language, "en"] if language != "en" else ["en"],
            settings={"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"},
        )
        candidates = [parsed.date()] if parsed else []
    # Relative phrases ("yesterday") parse too; nobody we talk to was born in the last 16 years.
    return [d for d in dict.fromkeys(candidates) if 1900 <= d.year <= today.year - 16]


def _numeric_readings(a: int, b: int, c: int, today: date, buddhist: bool = False) -> list[date]:
    if a > 31:  # 1985-04-03
        orders = [(a, b, c)]
    else:  # day-month-year first, then month-day-year
        year = _full_year(c, today, 543 if buddhist else 0)
        orders = [(year, b, a), (year, a, b)]
    readings = []
    for year, month, day in orders:
        if buddhist and year > today.year:
            year -= 543
        try:
            readings.append(date(year, month, day))
        except ValueError:
            continue
    return readings


def _full_year(year: int, today: date, era_offset: int = 0) -> int:
    """A two-digit birth year is in the past: "86" is 1986, "05" is 2005 (in 2026); in the
    Buddhist Era (`era_offset` 543) "29" is 2529."""
    if year >= 100:
        return year
    this_year = today.year + era_offset
    century = this_year - this_year % 100
    return century + year if century + year <= this_year else century - 100 + year


def _as_numbers(text: str, buddhist: bool, today: date) -> str:
    """Dates written the Chinese, Japanese and Korean way ("88年4月12号", "75년 11월 23일", and the
    Japanese eras "昭和59年9月2日") as "year/month/day", which has one reading; Thai dates as
    "day/month/year"."""
    if era := _JAPANESE_ERA_DATE.search(text):
        year = _JAPANESE_ERAS[era["era"]] + (1 if era["year"] == "元" else int(era["year"])) - 1
        return f"{year}/{era['month']}/{era['day']}"
    if cjk := _CJK_DATE.search(text):
        return f"{_full_year(int(cjk['year']), today)}/{cjk['month']}/{cjk['day']}"
    return _thai_months_as_numbers(text) if buddhist else text


# The first year of each Japanese era, for "昭和59年" (1984) and "平成元年" (1989).
_JAPANESE_ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_JAPANESE_ERA_DATE = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和)\s*(?P<year>\d{1,2}|元)\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})"
)
_CJK_DATE = re.compile(r"(?P<year>\d{2,4})\s*[年년]\s*(?P<month>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})")


def _thai_months_as_numbers(text: str) -> str:
    """ "14 มี.ค. 2529", "วันที่ 14 มีนาคม พ.ศ. 2529" → "14/3/2529", with Babel's Thai month names
    (dateparser reads the ม.ค. inside มี.ค. as January, and nothing with พ.ศ. in it)."""
    plain = re.sub(r"วันที่|พ\.?\s?ศ\.?", " ", text).replace(".", "")
    match = _THAI_DATE.search(plain)
    if not match:
        return text
    return f"{match['day']}/{_THAI_MONTHS[match['month']]}/{match['year']}"


_THAI_MONTHS = {
    name.replace(".", ""): number
    for width in ("wide", "abbreviated")
    for number, name in Locale.parse("th").months["format"][width].items()
}
_THAI_DATE = re.compile(
    r"(?P<day>\d{1,2})\s*(?P<month>"
    + "|".join(sorted(map(re.escape, _THAI_MONTHS), key=len, reverse=True))
    + r")\s*(?P<year>\d{2,4})"
)
