"""Every customer-facing sentence, per language, from `locales/<lang>.yml`.

A locale file has `responses` (what we say), `interface` (the web chat widget's labels), `terms` (how a canonical value such as
`weekly` reads in that language), `words` (phrases that tell us what a customer meant, such
as "every fortnight") and `names` (what people call the language). Adding a language is
adding a file.

A language written in two scripts has a file per script: `hi-Latn.yml` says `variant_of: hi`
and `script: Latn`, holds responses, interface and terms in that script, and reads customers'
phrases and dates with the words of `hi`. A reply is in the script the customer writes
(`as_written`).
"""

import re
import string
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import regex
import yaml
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, format_time, get_date_format, get_datetime_format


class MissingValueError(KeyError):
    """A response needs a value (e.g. `{balance}`) that the caller did not give."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Rendered:
    key: str
    language: str
    text: str
    buttons: list[Button] = field(default_factory=list)


def formatting_locale(language: str, customer_locale: str) -> str:
    """Numbers and dates in the conversation's language, with the customer's regional habits.

    A Malaysian customer chatting in English reads "20 October 2026" and "RM643.20" (en_MY),
    not the Malay month name of their profile's ms_MY.
    """
    territory = Locale.parse(customer_locale).territory
    language = language.replace("-", "_")  # a script variant: hi-Latn is Babel's hi_Latn
    for candidate in (f"{language}_{territory}" if territory else None, language, customer_locale):
        if candidate:
            try:
                return str(Locale.parse(candidate))
            except (UnknownLocaleError, ValueError):
                continue
    return customer_locale


def format_day(day: date, length: str, locale: str) -> str:
    """A date as a customer in `locale` reads it ("long", "medium", or "day_month"). Thai customers count
    years in the Buddhist Era and write them without naming it (1 ธันวาคม 2569), which Babel's
    Gregorian dates cannot show."""
    if length == "day_month":  # "2 Nov", "11月2日": no year, so no era either
        return format_skeleton("MMMd", day, locale=locale)
    if Locale.parse(locale).language != "th":
        return format_date(day, format=length, locale=locale)
    pattern = re.sub(r"G+\s*", "", get_date_format(length, locale=locale).pattern)
    return format_date(day, format=re.sub(r"y+", str(day.year + 543), pattern), locale=locale)


def format_weekday_and_time(moment: datetime, zone: tzinfo, locale: str) -> str:
    """ "Monday, 7 December, 9:00 am", "12月7日月曜日 9:00": the weekday and month written out
    (abbreviations such as "Isn" or "Sen" are hard to read), in the locale's own order."""
    full = get_date_format("full", locale=locale).pattern
    # The full date without its year (and era): people are told about the coming days.
    without_year = re.sub(
        r"[\s,]*(?:G+\s*)?(?:'[^']*'\s*)?y+(?:\s*(?:年|년|'[^']*'))?[\s,]*", " ", full
    ).strip(" ,")
    day = format_date(moment.astimezone(zone).date(), without_year, locale=locale)
    time = format_time(moment, "short", tzinfo=zone, locale=locale)
    return (
        str(get_datetime_format("medium", locale=locale))
        .replace("{1}", day)
        .replace("{0}", time)
        .replace("'", "")
    )


def country_of_timezone(zone: str) -> str | None:
    """The country (ISO 3166) a browser's time zone is in, by CLDR, old names included
    ("Asia/Calcutta"); None for zones of no one country ("Etc/UTC")."""
    canonical = get_global("zone_aliases").get(zone, zone)
    code = get_global("zone_territories").get(canonical)
    return code if code and len(code) == 2 and code.isalpha() and code != "ZZ" else None


