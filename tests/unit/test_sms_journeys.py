"""Whole answers as a customer gets them by SMS, in every language, and where their sentences end.

The balance, the plan offer, the whole plan to agree to and the confirmation after agreeing are
composed exactly as the SMS channel composes them (bot.channels.text_parts.as_sms), with the
values a customer of that language would see, and each must go in at most two texts. The
sentence ends spaCy finds (bot.channels.sentences) are measured on every response of every
locale against those a reader finds, and against the regex splitter they replaced. Both tables
are printed at the end of the run.
"""

import collections
import itertools
import re
import string
from datetime import date

import pytest

from actions.plans import schedule_text
from bot.channels.sentences import numbered, sentences
from bot.channels.text_parts import (
    MAX_SEGMENTS,
    as_sms,
    in_gsm7,
    is_gsm7,
    length_in_units,
    segments,
    with_numbered_options,
)
from bot.config import ROOT
from bot.domain.money import Money
from bot.domain.plans import build_plan
from bot.domain.policy import load_policy
from bot.domain.schedule import Frequency
from bot.i18n import Catalog, format_day, formatting_locale, placeholders
from tests.conftest import REPORTS

POLICY = load_policy(ROOT / "creditor.yml")
LANGUAGES = sorted(Catalog(ROOT / "locales", "en").languages)
# A customer per language: name as addressed, their locale, jurisdiction, currency, and balance,
# overdue, fees and minimum payment in minor units. A script variant (hi-Latn) has its language's.
CUSTOMERS = {
    "en": ("Mia", "en_AU", "AU", "AUD", (123_450, 48_650, 1_500, 4_500)),
    "es": ("Carlos", "es_US", "US", "USD", (412_500, 38_900, 2_900, 19_450)),
    "hi": ("Priya", "hi_IN", "IN", "INR", (7_845_000, 2_450_000, 50_000, 350_000)),
    "id": ("Budi", "id_ID", "ID", "IDR", (1_250_000_000, 375_000_000, 5_000_000, 125_000_000)),
    "ja": ("田中", "ja_JP", "JP", "JPY", (123_450, 48_650, 1_100, 5_000)),
    "ko": ("김민수", "ko_KR", "KR", "KRW", (1_234_500, 486_500, 15_000, 45_000)),
    "ms": ("Aisyah", "ms_MY", "MY", "MYR", (412_350, 129_000, 1_500, 10_000)),
    "th": ("สมชาย", "th_TH", "TH", "THB", (3_245_000, 1_290_000, 50_000, 150_000)),
    "tl": ("Maria", "en_PH", "PH", "PHP", (849_900, 299_900, 50_000, 100_000)),
    "vi": ("Lan", "vi_VN", "VN", "VND", (12_345_000, 4_865_000, 150_000, 450_000)),
    "zh": ("王伟", "zh_CN", "CN", "CNY", (823_450, 248_650, 5_000, 30_000)),
}
DUE, FIRST_PAYMENT = date(2026, 10, 12), date(2026, 11, 2)
# The plans offered (monthly, in 3, 6 or 12 payments) and the one the customer picks.
OFFERED, CHOSEN = (3, 6, 12), 6
# A greeting or a thank-you ("Gracias, Carlos.") is never a text of its own.
SHORT_OPENING = 40
ANSWERS = {
    "utter_balance": "balance",
    "utter_plan_options_choices": "plan offer",
    "utter_plan_schedule": "whole plan",
    "utter_plan_agreed": "agreed",
}
# Abbreviations written in locales whose full stop ends nothing (Spanish "approximately", the
# Thai eras).
NOT_ENDS = ("aprox.", "ค.ศ.", "พ.ศ.")
# What a reader takes as the end of a sentence: a stop, and any closing quote or bracket after it.
STOP = re.compile(r"[.!?।。！？]+[)\"'」）]*")
THAI_WORDS_APART = re.compile(r"(?<=[\u0e01-\u0e3a\u0e40-\u0e4e]) (?=[\u0e01-\u0e3a\u0e40-\u0e4e](?!.?\.))")


