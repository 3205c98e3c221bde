"""Which supported language a customer writes in, and when a conversation should switch to it.

Detection is a character n-gram classifier trained on our own data: every example customers
gave us in `data/nlu/<lang>/` and the phrases in `locales/<lang>.yml`. It learns scripts,
spelling without diacritics, Taglish, Manglish and Latin-script Hindi from the same examples the
assistant understands, so a twelfth language is a matter of data files. The README has the
measurements against langdetect and lingua that chose it.

The conversation's language is sticky: a message it cannot tell ("ok", "1", a name, an emoji)
never switches it, and a confident detection switches it only on the customer's first message
that shows a language, or when two messages in a row agree. Asking (`change_language`) and the
widget's picker are the customer's choice and take effect at once; the customer's profile,
Telegram's `language_code` and the web page's language are guesses to start from.
"""

import collections
import re
from functools import lru_cache
from pathlib import Path

import regex
import yaml

from bot.config import ROOT
from bot.understanding.nlu_data import examples_by_intent
from bot.understanding.text_classifier import TextClassifier

# Below this probability the detector says it cannot tell (chosen on tests/nlu, not on the
# detection set it is reported on; see tests/language/test_detection.py).
CONFIDENCE = 0.5
# One message alone overturns a guessed language (a profile's, the default) only this surely: on
# tests/language, 95% of messages reach it with 1 wrong in 838, where 0.5 lets 8 wrong through
# ("unsubscribe pls" reads as Tagalog at 0.87). Below it, two messages in a row must agree.
SURE = 0.95
# Fewer letters than this is not enough to tell a language by ("ok", "ya", "1"); a Chinese,
# Japanese, Korean or Thai character says more than a Latin letter ("好的", "はい").
MIN_LETTERS = 3
_DENSE_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Account references, numbers, links and amounts say nothing about the language.
_NOT_LANGUAGE = re.compile(r"https?://\S+|\b[A-Za-z]{2}[\s-]?\d{6}\b|[\d.,:/$€£¥₱₹₩₫฿%+-]+")


def _plain(text: str) -> str:
    return " ".join(regex.sub(r"[^\p{L}\p{M}\s]", " ", text.casefold()).split())


def letters(text: str) -> str:
    """What is left to judge a language by once numbers, references and symbols are gone."""
    return " ".join(_NOT_LANGUAGE.sub(" ", text).split())


class LanguageDetector:
    """Which language, from examples per language (bot.understanding.text_classifier)."""

    def __init__(self, examples: dict[str, list[str]], confidence: float = CONFIDENCE) -> None:
        self.confidence = confidence
        # What customers say the same way in several languages ("ok", "hello", "Maria") says
        # nothing about the language: never guessed from, never learned from.
        said_in = collections.defaultdict(set)
        for lang, texts in examples.items():
            for text in texts:
                said_in[_plain(text)].add(lang)
        self._shared = {said for said, languages in said_in.items() if len(languages) > 1}
        self._classifier = TextClassifier(
            {
                lang: [letters(t) for t in texts if _plain(t) not in self._shared]
                for lang, texts in examples.items()
            }
        )
        self.languages = sorted(examples)

    def probabilities(self, text: str) -> dict[str, float]:
        """Each language's probability for the text; empty when there is nothing to judge."""
        judged = letters(text)
        if _plain(judged) in self._shared:
            return {}
        weight = sum(2 if _DENSE_SCRIPT.match(c) else 1 for c in judged if c.isalpha())
        if weight < MIN_LETTERS:
            return {}
        return self._classifier.probabilities(judged)

    def detect(self, text: str) -> str | None:
        return self.detect_with_probability(text)[0]

    def detect_with_probability(self, text: str) -> tuple[str | None, float]:
        """The language (None below `confidence`) and how sure the detector is of it."""
        probabilities = self.probabilities(text)
        if not probabilities:
            return None, 0.0
        language, probability = max(probabilities.items(), key=lambda item: item[1])
        return (language if probability >= self.confidence else None), probability


def training_examples(nlu_dir: Path, locales_dir: Path) -> dict[str, list[str]]:
    """Every language with a locale: its NLU examples and the phrases its locale lists."""
    examples: dict[str, list[str]] = {}
    for locale in sorted(locales_dir.glob("*.yml")):
        language = locale.stem
        data = yaml.safe_load(locale.read_text(encoding="utf-8")) or {}
        if "variant_of" in data:  # the same language in another script: told apart by its letters
            continue
        texts = [text for said in examples_by_intent(nlu_dir / language).values() for text in said]
        words = data.get("words", {})
        texts += list(_phrases(words))
        examples[language] = [t for t in texts if t]
    return examples


def _phrases(words: object):
    if isinstance(words, dict):
        for value in words.values():
            yield from _phrases(value)
    elif isinstance(words, list):
        yield from (str(w) for w in words)


@lru_cache
def default_detector() -> LanguageDetector:
    return LanguageDetector(training_examples(ROOT / "data" / "nlu", ROOT / "locales"))


def detect_language(text: str) -> str | None:
    """The supported language `text` is written in, or None when it can't tell."""
    return default_detector().detect(text)


def next_language(
    current: str, detected: str | None, previous_detected: str | None, first_message: bool, chosen: bool
) -> str | None:
    """The language this message switches the conversation to; None keeps it.

    `chosen` says the current language was asked for or picked (not a default or a guess), so a
    first message alone does not overturn it.
    """
    if detected is None or detected == current:
        return None
    if (first_message and not chosen) or previous_detected == detected:
        return detected
    return None