def placeholders(template: str) -> set[str]:
    """The `{names}` a template needs."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Catalog:
    """All locales, loaded once; a language without a key falls back to the default language."""

    def __init__(self, locales_dir: Path, default_language: str) -> None:
        self.default_language = default_language
        self.languages: dict[str, dict[str, Any]] = {}
        self.terms: dict[str, dict[str, dict[str, str]]] = {}
        self.address: dict[str, str] = {}
        self.amount_patterns: dict[str, dict[str, str]] = {}
        # A script variant's language ("hi-Latn" → "hi"), and the script each variant is written in.
        self.base: dict[str, str] = {}
        self.scripts: dict[str, str] = {}
        self.interface: dict[str, dict[str, str]] = {}
        self._normalised_words: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self.names: dict[str, str] = {}
        self.own_names: dict[str, str] = {}
        self.not_names: dict[str, set[str]] = {}
        self.date_languages: dict[str, list[str]] = {}
        for path in sorted(locales_dir.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            language = path.stem
            self.languages[language] = data.get("responses", {})
            self.terms[language] = data.get("terms", {})
            # Which of a customer's names this language addresses them by: given, family or full.
            self.address[language] = data.get("address", "given")
            # How people here write an amount in a currency, where CLDR's way differs (48,650円).
            self.amount_patterns[language] = data.get("amount_patterns", {})
            self.interface[language] = data.get("interface", {})
            self._normalised_words[language] = _normalised_phrases(data.get("words", {}))
            self.own_names[language] = data.get("name", language)
            # Words of this language that look like another language's name (Tagalog "hindi" is "no").
            self.not_names[language] = {normalise(word) for word in data.get("not_language_names", [])}
            # The languages dateparser should read this language's dates as (Tagalog: "tl" and "fil").
            self.date_languages[language] = data.get("date_languages", [language])
            self.base[language] = data.get("variant_of", language)
            if "script" in data:
                self.scripts[language] = data["script"]  # ISO 15924, e.g. Latn
            for name in [language, data.get("name", language), *data.get("names", [])]:
                self.names[name.casefold()] = language
        if default_language not in self.languages:
            raise ValueError(f"no locale file for the default language {default_language!r}")
        for variant, base in self.base.items():
            if base != variant:
                self._normalised_words[variant] = self._normalised_words[base]
                self.date_languages[variant] = self.date_languages[base]

    def supports(self, language: str | None) -> bool:
        return language in self.languages

    def interface_labels(self, language: str) -> dict[str, str]:
        """The widget's labels in a language, any it lacks in the default language."""
        return self.interface[self.default_language] | self.interface[self.resolve_language(language)]

    def keys(self, language: str) -> set[str]:
        return set(self.languages[language])

    def option_titles(self) -> list[str]:
        """Every option we offer with fixed words, in every language (not "{count} payments…")."""
        return [
            button["title"]
            for responses in self.languages.values()
            for entry in responses.values()
            for button in entry.get("buttons") or []
            if "{" not in button["title"]
        ]

    def variants(self) -> set[str]:
        """Languages that are another language in another script ("hi-Latn")."""
        return {language for language, base in self.base.items() if base != language}

    def as_written(self, language: str, text: str) -> str:
        """`language`, or its variant in the script most of the text's letters are in: "mera
        balance kitna hai" is hi-Latn, "मेरा बैलेंस" is hi. Text without letters changes nothing."""
        base = self.base.get(language, language)
        family = [v for v, b in self.base.items() if b == base]
        counts = {
            v: len(regex.findall(rf"\p{{sc={self.scripts[v]}}}", text)) for v in family if v in self.scripts
        }
        letters = len(regex.findall(r"\p{L}", text))
        if not counts or not letters:
            return language
        variant, most = max(counts.items(), key=lambda item: item[1])
        return variant if most * 2 > letters else base

    def resolve_language(self, language: str | None) -> str:
        return language if language in self.languages else self.default_language

    def language_named(self, name: str) -> str | None:
        """ "Spanish", "español" or "es" → "es"; None when we do not speak it."""
        return self.names.get(name.strip().casefold())

    def language_mentioned(self, text: str, speaking: str | None = None) -> str | None:
        """The supported language a message names ("can we speak Spanish?"), longest name first.

        `speaking`: the conversation's language, whose ordinary words are not names.
        """
        normalised = f" {normalise(text)} "
        ordinary = self.not_names.get(speaking or "", set())
        for name in sorted(set(self.names) - ordinary, key=len, reverse=True):
            # Two letters ("en") would match ordinary words; two CJK characters ("中文") are a name.
            if (len(name) > 2 or _UNSPACED.search(name)) and _contains(normalised, normalise(name)):
                return self.names[name]
        return None

    def recognise(self, group: str, text: str, language: str | None) -> str | None:
        """Which meaning in `words.<group>` the text expresses ("every fortnight" → fortnightly).

        The customer's language is tried first, then the default one (people mix them); the
        longest phrase found wins, so "every two weeks" beats "week". A group that is a plain
        list of phrases has one meaning: the group's own name.
        """
        text = f" {normalise(text)} "
        best: tuple[int, str] | None = None
        for phrase, meaning in self._phrases(group, language):
            if _contains(text, phrase) and (best is None or len(phrase) > best[0]):
                best = (len(phrase), meaning)
        return best[1] if best else None

    def keyword(self, group: str, text: str, language: str | None, anywhere: bool = False) -> str | None:
        """The meaning of a message that is exactly one of the group's phrases ("STOP" → stop).

        `anywhere`: also in every other language, after the customer's (a Malay "berhenti" stops
        messages in a conversation that started in English).
        """
        said = normalise(text)
        languages = [language, *(sorted(self.languages) if anywhere else [])]
        return next(
            (
                meaning
                for lang in dict.fromkeys(languages)
                for phrase, meaning in self._phrases(group, lang)
                if phrase == said
            ),
            None,
        )

    def is_acknowledgement(self, text: str, language: str | None) -> bool:
        """Only emoji or punctuation (👍, 🙏, "…"), or a short "ok", "sí", "好", "はい" in any language:
        it agrees or thanks, and never stops anything."""
        return (
            self.is_wordless(text)
            or self.keyword("acknowledgements", text, language, anywhere=True) is not None
        )

    @staticmethod
    def is_wordless(text: str) -> bool:
        """Only emoji or punctuation; a photo without a caption (nothing at all) is not."""
        return bool(text.strip()) and not normalise(text)

    def without(self, group: str, text: str, language: str | None) -> str:
        """The text, case and width folded, with the group's phrases taken out ("pay on the 15th" → "15th")."""
        said = unicodedata.normalize("NFKC", text).casefold()
        for phrase, _ in sorted(self._phrases(group, language), key=lambda p: len(p[0]), reverse=True):
            escaped = regex.escape(phrase)
            bounded = escaped if _UNSPACED.search(phrase) else rf"(?<![\w\p{{M}}]){escaped}(?![\w\p{{M}}])"
            said = regex.sub(bounded, " ", said)
        return " ".join(said.split())

    def after(self, group: str, text: str, language: str | None) -> str | None:
        """What follows the first of the group's phrases in the text ("… starting next Friday" →
        "next friday"), case and width folded; None when no phrase is there."""
        said, found = self._first(group, text, language)
        return said[found.end() :].strip(" ,.!?") or None if found else None

    def before(self, group: str, text: str, language: str | None) -> str | None:
        """What precedes the first of the group's phrases, for words that follow what they mark
        ("来週の金曜日から" → "来週の金曜日"), case and width folded; None when no phrase is there."""
        said, found = self._first(group, text, language)
        return said[: found.start()].strip(" ,.!?、，") or None if found else None

    def _first(self, group: str, text: str, language: str | None) -> tuple[str, regex.Match | None]:
        said = unicodedata.normalize("NFKC", text).casefold()
        found = None
        for phrase, _ in self._phrases(group, language):
            escaped = regex.escape(phrase)
            bounded = escaped if _UNSPACED.search(phrase) else rf"(?<![\w\p{{M}}]){escaped}(?![\w\p{{M}}])"
            match = regex.search(bounded, said)
            if match and (found is None or match.start() < found.start()):
                found = match
        return said, found

    def meanings(self, group: str, language: str | None) -> dict[str, str]:
        """The group's phrases (normalised) and what each means, the customer's language first."""
        return {phrase: meaning for phrase, meaning in reversed(list(self._phrases(group, language)))}

    def _phrases(self, group: str, language: str | None) -> Iterator[tuple[str, str]]:
        """(normalised phrase, meaning) of a `words` group: the customer's language, then the default."""
        for lang in dict.fromkeys([self.resolve_language(language), self.default_language]):
            yield from self._normalised_words[lang].get(group, [])

    def render(self, key: str, language: str | None, values: dict[str, Any] | None = None) -> Rendered:
        lang = self.resolve_language(language)
        entry = self.languages[lang].get(key) or self.languages[self.default_language].get(key)
        if entry is None:
            raise KeyError(f"no response {key!r} in locales")
        values = self._in_words(lang, values or {})
        buttons = [
            Button(title=_fill(b["title"], values, key), payload=b["payload"])
            for b in entry.get("buttons", [])
        ]
        # A variable list of choices (e.g. plans): one button per option, titled by `option_title`.
        options = [
            Button(
                title=_fill(entry["option_title"], self._in_words(lang, o["values"]), key),
                payload=o["payload"],
            )
            for o in values.get("options", [])
        ]
        return Rendered(
            key=key, language=lang, text=_fill(entry["text"], values, key), buttons=options + buttons
        )

    def _in_words(self, language: str, values: dict[str, Any]) -> dict[str, Any]:
        """Canonical values with a `terms` entry of the same name read in the customer's words."""
        terms = self.terms[language] or self.terms[self.default_language]
        return {k: terms.get(k, {}).get(v, v) if isinstance(v, str) else v for k, v in values.items()}


# Thai, Japanese, Chinese and Korean words are not (reliably) set off by spaces.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _contains(text: str, phrase: str) -> bool:
    return phrase in text if _UNSPACED.search(phrase) else f" {phrase} " in text


def _normalised_phrases(words: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Each group's phrases normalised once, with their meaning; a plain list means the group itself."""
    groups = {}
    for group, meanings in words.items():
        if isinstance(meanings, list):
            meanings = {group: meanings}
        groups[group] = [
            (phrase, str(meaning))
            for meaning, phrases in meanings.items()
            for phrase in (normalise(str(p)) for p in phrases)
            if phrase
        ]
    return groups


def normalise(text: str) -> str:
    """Case, full-width forms ("１５日") and punctuation folded away, for matching phrases.

    Vowel signs and tone marks (Thai, Devanagari, Vietnamese) are part of the word: `\\p{M}`.
    """
    return " ".join(regex.sub(r"[^\w\p{M}\s']", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def _fill(template: str, values: dict[str, Any], key: str) -> str:
    missing = placeholders(template) - values.keys()
    if missing:
        raise MissingValueError(f"response {key!r} needs {sorted(missing)}")
    return template.format_map(values)