def test_whole_answers_by_sms_in_every_language_and_no_text_is_only_a_greeting(catalog: Catalog):
    rows, notes, alone = [], [], []
    for language in LANGUAGES:
        cells = []
        for key in ANSWERS:
            text, buttons = _rendered(catalog, language, key)
            parts = _as_sms(text, buttons, language)
            cells.append(_cell(parts))
            if len(parts) > 2:
                notes.append(f"  {language} {key}: {len(parts)} texts, {_overflow(text, buttons, language)}")
            opening = sentences(text, language)[0].strip()
            if len(parts) > 1 and parts[0] == in_gsm7(opening) and len(opening) <= SHORT_OPENING:
                alone.append(f"{language} {key}: {opening!r}")
        rows.append(f"{language:8}" + "".join(f"{cell:>14}" for cell in cells))
    REPORTS.append(
        "\n".join(
            [
                "SMS: texts/segments/encoding of whole answers (G: GSM-7, U: UCS-2, a letter a text)",
                f"{'':8}" + "".join(f"{name:>14}" for name in ANSWERS.values()),
                *rows,
                *(["More than two texts:", *notes] if notes else []),
            ]
        )
    )
    assert not alone, alone


@pytest.mark.parametrize("key", ANSWERS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_whole_answer_goes_in_at_most_two_texts(catalog: Catalog, language: str, key: str):
    text, buttons = _rendered(catalog, language, key)
    parts = _as_sms(text, buttons, language)
    assert len(parts) <= 2, f"{len(parts)} texts, {_overflow(text, buttons, language)}: {parts}"


def test_spacy_ends_sentences_at_least_as_well_as_the_regex_it_replaced(catalog: Catalog):
    splitters = {"regex": lambda text, _: _regex_pieces(text), "spacy": sentences}
    counts = collections.defaultdict(collections.Counter)
    for language, (method, split) in itertools.product(LANGUAGES, splitters.items()):
        for key in catalog.languages[language]:
            text, written = _composed(catalog, language, key)
            truth, found = _true_ends(text, written), _ends(text, split(text, language))
            counts[language, method].update(
                truth=len(truth),
                found=len(found),
                right=len(found & truth),
                wrong=len(found - truth),
                in_lists=sum(_in_numbered_line(text, end) for end in found - truth),
                missed=len(truth - found),
            )
    for (_, method), count in list(counts.items()):
        counts["all", method] += count
    lines = [
        "Sentence ends in every response of every locale, numbered options included: spaCy's "
        "sentencizer with our rules (bot.channels.sentences) against the regex splitter it replaced",
        f"{'':8}{'ends':>6}"
        + "".join(f"{f'{m} found/right/wrong (in lists)/missed':>44}" for m in splitters),
        *(
            f"{language:8}{counts[language, 'regex']['truth']:6}"
            + "".join(_counted(counts[language, method]) for method in splitters)
            for language in [*LANGUAGES, "all"]
        ),
    ]
    REPORTS.append("\n".join(lines))
    assert counts["all", "spacy"]["wrong"] <= counts["all", "regex"]["wrong"], "\n".join(lines)
    assert counts["all", "spacy"]["missed"] <= counts["all", "regex"]["missed"], "\n".join(lines)


def _values(catalog: Catalog, language: str, entry: dict) -> dict[str, object]:
    """What a customer of this language sees in each placeholder, formatted as the app does; a
    placeholder this test does not know yet reads as its own name."""
    name, customer_locale, jurisdiction, currency, (balance, overdue, fees, minimum) = CUSTOMERS[
        language.split("-")[0]
    ]
    locale = formatting_locale(language, customer_locale)

    def money(minor: int) -> str:  # as actions.services.Verified.show
        return Money(minor, currency).format(locale, catalog.amount_patterns[language].get(currency))

    def long(day: date) -> str:
        return format_day(day, "long", locale)

    plan = build_plan(Money(balance, currency), Frequency.MONTHLY, CHOSEN, FIRST_PAYMENT)
    smallest = POLICY.arrangements.smallest_instalment[currency]
    lines = POLICY.support_lines_for(jurisdiction)
    schedule = schedule_text(plan, lambda day: format_day(day, "day_month", locale), money)
    needed = {name for text in _templates(entry) for name in placeholders(text)}
    return {field: field for field in needed} | {
        "name": name,
        "currency": currency,
        "product": "Mobile plan",
        "reference": "CN-100234",
        "balance": money(balance),
        "overdue": money(overdue),
        "fees": money(fees),
        "minimum_payment": money(minimum),
        "due_date": long(DUE),
        "amount": money(plan.largest.minor),
        "first_amount": money(plan.instalments[0].amount.minor),
        "first_date": long(FIRST_PAYMENT),
        "date": long(FIRST_PAYMENT),
        "from_date": long(DUE),
        "last_date": long(date(2026, 11, 19)),
        "latest": long(date(2026, 11, 3)),
        "count": plan.count,
        "frequency": "monthly",
        "period": "monthly",
        "schedule": schedule,
        "total": money(plan.total.minor),
        "smallest": money(smallest),
        "example": money(smallest * 5 // 2),
        "left": money(overdue),
        "link": "https://pay.example.com/concord?token=eyJhIjoiQ04tMTAwMjM0IiwibSI6NDg2NTB9.k3Xq",
        "minutes": 60,
        "limit": 1000,
        "creditor": POLICY.name,
        "phone": POLICY.phone,
        "website": POLICY.website,
        "debt_advice": POLICY.debt_advice_for(jurisdiction) or "",
        "crisis_line": lines.crisis,
        "emergency": lines.emergency,
        "family_violence_line": lines.family_violence,
        "help": "HELP",
        "stop": "STOP",
        "start": "START",
        "agent": "Sam",
        "opens_at": "Mon 27 Oct 8:00 am",
        "supported": ", ".join(catalog.own_names[code] for code in sorted(catalog.languages)),
        "options": [
            {
                "payload": f'/inform{{"plan_choice": "{n}"}}',
                "values": {
                    "count": count,
                    "frequency": "monthly",
                    "amount": money(-(-balance // count)),
                    "choice": "check_balance",  # what utter_not_understood_choices offers
                },
            }
            for n, count in enumerate(OFFERED, start=1)
        ],
    }


def _templates(entry: dict) -> list[str]:
    return [
        entry["text"],
        entry.get("option_title", ""),
        *(button["title"] for button in entry.get("buttons", [])),
    ]


def _rendered(catalog: Catalog, language: str, key: str) -> tuple[str, list[dict[str, str]]]:
    entry = catalog.languages[language][key]
    values = _values(catalog, language, entry)
    if "option_title" not in entry:
        values.pop("options")
    rendered = catalog.render(key, language, values)
    return rendered.text, [{"title": b.title, "payload": b.payload} for b in rendered.buttons]


def _as_sms(text: str, buttons: list[dict[str, str]], language: str) -> list[str]:
    return [part for part, _ in as_sms(text, buttons, language)]


def _cell(parts: list[str]) -> str:
    counted = sum(segments(part) for part in parts)
    return f"{len(parts)}/{counted} {''.join('G' if is_gsm7(part) else 'U' for part in parts)}"


def _overflow(text: str, buttons: list[dict[str, str]], language: str) -> str:
    """How much would have to go for two texts: the least, over the places two texts could be
    cut (between sentences and lines), of what exceeds the two texts' room (GSM-7 306
    septets, UCS-2 134 UTF-16 units, at two segments a text)."""
    whole = with_numbered_options(text, [b["title"] for b in buttons])
    cuts = itertools.accumulate(len(piece) for piece in sentences(whole, language)[:-1])
    least = min(_excess(whole[:cut]) + _excess(whole[cut:]) for cut in cuts)
    return f"at least {least} characters too long ({len(whole)} in all)"


def _excess(part: str) -> int:
    part = in_gsm7(part.strip())
    room = (153 if is_gsm7(part) else 67) * MAX_SEGMENTS
    return max(0, length_in_units(part) - room)


def _composed(catalog: Catalog, language: str, key: str) -> tuple[str, set[int]]:
    """A response as SMS gets it (its buttons numbered lines), and which of its characters the
    locale wrote, as opposed to values filled in ("$486.50", "119 ext. 8", a schedule's lines)."""
    entry = catalog.languages[language][key]
    values = _values(catalog, language, entry)
    terms = catalog.terms[language] or catalog.terms[catalog.default_language]

    def in_words(values: dict[str, object]) -> dict[str, object]:
        return {k: terms.get(k, {}).get(v, v) if isinstance(v, str) else v for k, v in values.items()}

    options = (
        [(entry["option_title"], o["values"]) for o in values["options"]] if "option_title" in entry else []
    )
    options += [(button["title"], {}) for button in entry.get("buttons", [])]
    text, written = _filled(entry["text"], in_words(values), "", set())
    for n, (title, option_values) in enumerate(options, start=1):
        text, written = _filled(title, in_words(values | option_values), f"{text}\n{n}. ", written)
    rendered, buttons = _rendered(catalog, language, key)
    assert text == with_numbered_options(rendered, [b["title"] for b in buttons])  # what customers get
    return text, written


def _filled(template: str, values: dict[str, object], text: str, written: set[int]) -> tuple[str, set[int]]:
    assert placeholders(template) <= values.keys()
    for literal, field, _, _ in string.Formatter().parse(template):
        written |= set(range(len(text), len(text) + len(literal)))
        text += literal + (str(values[field]) if field else "")
    return text, written


def _true_ends(text: str, written: set[int]) -> set[int]:
    """Where a reader ends a sentence: after a stop the locale wrote, followed by a space or
    (full-width stops) by anything; at a space the locale wrote between two Thai words (Thai
    ends a sentence so). Never inside a numbered line nor at a line's end, which every way
    of cutting keeps whole and cuts at."""
    ends = set()
    for stop in STOP.finditer(text):
        after = text[stop.end() : stop.end() + 1]
        full_width = stop.group()[0] in "。！？"
        ends_here = after == " " or (full_width and after not in ("", "\n"))
        if stop.start() in written and ends_here and not text[: stop.end()].endswith(NOT_ENDS):
            ends.add(stop.end())
    ends |= {space.start() for space in THAI_WORDS_APART.finditer(text) if space.start() in written}
    return {end for end in ends if not _in_numbered_line(text, end)}


def _in_numbered_line(text: str, offset: int) -> bool:
    return numbered(text[text.rfind("\n", 0, offset) + 1 :])


def _regex_pieces(text: str) -> list[str]:
    """The splitter spaCy replaced (bot.channels.text_parts before it), as it was."""
    tokens = re.split(r"((?<=[.!?])\s+|\n+)", text)
    return [tokens[i] + (tokens[i + 1] if i + 1 < len(tokens) else "") for i in range(0, len(tokens), 2)]


def _ends(text: str, pieces: list[str]) -> set[int]:
    """Where the pieces' sentences end, leaving out line ends (every way of cutting has those)."""
    ends, start = set(), 0
    for piece in pieces:
        end, start = start + len(piece.rstrip()), start + len(piece)
        if "\n" not in text[end:start] and end < len(text.rstrip()):
            ends.add(end)
    return ends


def _counted(count: collections.Counter) -> str:
    found = f"{count['found']}/{count['right']}/{count['wrong']} ({count['in_lists']})/{count['missed']}"
    return f"{found:>44}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_someone_in_crisis_gets_the_crisis_line_in_the_first_text_and_the_emergency_number_by_the_second(
    catalog: Catalog, language: str
):
    lines = POLICY.support_lines_for("MY")  # the longest service name we hold
    text = catalog.render(
        "care_crisis", language, {"crisis_line": lines.crisis, "emergency": lines.emergency}
    ).text
    parts = _as_sms(text, [], language)
    assert lines.crisis in parts[0], parts
    assert any(lines.emergency in part for part in parts[:2]), parts
    assert len(parts) <= 3, parts
